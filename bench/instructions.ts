/**
 * Load-independent figures for the target agent's monitors: instructions executed (valgrind
 * callgrind's Ir, every thread) by each case and by the anchor `env -i node -e 0`. On a 2-core
 * machine shared with other work, CPU-time ratios swing by ±0.3 from round to round; instruction
 * counts do not depend on the load (they vary by ~2% with V8's background work). They are not
 * CPU time: cache misses and system calls are not in them, so read them next to bench:monitors.
 *
 *   npm run build && npx tsx bench/instructions.ts [runs=3]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_MARKER } from '../lib/configfs/io.js';
import { builtAgentPath } from '../test/helpers/agent.js';
import { CONFIG, IQN, makeRoot } from '../test/target/setup.js';
import { cleanEnv, loadLine, median } from './measure.js';

const runs = Number(process.argv[2] ?? 3);
if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is needed (apt-get install valgrind)');

function instructions(cmd: string, args: string[], env: NodeJS.ProcessEnv, ok: number): number {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', cmd, ...args], { env: cleanEnv(env), encoding: 'utf8' });
  if (r.status !== ok) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-300)}`);
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no callgrind total for ${cmd}`);
  return Number(m[1]);
}

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
// One untimed run each: the code caches and the monitor's configuration cache are in place, as on a node.
for (const [, cmd, args, env, ok] of cases) instructions(cmd, args, env, ok);
const counts = new Map<string, number[]>(cases.map((c) => [c[0], []]));
for (let i = 0; i < runs; i++) for (const [name, cmd, args, env, ok] of cases) counts.get(name)!.push(instructions(cmd, args, env, ok));

process.stdout.write(`instructions (callgrind Ir, median of ${runs}), node ${process.version}; ${loadLine()}\n`);
const floor = median(counts.get(cases[0]![0])!);
for (const [name, , , , , goal] of cases) {
  const xs = counts.get(name)!;
  const r = median(xs) / floor;
  const verdict = goal === undefined ? '' : `   goal <= ${goal.toFixed(2)}: ${r <= goal ? 'met' : 'NOT met'}`;
  process.stdout.write(`${name.padEnd(34)} ${(median(xs) / 1e6).toFixed(1).padStart(7)} M   x${r.toFixed(2)} (min ${(Math.min(...xs) / floor).toFixed(2)}, max ${(Math.max(...xs) / floor).toFixed(2)})${verdict}\n`);
}
