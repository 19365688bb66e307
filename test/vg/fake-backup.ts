/**
 * A backup process for the vg stop tests, registered exactly as `lioha backup run` registers
 * (lib/backup/registry.ts) and using the backup's own snapshot code, but not copying:
 *   stuck       takes the snapshot, holds it open and ignores SIGTERM (a read hung in the kernel)
 *   registered  registers only (no snapshot) and dies on SIGTERM
 * Prints "ready" once registered. Usage: fake-backup.ts <vg> <lv> stuck|registered
 */
import { openSync } from 'node:fs';
import { LvmSnapshots } from '../../lib/backup/lvm-snapshot.js';
import { withRegistration } from '../../lib/backup/registration.js';
import { run } from '../../lib/exec/run.js';
import { rootFromEnv } from '../../lib/sys/root.js';

const [vg, lv, mode] = process.argv.slice(2) as [string, string, string];
const root = rootFromEnv(process.env);
const snaps = new LvmSnapshots({
  vg, lv, root, maxMs: 30_000, config: { noUdev: true },
  exec: (cmd, args, o) => run(cmd, args, { timeoutMs: o.maxMs, okCodes: o.okCodes, env: o.env }),
});
if (mode === 'stuck') process.on('SIGTERM', () => process.stderr.write('fake-backup: SIGTERM ignored\n'));
await withRegistration(root, { vg, lv, snapshot: snaps.snapshotName, destination: '/backup/nowhere.img' }, async () => {
  if (mode === 'stuck') openSync((await snaps.create()).device, 'r');
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1 << 30); // hold until killed
  await new Promise(() => undefined);
});
