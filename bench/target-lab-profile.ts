/**
 * Reads what test/lab/tests/41-target-profile-overhead.sh left (bench/target-lab-profile.sh runs it):
 * the V8 CPU profiles of the target agent's start and stop on the real kernel, and the timed rounds.
 * Prints, per action, the median share of each phase (inclusive time of named functions, from the
 * sampled stacks) and the functions with the most self time, then the rounds' medians and ratios.
 *
 *   npx tsx bench/target-lab-profile.ts <result dir of 41-target-profile-overhead>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './measure.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Phases worth naming: what start and stop are made of (function names survive the bundle's minifier). */
const PHASES = [
  'loadDesired', 'readDesiredCache', 'writeDesiredCache', 'readLive', 'planReconcile', 'planTeardown', 'applyPlan',
  'applyInChild', 'differenceAfterStart', 'firstDifference', 'withLock', 'preparePr', 'ensureFabric', 'claims',
  'readFileSync', 'mkdirSync', 'writeSync', 'openSync', 'readdirSync', 'symlinkSync', 'readlinkSync', 'lstatSync',
  'rmdirSync', 'unlinkSync', 'spawn', 'runInThisContext', '(garbage collector)', '(program)', '(idle)',
];

function analyse(p: Profile): { totalMs: number; inclusive: Map<string, number>; self: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const leaf = byId.get(id)!;
    const key = `${leaf.callFrame.functionName || '(anonymous)'}${leaf.callFrame.url ? `@${leaf.callFrame.url.split('/').pop()}:${leaf.callFrame.lineNumber}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = byId.get(n)!.callFrame.functionName;
      if (PHASES.includes(name) && !seen.has(name)) { seen.add(name); inclusive.set(name, (inclusive.get(name) ?? 0) + dt); }
    }
  });
  return { totalMs: (p.endTime - p.startTime) / 1000, inclusive, self };
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: target-lab-profile.ts <result dir>');
for (const action of ['start', 'stop']) {
  const runs = readdirSync(dir).filter((d) => d.startsWith(`prof-${action}-`)).flatMap((d) =>
    readdirSync(join(dir, d)).filter((f) => f.endsWith('.cpuprofile')).map((f) => analyse(JSON.parse(readFileSync(join(dir, d, f), 'utf8')) as Profile)));
  if (!runs.length) { console.log(`${action}: no profiles`); continue; }
  const total = median(runs.map((r) => r.totalMs));
  console.log(`\n${action}: ${runs.length} profiles, median profiled time ${total.toFixed(0)} ms (from the bundle's first line to exit)`);
  console.log('  phase (inclusive)                 median ms   share');
  for (const ph of PHASES) {
    const v = median(runs.map((r) => r.inclusive.get(ph) ?? 0));
    if (v >= 1) console.log(`  ${ph.padEnd(32)} ${v.toFixed(0).padStart(9)}   ${((100 * v) / total).toFixed(0).padStart(4)} %`);
  }
  const selfTotals = new Map<string, number[]>();
  for (const r of runs) for (const [k, v] of r.self) selfTotals.set(k, [...(selfTotals.get(k) ?? []), v]);
  const top = [...selfTotals].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / runs.length] as const).sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log('  most self time (mean ms)');
  for (const [k, v] of top) console.log(`    ${v.toFixed(0).padStart(6)}  ${k.slice(0, 90)}`);
}
// Phase times from the agent's debug records: launch (shell clock) -> each record (its ISO time) -> exit.
for (const action of ['start', 'stop']) {
  const files = readdirSync(dir).filter((f) => f.startsWith(`phases-${action}-`));
  if (!files.length) continue;
  const steps = new Map<string, number[]>();
  for (const f of files) {
    let last: number | undefined;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const shell = /^(launch|exit) (\d+)$/.exec(line);
      const rec = /^(\S+Z) lioha-\S+ [A-Z]+: ([^=]*?)(?: \S+=|$)/.exec(line);
      const t = shell ? Number(shell[2]) : rec ? Date.parse(rec[1]!) : undefined;
      if (t === undefined) continue;
      const label = shell ? shell[1]! : rec![2]!.replace(/\d+ operations/, 'N operations').slice(0, 48);
      if (last !== undefined) steps.set(`-> ${label}`, [...(steps.get(`-> ${label}`) ?? []), t - last]);
      last = t;
    }
  }
  console.log(`\n${action} phases (wall ms from the previous line, median of ${files.length}; the first is Node's start-up, the bundle and what runs before the first record):`);
  for (const [k, v] of steps) console.log(`  ${k.padEnd(52)} ${median(v).toFixed(0).padStart(6)}  (${v.join(', ')})`);
}
const metrics = new Map<string, number[]>();
for (const line of readFileSync(join(dir, 'metrics.txt'), 'utf8').split('\n')) {
  const [k, v] = line.split(' ');
  if (k && v && Number.isFinite(Number(v))) metrics.set(k, [...(metrics.get(k) ?? []), Number(v)]);
}
const m = (k: string) => median(metrics.get(k) ?? [NaN]);
console.log('\nrounds (median ms):');
for (const [k, v] of metrics) console.log(`  ${k.padEnd(28)} ${median(v).toFixed(0).padStart(7)}  (${v.join(', ')})`);
console.log(`agent start / targetctl restore ${(m('agent_start_ms') / m('targetctl_restore_ms')).toFixed(2)}x; stop / clear ${(m('agent_stop_ms') / m('targetctl_clear_ms')).toFixed(2)}x`);
console.log(`node -e 0 / python3 -c 0 ${(m('node_bare_ms') / m('python3_bare_ms')).toFixed(2)}x; node --jitless -e 0 / node -e 0 ${(m('node_jitless_bare_ms') / m('node_bare_ms')).toFixed(2)}x`);
if (metrics.has('ops_sh_start_ms')) {
  // Not a kernel floor for start: sh execs ln once per symlink (20 for the 4x4), and under TCG each exec
  // costs tens of ms. Stop's script is 3 calls (printf, rm, rmdir), so there it is close to the kernel's share.
  const ks = m('ops_sh_start_ms'), kt = m('ops_sh_stop_ms');
  console.log(`the same configfs operations from sh (mkdirs, rms and rmdirs batched, one ln per symlink): start ${ks.toFixed(0)} ms, stop ${kt.toFixed(0)} ms`);
  console.log(`  agent stop = node -e 0 ${m('node_bare_ms').toFixed(0)} + its sh child's work ${kt.toFixed(0)} + the rest ${(m('agent_stop_ms') - m('node_bare_ms') - kt).toFixed(0)} ms;` +
    ` targetctl clear = import rtslib_fb ${m('python3_import_rtslib_ms').toFixed(0)} + the rest ${(m('targetctl_clear_ms') - m('python3_import_rtslib_ms')).toFixed(0)} ms`);
}
if (metrics.has('start_kernel_ms')) {
  // The floor of any Node.js agent: Node's bare start-up plus the kernel's share (the operations alone, in process).
  const node = m('node_bare_ms'), ks = m('start_kernel_ms'), kt = m('stop_kernel_ms');
  const floorStart = (node + ks) / m('targetctl_restore_ms'), floorStop = (node + kt) / m('targetctl_clear_ms');
  console.log(`the operations alone, in process (the kernel's share): start ${ks.toFixed(0)} ms, stop ${kt.toFixed(0)} ms`);
  console.log(`floor of a Node.js agent (node -e 0 + those): start ${(node + ks).toFixed(0)} ms = ${floorStart.toFixed(2)}x restore; stop ${(node + kt).toFixed(0)} ms = ${floorStop.toFixed(2)}x clear`);
  console.log(`  the agent's own work above that floor: start ${(m('agent_start_ms') - node - ks).toFixed(0)} ms, stop ${(m('agent_stop_ms') - node - kt).toFixed(0)} ms`);
}
