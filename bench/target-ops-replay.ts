/**
 * The configfs operations of a target start or stop, planned against the live tree as the agent plans
 * them, then either printed as the sh script the agent's teardown child runs (lib/configfs/child-apply.ts:
 * the shell's printf for writes, one coreutils call per run of mkdirs, rms or rmdirs, one ln per symlink),
 * or applied here in process with synchronous calls, timing only the operations.
 *
 * In process, the time is the kernel's share of the action and nothing else: no exec, no Node start-up,
 * no planning. `node -e 0` plus that time is the floor of any Node.js agent doing the same work, which is
 * what test/lab/tests/41-target-profile-overhead.sh compares with targetctl. For stop, the sh script (three
 * calls) is about the kernel's share plus two execs; for start the execs of ln (one per symlink) weigh too
 * much under TCG for that.
 *
 *   tsx bench/target-ops-replay.ts start|stop <saveconfig.json> <iqn>           the sh script, on stdout
 *   tsx bench/target-ops-replay.ts start|stop <saveconfig.json> <iqn> --apply   applies; prints "<action>_kernel_ms N ms"
 * (on a node, as root; LIOHA_ROOT=<fixture root> for a dry run off a node)
 */
import { loadDesired } from '../agents/target/config.js';
import { openConfigFs } from '../lib/configfs/open.js';
import { readLive } from '../lib/configfs/reader.js';
import { planReconcile, planTeardown, teardownCandidates } from '../lib/configfs/plan.js';
import { applyPlan } from '../lib/configfs/apply.js';
import { script } from '../lib/configfs/child-apply.js';

async function main(): Promise<void> {
  const [what, config, iqn, mode] = process.argv.slice(2);
  if ((what !== 'start' && what !== 'stop') || !config || !iqn || (mode !== undefined && mode !== '--apply')) {
    throw new Error('usage: target-ops-replay.ts start|stop <saveconfig.json> <iqn> [--apply]');
  }
  const root = process.env.LIOHA_ROOT ?? '';
  const host = (abs: string) => `${root}${abs}`;
  const cfs = await openConfigFs(host, () => 30_000);
  const desired = await loadDesired({ iqns: [iqn], config, deriveWwn: false }, host);
  let ops;
  if (what === 'start') {
    ops = planReconcile(desired, await readLive(cfs, [iqn], 'full', desired));
  } else {
    const live = await readLive(cfs, [iqn], 'tree');
    ops = planTeardown([iqn], live, teardownCandidates(live, desired.storageObjects.keys()));
  }
  if (mode === '--apply') {
    const t0 = performance.now();
    await applyPlan(cfs, ops, { rollback: false });
    process.stdout.write(`${what}_kernel_ms ${Math.round(performance.now() - t0)} ms\n`);
  } else {
    process.stdout.write(script(cfs.base, ops));
  }
  process.stderr.write(`${what}: ${ops.length} operations\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
