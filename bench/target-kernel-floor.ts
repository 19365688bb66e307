/**
 * The kernel's own share of a target start or stop. Prints, as the sh script the target agent's
 * teardown child runs (lib/configfs/child-apply.ts: the shell's printf for writes, one coreutils
 * call per run of mkdirs, symlinks one by one), the configfs operations the agent would make on
 * this node now: `start` plans against the live tree as start does, `stop` as stop does. Timing
 * that script (no Node.js, no reads, no checks) gives what any tool pays the kernel for the same
 * operations; test/lab/tests/41-target-profile-overhead.sh times it beside the agent and targetctl.
 *
 *   tsx bench/target-kernel-floor.ts start|stop <saveconfig.json> <iqn>   (on a node, as root)
 */
import { loadDesired } from '../agents/target/config.js';
import { openConfigFs } from '../lib/configfs/open.js';
import { readLive } from '../lib/configfs/reader.js';
import { planReconcile, planTeardown } from '../lib/configfs/plan.js';
import { script } from '../lib/configfs/child-apply.js';
import type { StorageObjectRef } from '../lib/configfs/model.js';

async function main(): Promise<void> {
  const [what, config, iqn] = process.argv.slice(2);
  if ((what !== 'start' && what !== 'stop') || !config || !iqn) throw new Error('usage: target-kernel-floor.ts start|stop <saveconfig.json> <iqn>');
  const root = process.env.LIOHA_ROOT ?? ''; // a fixture root for a dry run off a node
  const host = (abs: string) => `${root}${abs}`;
  const cfs = await openConfigFs(host, () => 30_000);
  const desired = await loadDesired({ iqns: [iqn], config, deriveWwn: false }, host);
  let ops;
  if (what === 'start') {
    ops = planReconcile(desired, await readLive(cfs, [iqn], 'full', desired));
  } else {
    const live = await readLive(cfs, [iqn], 'tree');
    const candidates = new Set<StorageObjectRef>(desired.storageObjects.keys());
    ops = planTeardown([iqn], live, candidates);
  }
  process.stdout.write(script(cfs.base, ops));
  process.stderr.write(`${what}: ${ops.length} operations\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
