/**
 * Start/stop of the 4 LUN x 4 ACL target (test/fixtures/target/saveconfig.json) on the configfs
 * emulator: configfs operation counts and wall times (median of N runs), in process (the work
 * itself) and through the built agent (what Pacemaker pays: fork + node startup + work).
 *   npx tsx bench/target-configfs.ts [runs=7]
 * On a real kernel compare with `targetctl restore`/`clear` (VM lab: 1.9-2.8 s / 1.4-2.4 s under TCG).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  // Baseline: the same fork + node startup for an agent that does no configfs work.
  const dummy = 'dist/resource.d/lioha/dummy';
  if (existsSync(dummy)) {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      spawnSync(dummy, ['monitor'], { env: { ...process.env, LIOHA_ROOT: '/nonexistent', OCF_RESKEY_fake: 'x' } });
      record('baseline: dummy monitor', performance.now() - t0);
    }
  }
}

const agent = 'dist/resource.d/lioha/target';
if (existsSync(agent)) {
  for (let i = 0; i < runs; i++) {
    const fx = makeRoot();
    const env = { ...process.env, LIOHA_ROOT: fx.root, OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG, OCF_RESOURCE_INSTANCE: 'bench' };
    for (const [name, action, extra] of [['agent start', 'start', {}], ['agent monitor', 'monitor', {}], ['agent monitor depth 10', 'monitor', { OCF_CHECK_LEVEL: '10' }], ['agent stop', 'stop', {}]] as const) {
      const t0 = performance.now();
      const r = spawnSync(agent, [action], { env: { ...env, ...extra }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${name}: ${r.status} ${r.stderr}`);
      record(name, performance.now() - t0);
    }
    fx.cleanup();
  }
  // Baseline: the same fork + node startup for an agent that does no configfs work.
  const dummy = 'dist/resource.d/lioha/dummy';
  if (existsSync(dummy)) {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      spawnSync(dummy, ['monitor'], { env: { ...process.env, LIOHA_ROOT: '/nonexistent', OCF_RESKEY_fake: 'x' } });
      record('baseline: dummy monitor', performance.now() - t0);
    }
  }
}

console.log(`target 4 LUN x 4 ACL on the configfs emulator (tmpfs), ${runs} runs, median wall time`);
console.log(`${'step'.padEnd(26)} ${'median ms'.padStart(10)} ${'min'.padStart(7)} ${'max'.padStart(7)}   configfs ops (mutating: mkdir/rmdir/symlink/unlink/write; reads)`);
for (const [name, r] of rows) {
  const o = r.ops;
  const ops = o ? `${String(o.ops).padStart(4)} total, ${String(o.mutating).padStart(3)} mutating (${o.mkdir}/${o.rmdir}/${o.symlink}/${o.unlink}/${o.write}), ${o.read} reads` : '';
  console.log(`${name.padEnd(26)} ${median(r.ms).toFixed(1).padStart(10)} ${Math.min(...r.ms).toFixed(1).padStart(7)} ${Math.max(...r.ms).toFixed(1).padStart(7)}   ${ops}`);
}
const s = rows.get('start (create)'), st = rows.get('stop');
if (s && st) console.log(`ratio start/stop (in process): ${(median(s.ms) / median(st.ms)).toFixed(2)}`);
