import type { Argv, CommandModule } from 'yargs';
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { rootFromEnv } from '../../lib/sys/root.js';
import type { MergeSource } from '../../lib/ddmap/merge-files.js';

/**
 * `lioha ddmap`: inspect and merge change maps, and read or set the per-LUN
 * states a backup tool works with.
 */

const show: CommandModule = {
  command: 'show <file>',
  describe: 'Print a ddmap file or live entry: header and summary (-a), hex rows of 8 words (-b)',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'a .ddmapdump file or /proc/net/iet/ddmap/<target>.<lun>' })
      .option('a', { alias: 'header', type: 'boolean', describe: 'header and summary (the default without -b)' })
      .option('b', { alias: 'data', type: 'boolean', describe: 'hex rows: map byte offset, then 8 words' })
      .option('nonzero', { type: 'boolean', default: false, describe: 'with -b: leave out rows without a set bit' }),
  handler: async (argv) => {
    const { readImageFile } = await import('../../lib/ddmap/merge-files.js');
    const { headerText, dataRows } = await import('../../lib/ddmap/report.js');
    const file = String(argv.file);
    const img = await readImageFile(file);
    const wantData = Boolean(argv.b);
    if (argv.a || !wantData) process.stdout.write(headerText(img, file));
    if (wantData) {
      let chunk = '';
      for (const row of dataRows(img.words, Boolean(argv.nonzero))) {
        chunk += row;
        if (chunk.length > 1 << 16) {
          process.stdout.write(chunk);
          chunk = '';
        }
      }
      process.stdout.write(chunk);
    }
  },
};

const merge: CommandModule = {
  command: 'merge [sources..]',
  describe: 'OR dumps (and the live map) into one target file; refuses other LUNs\' maps and smaller sources',
  builder: (y: Argv) =>
    y
      .positional('sources', { type: 'string', array: true, describe: '.ddmapdump files' })
      .option('t', { alias: 'target', type: 'string', demandOption: true, describe: 'target file (created when missing, replaced atomically)' })
      .option('live', { type: 'string', array: true, describe: 'also merge this live /proc/net/iet/ddmap entry (read suspended, resumed at once)' })
      .option('timeout', { type: 'number', default: 5000, describe: 'time limit for reading one live map (ms)' })
      .option('v', { alias: 'verbose', type: 'boolean', default: false }),
  handler: async (argv) => {
    const { mergeIntoFile } = await import('../../lib/ddmap/merge-files.js');
    const { decodeImage } = await import('../../lib/ddmap/format.js');
    const say = argv.v ? (l: string) => process.stderr.write(`ddmap> ${l}\n`) : () => undefined;
    const sources: MergeSource[] = ((argv.sources as string[] | undefined) ?? []).map((f) => ({ label: f, path: f }));
    const live = (argv.live as string[] | undefined) ?? [];
    if (live.length) {
      const { captureProcEntry } = await import('../../lib/ddmap/backends/iet/backend.js');
      const { SUSPEND_INTENT_DIR } = await import('../../lib/ddmap/suspend-intent.js');
      const root = rootFromEnv(process.env);
      for (const entry of live) {
        const cap = await captureProcEntry(root.path(entry), { id: basename(entry), timeoutMs: Number(argv.timeout), intentDir: root.path(SUSPEND_INTENT_DIR) });
        for (const w of cap.warnings) process.stderr.write(`lioha: ${entry}: ${w}\n`);
        say(`${entry}: live map read, writes held ${cap.suspendMs.toFixed(2)} ms`);
        sources.push({ label: entry, image: decodeImage(cap.image) });
      }
    }
    await mergeIntoFile(String(argv.t), sources, say);
  },
};

