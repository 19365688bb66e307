/**
 * Load-independent figures for the target, ddmap and discovery monitors: instructions executed (valgrind
 * callgrind's Ir, every thread) by each case and by the anchor `env -i node -e 0`. On a 2-core
 * machine shared with other work, CPU-time ratios swing by ±0.3 from round to round; instruction
 * counts do not depend on the load (they vary by ~2% with V8's background work). They are not
 * CPU time: cache misses and system calls are not in them, so read them next to bench:monitors.
 *
 * Each count has the median of all runs' V8 hash-seed set-ups in place of its own (bench/callgrind.ts):
 * that random work is most of the spread between runs. Before and after in the same run:
 *
 *   npm run build && npx tsx bench/instructions.ts [runs=3]
 *   BENCH_BEFORE=<other checkout>/dist npx tsx bench/instructions.ts   adds that build's agents
 *   BENCH_ONLY=ddmap,discovery npx tsx bench/instructions.ts          only the cases named so
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_MARKER } from '../lib/configfs/io.js';
import { builtAgentPath } from '../test/helpers/agent.js';
import { CaseRoots, ddmapCases, discoveryCases } from '../test/helpers/monitor-cases.js';
import { CONFIG, IQN, makeRoot } from '../test/target/setup.js';
import { instructions as count, requireCallgrind, steady, type Count } from './callgrind.js';
import { cleanEnv, loadLine, median } from './measure.js';

const runs = Number(process.argv[2] ?? 3);
requireCallgrind();

const ocf = { PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1', OCF_RESOURCE_INSTANCE: 'p_target', OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG };
const up = makeRoot();
const down = makeRoot();
process.on('exit', () => { up.cleanup(); down.cleanup(); });
// The same trees read through the backend production uses (node:fs): the emulator's marker removed
// after start (a node never loads the emulator, which does on tmpfs what the kernel does in memory).
const plain = makeRoot();
const plainDown = makeRoot();
process.on('exit', () => { plain.cleanup(); plainDown.cleanup(); });
const agent = builtAgentPath('target');
const s = spawnSync(agent, ['start'], { env: cleanEnv({ ...ocf, LIOHA_ROOT: up.root }), encoding: 'utf8' });
if (s.status !== 0) throw new Error(`target start: ${s.stderr}`);
const sp = spawnSync(agent, ['start'], { env: cleanEnv({ ...ocf, LIOHA_ROOT: plain.root }), encoding: 'utf8' });
if (sp.status !== 0) throw new Error(`target start: ${sp.stderr}`);
for (const f of [plain, plainDown]) rmSync(join(f.base, EMULATOR_MARKER));
// The node would run through the launcher's #!/bin/sh; valgrind follows node itself.
const node = process.execPath;
const cases: [string, string, string[], NodeJS.ProcessEnv, number, number?][] = [
  ['env -i node -e 0', node, ['-e', '0'], {}, 0],
  ['target monitor (4x4, emulator)', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: up.root, OCF_RESKEY_CRM_meta_interval: '10000' }, 0, 1.3],
  ['target monitor depth 10', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: up.root, OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' }, 0, 1.6],
  ['target probe', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: down.root, OCF_RESKEY_CRM_meta_interval: '0' }, 7, 1.3],
  ['target monitor, node:fs backend', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: plain.root, OCF_RESKEY_CRM_meta_interval: '10000' }, 0, 1.3],
  ['target monitor depth 10, node:fs', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: plain.root, OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' }, 0, 1.6],
  ['target probe, node:fs backend', node, [agent, 'monitor'], { ...ocf, LIOHA_ROOT: plainDown.root, OCF_RESKEY_CRM_meta_interval: '0' }, 7, 1.3],
];
// ddmap on the IET fixture and discovery with the built lioha-portald on loopback, as bench:monitors sets them up.
const roots = new CaseRoots(tmpdir(), 'lioha-instructions-');
process.on('exit', () => roots.cleanup());
const ddmap = await ddmapCases(roots);
const discovery = await discoveryCases(roots);
for (const c of [ddmap.monitor, ddmap.probe, discovery.startMonitor(), discovery.probe]) {
  // Under valgrind (~50x slower) on a loaded machine, the login probe's 3 s can run out: the op timeout a
  // slow node would set scales it (Deadline.step); the same code runs.
  const env = c.agent === 'discovery' ? { ...c.env, OCF_RESKEY_CRM_meta_timeout: '100000' } : c.env;
  cases.push([c.name, node, [builtAgentPath(c.agent), 'monitor'], env, c.code, c.depth === 10 ? 1.6 : 1.3]);
}
/** BENCH_ONLY=word,word: only the cases whose names hold one of the words (and the anchor). */
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
if (only) cases.splice(1, cases.length, ...cases.slice(1).filter(([name]) => only.some((w) => name.includes(w))));
/** BENCH_BEFORE=<another build's dist/>: its agents on the same resources, for before/after figures. */
const before = process.env.BENCH_BEFORE;
if (before) {
  for (const [name, cmd, [agent, ...rest], env, ok, goal] of cases.slice(1)) {
    cases.push([`${name} [before]`, cmd, [join(before, 'resource.d', 'lioha', agent!.slice(agent!.lastIndexOf('/') + 1)), ...rest], env, ok, goal]);
  }
}
// One untimed run each: the code caches and the monitor's configuration cache are in place, as on a node.
for (const [, cmd, args, env, ok] of cases) count(cmd, args, env, ok);
const raw = new Map<string, Count[]>(cases.map((c) => [c[0], []]));
for (let i = 0; i < runs; i++) for (const [name, cmd, args, env, ok] of cases) raw.get(name)!.push(count(cmd, args, env, ok));
const value = steady([...raw.values()].flat()); // the timed runs' seeds only
const counts = new Map([...raw].map(([name, cs]) => [name, cs.map(value)]));

process.stdout.write(`instructions (callgrind Ir, the median hash-seed set-up in each, median of ${runs}), node ${process.version}; ${loadLine()}\n`);
const floor = median(counts.get(cases[0]![0])!);
for (const [name, , , , , goal] of cases) {
  const xs = counts.get(name)!;
  const r = median(xs) / floor;
  const verdict = goal === undefined ? '' : `   goal <= ${goal.toFixed(2)}: ${r <= goal ? 'met' : 'NOT met'}`;
  process.stdout.write(`${name.padEnd(44)} ${(median(xs) / 1e6).toFixed(1).padStart(7)} M   x${r.toFixed(2)} (min ${(Math.min(...xs) / floor).toFixed(2)}, max ${(Math.max(...xs) / floor).toFixed(2)})${verdict}\n`);
}
