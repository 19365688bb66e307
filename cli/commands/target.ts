import { splitList } from '../../lib/list.js';
import type { CommandModule } from 'yargs';

interface SaveArgs { iqn?: string[]; root?: string; output?: string; timeout: number }

/** `lioha target save`: dump live LIO targets in targetcli's saveconfig.json format. */
export const command: CommandModule = {
  command: 'target <action>',
  describe: 'LIO iSCSI targets (save: dump live targets as saveconfig.json)',
  builder: (y) =>
    y
      .positional('action', { choices: ['save'] as const, describe: 'save: print the live targets in saveconfig.json format' })
      .option('iqn', { type: 'string', array: true, describe: 'target(s) to dump (default: every iSCSI target)' })
      .option('root', { type: 'string', describe: 'filesystem root holding /sys/kernel/config (default: $LIOHA_ROOT or /)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file (mode 0600, atomically) instead of stdout' })
      .option('timeout', { type: 'number', default: 10, describe: 'seconds before a configfs read counts as hung' }),
  handler: async (argv) => {
    const a = argv as unknown as SaveArgs;
    const { Root } = await import('../../lib/sys/root.js');
    const { openConfigFs } = await import('../../lib/configfs/open.js');
    const { saveLive } = await import('../../lib/configfs/save.js');
    const root = new Root(a.root ?? process.env.LIOHA_ROOT ?? '/');
    const cfs = await openConfigFs((p) => root.path(p), () => a.timeout * 1000);
    const iqns = (a.iqn ?? []).flatMap((s) => splitList(s));
    const text = await saveLive(cfs, iqns);
    if (!a.output) {
      process.stdout.write(text);
      return;
    }
    // CHAP passwords are in it: an exclusive 0600 temp file with a random name, fsync, rename.
    const { writePrivateFile } = await import('../../lib/sys/private-file.js');
    await writePrivateFile(a.output, text);
  },
};