const stateList: CommandModule = {
  command: 'list [vg..]',
  describe: 'States of every LUN (all VGs under the state dir when none is named)',
  builder: (y: Argv) =>
    y
      .positional('vg', { type: 'string', array: true })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document for backup tools' }),
  handler: async (argv) => {
    const { DdmapStore } = await import('../../lib/ddmap/store.js');
    const { stateToText } = await import('../../lib/ddmap/state.js');
    const stateDir = rootFromEnv(process.env).path(String(argv['state-dir']));
    let vgs = (argv.vg as string[] | undefined) ?? [];
    if (vgs.length === 0) vgs = (await readdir(stateDir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const rows = [];
    for (const vg of vgs) {
      const store = new DdmapStore(stateDir, vg);
      for (const lv of await store.listLvs()) {
        const dumps = await store.listDumps(lv);
        rows.push({ vg, lv, state: await store.readState(lv), dumps: dumps.map((d) => d.path) });
      }
    }
    if (argv.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    for (const r of rows) {
      const last = r.dumps.at(-1);
      process.stdout.write(`${r.vg}/ddmap/${r.lv} ${stateToText(r.state)} dumps=${r.dumps.length}${last ? ` last=${basename(last)}` : ''}\n`);
    }
  },
};

const stateSet: CommandModule = {
  command: 'set <vg> <lv> <state>',
  describe: 'Set a LUN state: ACTIVE after a finished backup, DIRTY after a failed integrity check',
  builder: (y: Argv) =>
    y
      .positional('vg', { type: 'string', demandOption: true })
      .positional('lv', { type: 'string', demandOption: true })
      .positional('state', { type: 'string', demandOption: true, describe: 'ACTIVE or DIRTY (CLEAN, UNKNOWN with --force)' })
      .option('note', { type: 'string', default: '', describe: 'recorded in <lv>.log' })
      .option('force', { type: 'boolean', default: false, describe: 'allow CLEAN and UNKNOWN (repair only)' }),
  handler: async (argv) => {
    const { DdmapStore } = await import('../../lib/ddmap/store.js');
    const { BACKUP_STATES, parseState, stateToText } = await import('../../lib/ddmap/state.js');
    const to = parseState(String(argv.state));
    if (!to) throw new Error(`unknown state ${JSON.stringify(argv.state)}; use ACTIVE, DIRTY, CLEAN or UNKNOWN`);
    if (!BACKUP_STATES.includes(to) && !argv.force) {
      throw new Error(`setting ${stateToText(to)} would claim the saved maps are complete; only ACTIVE and DIRTY are allowed without --force`);
    }
    const store = new DdmapStore(rootFromEnv(process.env).path(String(argv['state-dir'])), String(argv.vg));
    await store.ensure();
    const c = await store.setState(String(argv.lv), to, BACKUP_STATES.includes(to) ? 'backup' : 'admin', String(argv.note));
    process.stdout.write(`${argv.vg}/ddmap/${argv.lv} ${stateToText(c.from)} -> ${stateToText(c.to)}\n`);
  },
};

const eraPath: CommandModule = {
  command: 'era-path <vg> <lv>',
  describe: 'The device an LV is exported through with backend=era: the backstore udev_path for the target\'s config',
  builder: (y: Argv) =>
    y
      .positional('vg', { type: 'string', demandOption: true })
      .positional('lv', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'also the era device name and the metadata LV' }),
  handler: async (argv) => {
    const { eraDeviceName, eraDevicePath, eraMetadataLvName } = await import('../../lib/ddmap/backends/era/names.js');
    const vg = String(argv.vg);
    const lv = String(argv.lv);
    const path = eraDevicePath(vg, lv);
    if (!argv.json) {
      process.stdout.write(`${path}\n`);
      return;
    }
    process.stdout.write(`${JSON.stringify({ vg, lv, device: eraDeviceName(vg, lv), udevPath: path, metadataLv: `${vg}/${eraMetadataLvName(lv)}` })}\n`);
  },
};

const state: CommandModule = {
  command: 'state',
  describe: 'List or set per-LUN ddmap states',
  builder: (y: Argv) => y.command([stateList, stateSet]).demandCommand(1, 'Name a state command: list or set.'),
  handler: () => undefined,
};

export const command: CommandModule = {
  command: 'ddmap',
  describe: 'Change maps (ddmap): show, merge, per-LUN states, era device paths',
  builder: (y: Argv) =>
    y
      .option('state-dir', { type: 'string', default: '/mnt/iscsi-target', global: true, describe: 'VGMETA_DIR holding <vg>/ddmap/' })
      .command([show, merge, state, eraPath])
      .demandCommand(1, 'Name a ddmap command: show, merge, state or era-path.'),
  handler: () => undefined,
};
