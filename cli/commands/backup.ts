import type { Argv, CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { rootFromEnv } from '../../lib/sys/root.js';

/**
 * `lioha backup`: ddless-style backups of an LV from an LVM snapshot, copying only the
 * segments the change maps flag and only those whose checksum changed; `check` verifies a
 * destination against its checksum file.
 */

const VOLUME_RE = /^([^/\s]+)\/([^/\s]+)$/;

function parseVolume(v: string): { vg: string; lv: string } {
  const m = VOLUME_RE.exec(v);
  if (!m) throw new Error(`volume must be <vg>/<lv>, got ${JSON.stringify(v)}`);
  return { vg: m[1]!, lv: m[2]! };
}

async function checksumsPathFor(destination: string, given: string | undefined): Promise<string> {
  if (given) return resolve(given);
  const { stat } = await import('node:fs/promises');
  const st = await stat(destination).catch(() => null);
  if (st?.isBlockDevice()) throw new Error(`destination ${destination} is a block device: name the checksum file with --checksums (it cannot live under /dev)`);
  return `${destination}.checksums`;
}

/** Print a BackupError as `lioha backup: ...` with its exit status; anything else goes to the CLI's handler. */
async function reportErrors(f: () => Promise<void>): Promise<void> {
  const { BackupError, exitCodeOf } = await import('../../lib/backup/errors.js');
  try {
    await f();
  } catch (e) {
    if (!(e instanceof BackupError)) throw e;
    process.stderr.write(`lioha backup: ${e.message}\n`);
    process.exitCode = exitCodeOf(e.kind);
  }
}

function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(130); // a second signal: give up at once
    process.stderr.write(`\nlioha backup: ${sig}: stopping after the current segment, removing the snapshot (rerun to resume)\n`);
    ac.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return ac.signal;
}

