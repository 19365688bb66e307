/**
 * The configfs operations of a target start or stop, as an sh script: the one the target agent's
 * teardown child runs (lib/configfs/child-apply.ts: the shell's printf for writes, one coreutils call
 * per run of mkdirs, rms or rmdirs, one ln per symlink). `start` plans against the live tree as start
 * does, `stop` as stop does. test/lab/tests/41-target-profile-overhead.sh times the script beside the
 * agent and targetctl: for stop (three calls) it is about the kernel's share plus two execs; for start
 * the execs of ln (one per symlink) weigh too much under TCG for that.
 *
 *   tsx bench/target-ops-sh.ts start|stop <saveconfig.json> <iqn>   (on a node, as root)
 */
import { loadDesired } from '../agents/target/config.js';
import { openConfigFs } from '../lib/configfs/open.js';
import { readLive } from '../lib/configfs/reader.js';
import { planReconcile, planTeardown, teardownCandidates } from '../lib/configfs/plan.js';
import { script } from '../lib/configfs/child-apply.js';

async function main(): Promise<void> {
  const [what, config, iqn] = process.argv.slice(2);
  if ((what !== 'start' && what !== 'stop') || !config || !iqn) throw new Error('usage: target-ops-sh.ts start|stop <saveconfig.json> <iqn>');
  const root = process.env.LIOHA_ROOT ?? ''; // a fixture root for a dry run off a node
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
  process.stdout.write(script(cfs.base, ops));
  process.stderr.write(`${what}: ${ops.length} operations\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
