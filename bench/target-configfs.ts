/**
 * Start/stop of the 4 LUN x 4 ACL target (test/fixtures/target/saveconfig.json) on the configfs
 * emulator: configfs operation counts and wall times (median of N runs), in process (the work
 * itself) and through the built agent (what Pacemaker pays: fork + node startup + work).
 * Then the 32 LUN x 32 ACL target the lab also times against targetctl (test/lab/guest/big-config.py:
 * ramdisks, every ACL maps every LUN, CHAP): operation counts of one start, monitor and stop in
 * process, and its monitors through the built agent against the same anchor.
 *   npx tsx bench/target-configfs.ts [runs=7]
 * On a real kernel compare with `targetctl restore`/`clear`: the lab test prints those ratios.
 */
import { spawnSync } from 'node:child_process';
import { cleanEnv, loadLine, measure, NODE_FLOOR, nodeFloor, report, type Case } from './measure.js';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../agents/target/actions.js';
import { makeRoot, ctxFor, CONFIG, IQN } from '../test/target/setup.js';
import type { LogLine } from '../test/helpers/context.js';

const runs = Number(process.argv[2] ?? 7);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const actions = createTargetActions();

type Row = { ms: number[]; ops?: Record<string, number> };
const rows = new Map<string, Row>();
const record = (name: string, ms: number, ops?: Record<string, number>) => {
  const r = rows.get(name) ?? { ms: [] };
  r.ms.push(ms);
  if (ops) r.ops = ops;
  rows.set(name, r);
};

async function timed(name: string, action: 'start' | 'stop' | 'monitor', root: string, checkLevel = 0): Promise<void> {
  const lines: LogLine[] = [];
  const ctx = ctxFor(root, action, {}, { lines, checkLevel });
  const t0 = performance.now();
  const code = await (action === 'start' ? actions.start(ctx) : action === 'stop' ? actions.stop(ctx) : actions.monitor(ctx));
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${name}: exit ${code}`);
  const f = lines.find((l) => /^target (started|stopped|monitored)$/.test(l.msg))?.fields as Record<string, number> | undefined;
  record(name, ms, f && { ops: f.ops!, mutating: f.mutating!, mkdir: f.mkdir!, rmdir: f.rmdir!, symlink: f.symlink!, unlink: f.unlink!, write: f.write!, read: f.read! });
}

for (let i = 0; i < runs; i++) {
  const fx = makeRoot();
  try {
    await timed('start (create)', 'start', fx.root);
    await timed('start again (idempotent)', 'start', fx.root);
    await timed('monitor depth 0', 'monitor', fx.root);
    await timed('monitor depth 10', 'monitor', fx.root, 10);
    await timed('stop', 'stop', fx.root);
    await timed('stop again', 'stop', fx.root);
  } finally {
    fx.cleanup();
  }
}

/** The 32 x 32 configuration, generated as the lab generates it (python3 is a test tool). */
const BIG = { luns: 32, acls: 32 };
function bigRoot(): ReturnType<typeof makeRoot> {
  const fx = makeRoot();
  const cfg = join(fx.root, CONFIG);
  const r = spawnSync('python3', ['test/lab/guest/big-config.py', 'test/lab/fixtures/lab-4lun.json', cfg, String(BIG.luns), String(BIG.acls)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`big-config.py: ${r.stderr}`);
  chmodSync(cfg, 0o600);
  return fx;
}
const big = `${BIG.luns}x${BIG.acls}`;
{
  const fx = bigRoot();
  try {
    await timed(`${big} start (create)`, 'start', fx.root);
    await timed(`${big} monitor depth 0`, 'monitor', fx.root);
    await timed(`${big} monitor depth 10`, 'monitor', fx.root, 10);
    await timed(`${big} stop`, 'stop', fx.root);
  } finally {
    fx.cleanup();
  }
}

// Out of process, as Pacemaker pays it (fork + node start-up + work), every case interleaved
// with the anchor `env -i node -e 0` in each round; start is timed from stopped, stop from started.
const agentRuns: Case[] = [];
const agent = 'dist/resource.d/lioha/target';
if (existsSync(agent)) {
  const fx = makeRoot();
  const down = makeRoot();
  const cycle = makeRoot();
  process.on('exit', () => [fx, down, cycle].forEach((f) => f.cleanup()));
  const env = (root: string, extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', LIOHA_ROOT: root, OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG, OCF_RESOURCE_INSTANCE: 'bench', ...extra,
  });
  const put = (root: string, action: 'start' | 'stop') => () => {
    const r = spawnSync(agent, [action], { env: cleanEnv(env(root)), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`target ${action}: exit ${r.status}: ${r.stderr}`);
  };
  put(fx.root, 'start')();
  agentRuns.push(
    nodeFloor(),
    { name: 'agent start', cmd: agent, args: ['start'], env: env(cycle.root), before: put(cycle.root, 'stop') },
    { name: 'agent stop', cmd: agent, args: ['stop'], env: env(cycle.root), before: put(cycle.root, 'start') },
    { name: 'agent monitor', cmd: agent, args: ['monitor'], env: env(fx.root, { OCF_RESKEY_CRM_meta_interval: '10000' }) },
    { name: 'agent monitor depth 10', cmd: agent, args: ['monitor'], env: env(fx.root, { OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' }) },
    { name: 'agent probe (stopped)', cmd: agent, args: ['monitor'], env: env(down.root, { OCF_RESKEY_CRM_meta_interval: '0' }), ok: [7] },
  );
  const bigUp = bigRoot();
  process.on('exit', () => bigUp.cleanup());
  put(bigUp.root, 'start')();
  agentRuns.push(
    { name: `agent monitor ${big}`, cmd: agent, args: ['monitor'], env: env(bigUp.root, { OCF_RESKEY_CRM_meta_interval: '10000' }) },
    { name: `agent monitor depth 10 ${big}`, cmd: agent, args: ['monitor'], env: env(bigUp.root, { OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' }) },
  );
}

console.log(`target 4 LUN x 4 ACL (${runs} runs) and ${big} (1 run) on the configfs emulator (tmpfs), in process, median wall time; ${loadLine()}`);
console.log(`${'step'.padEnd(26)} ${'median ms'.padStart(10)} ${'min'.padStart(7)} ${'max'.padStart(7)}   configfs ops (mutating: mkdir/rmdir/symlink/unlink/write; reads)`);
for (const [name, r] of rows) {
  const o = r.ops;
  const ops = o ? `${String(o.ops).padStart(4)} total, ${String(o.mutating).padStart(3)} mutating (${o.mkdir}/${o.rmdir}/${o.symlink}/${o.unlink}/${o.write}), ${o.read} reads` : '';
  console.log(`${name.padEnd(26)} ${median(r.ms).toFixed(1).padStart(10)} ${Math.min(...r.ms).toFixed(1).padStart(7)} ${Math.max(...r.ms).toFixed(1).padStart(7)}   ${ops}`);
}
const s = rows.get('start (create)'), st = rows.get('stop');
if (s && st) console.log(`ratio start/stop (in process): ${(median(s.ms) / median(st.ms)).toFixed(2)}`);

if (agentRuns.length) {
  console.log(`\nbuilt agent vs ${NODE_FLOOR}, ${runs} interleaved rounds; ${loadLine()}`);
  report(measure(agentRuns, runs), NODE_FLOOR, { 'agent monitor': 1.3, 'agent monitor depth 10': 1.6, 'agent probe (stopped)': 1.3 });
}