const runCommand: CommandModule = {
  command: 'run <volume> <destination>',
  describe: 'Back up <vg>/<lv> to a file or block device: read what the maps flag, write what changed, verify',
  builder: (y: Argv) =>
    y
      .positional('volume', { type: 'string', demandOption: true, describe: '<vg>/<lv>' })
      .positional('destination', { type: 'string', demandOption: true, describe: 'file (created, sized to the volume) or block device (at least as large)' })
      .option('checksums', { type: 'string', describe: 'checksum file, one per destination (default <destination>.checksums; required for a block device)' })
      .option('full', { type: 'boolean', default: false, describe: 'read every segment (still writes only changed ones)' })
      .option('verify', { choices: ['plan', 'all', 'none'] as const, default: 'plan' as const, describe: 'read back the segments read this run, the whole destination, or nothing' })
      .option('throttle', { type: 'string', describe: 'read at most this many MB/s (1 MB = 10^6 bytes)' })
      .option('changes', { choices: ['none', 'era'] as const, default: 'none' as const, describe: 'live change source besides the saved dumps (era: the dm-era backend)' })
      .option('map', { type: 'string', array: true, describe: 'use these merged ddmap files as the live changes (IET: lioha ddmap merge --live)' })
      .option('source', { type: 'string', describe: 'read this file or device instead of an LVM snapshot (it must not change while the copy runs)' })
      .option('snapshot-size', { type: 'string', describe: 'lvcreate size of the snapshot (10G, 20%ORIGIN; default 20%ORIGIN, 15% from 100 GB)' })
      .option('extra-devices', { type: 'string', array: true, default: [], describe: 'device regexes LVM may scan besides /dev/drbd* (as the vg agent\'s extra_devices)' })
      .option('timeout', { type: 'number', default: 120, describe: 'time limit in seconds for each lvm, dd or change-source command' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines' }),
  handler: (argv) =>
    reportErrors(async () => {
      const { vg, lv } = parseVolume(String(argv.volume));
      const root = rootFromEnv(process.env);
      const destination = resolve(String(argv.destination));
      const checksums = await checksumsPathFor(destination, argv.checksums as string | undefined);
      const timeoutMs = Number(argv.timeout) * 1000;
      if (!(timeoutMs > 0)) throw new Error('--timeout must be a positive number of seconds');
      const { parseThrottle } = await import('../../lib/backup/throttle.js');
      const throttle = argv.throttle === undefined ? undefined : parseThrottle(String(argv.throttle));
      const { DdmapStore } = await import('../../lib/ddmap/store.js');
      const store = new DdmapStore(root.path(String(argv['state-dir'])), vg);
      const { run } = await import('../../lib/exec/run.js');
      const exec = (cmd: string, args: string[], o: { maxMs: number; okCodes?: number[]; env?: Record<string, string> }) =>
        run(cmd, args, { timeoutMs: o.maxMs, okCodes: o.okCodes, env: o.env });

      let snapshots;
      if (argv.source !== undefined) {
        const { directSource } = await import('../../lib/backup/direct-source.js');
        snapshots = directSource(resolve(String(argv.source)), root, `${vg}/${lv}`);
      } else {
        const { LvmSnapshots } = await import('../../lib/backup/lvm-snapshot.js');
        const { parseExtraDevices } = await import('../../lib/lvm/config.js');
        const { existsSync } = await import('node:fs');
        snapshots = new LvmSnapshots({
          vg, lv, root, exec, maxMs: timeoutMs, size: argv['snapshot-size'] as string | undefined,
          config: { extraAccept: parseExtraDevices(((argv['extra-devices'] as string[]) ?? []).join(' ')), noUdev: !existsSync(root.path('/run/udev/control')) },
        });
      }

      const src = await import('../../lib/backup/change-source.js');
      let changes = src.noLiveChanges;
      const maps = (argv.map as string[] | undefined) ?? [];
      if (maps.length && argv.changes === 'era') throw new Error('--map and --changes era exclude each other');
      if (maps.length) changes = src.mapFileChanges(maps.map((m) => resolve(m)));
      if (argv.changes === 'era') {
        const { loadEraLink } = await import('../../lib/backup/era-link.js');
        const { eraChanges } = await import('../../lib/backup/era-source.js');
        const link = await loadEraLink();
        if (typeof link === 'string') throw new Error(`--changes era: ${link}`);
        changes = eraChanges(link.functions, link.env(timeoutMs), store, vg, lv);
      }

      const { runBackup } = await import('../../lib/backup/backup.js');
      const { progressSink, silentProgress, formatBytes } = await import('../../lib/backup/progress.js');
      const report = await runBackup(
        { vg, lv, destination, checksums, full: Boolean(argv.full), verify: argv.verify as 'plan' | 'all' | 'none', throttleBytesPerSecond: throttle },
        {
          store, snapshots, changes, root,
          progress: argv.quiet ? silentProgress : progressSink(process.stderr),
          say: (l) => { if (!argv.quiet) process.stderr.write(`lioha backup: ${l}\n`); },
          signal: interruptSignal(),
          // A run from an LVM snapshot blocks deactivation of the VG: let the vg agent find and stop it.
          register: argv.source === undefined,
          newSetId: () => randomHex(16),
          dropCache: async (p) => { await run('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none'], { timeoutMs }); },
        },
      );
      if (argv.json) {
        process.stdout.write(`${JSON.stringify({ ...report, volumeBytes: report.volumeBytes.toString() }, null, 2)}\n`);
        return;
      }
      const c = report.counters;
      const rate = report.seconds > 0 ? c.bytesRead / report.seconds / 1e6 : 0;
      process.stderr.write(
        `lioha backup: ${report.mode} backup of ${report.volume}${report.resumed ? ' (resumed)' : ''} done: read ${formatBytes(c.bytesRead)} (${c.segmentsDone} of ${report.segments} segments), ` +
          `wrote ${formatBytes(c.bytesWritten)} (${c.segmentsWritten} segments), ${report.verify ? `verified ${formatBytes(report.verify.bytesChecked)}, ` : ''}` +
          `${report.seconds.toFixed(1)} s (${rate.toFixed(1)} MB/s); state ${report.state}${report.keptDirty ? ' (marked DIRTY during the backup: the next one reads everything)' : ''}\n`,
      );
    }),
};

const check: CommandModule = {
  command: 'check <destination>',
  describe: 'Read a whole destination and compare it with its checksum file; a mismatch marks the volume DIRTY',
  builder: (y: Argv) =>
    y
      .positional('destination', { type: 'string', demandOption: true })
      .option('checksums', { type: 'string', describe: 'checksum file (default <destination>.checksums)' })
      .option('volume', { type: 'string', describe: '<vg>/<lv> whose ddmap state becomes DIRTY on a mismatch' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false }),
  handler: (argv) =>
    reportErrors(async () => {
      const root = rootFromEnv(process.env);
      const destination = resolve(String(argv.destination));
      const checksums = await checksumsPathFor(destination, argv.checksums as string | undefined);
      const vol = argv.volume === undefined ? null : parseVolume(String(argv.volume));
      const { checkDestination } = await import('../../lib/backup/check.js');
      const { DdmapStore } = await import('../../lib/ddmap/store.js');
      const { progressSink, silentProgress, formatBytes } = await import('../../lib/backup/progress.js');
      const r = await checkDestination({
        destination, checksums, root,
        store: vol ? { store: new DdmapStore(root.path(String(argv['state-dir'])), vol.vg), lv: vol.lv } : null,
        progress: argv.quiet ? silentProgress : progressSink(process.stderr),
      });
      process.stderr.write(`lioha backup: ${destination} matches its checksums (${formatBytes(r.bytesChecked)}, ${r.segmentsChecked} segments)\n`);
    }),
};

function randomHex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return s;
}

export const command: CommandModule = {
  command: 'backup',
  describe: 'ddless-style backups: run (copy what changed from a snapshot), check (verify a destination)',
  builder: (y: Argv) =>
    y
      .option('state-dir', { type: 'string', default: '/mnt/iscsi-target', global: true, describe: 'VGMETA_DIR holding <vg>/ddmap/ (states, dumps, backup records)' })
      .command([runCommand, check])
      .demandCommand(1, 'Name a backup command: run or check.'),
  handler: () => undefined,
};
