/**
 * Every monitor and probe of the built agents that run without root (dummy,
 * ddmap, vg with command doubles, discovery with the built lioha-portald on loopback, target on the configfs emulator and on the same
 * tree read through the node:fs backend production uses), at depth 0 and 10, against `env -i node -e 0`, all in one interleaved run. portal's
 * monitor is measured against IPaddr2 by bench:portal (it needs a namespace).
 *
 *   npm run bench:monitors [rounds=30]        (npm run build first)
 *   BENCH_BEFORE=<other checkout>/dist npm run bench:monitors   adds that build's agents to the same rounds
 * Goals (issue 17): every monitor and probe <= 1.3x at depth 0, <= 1.6x at depth 10.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { CaseRoots, ddmapCases, discoveryCases, dummyCases, targetCases, vgCases, type MonitorCase } from '../test/helpers/monitor-cases.js';
import { loadLine, measure, NODE_FLOOR, nodeFloor, report, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? 30);
// The cases (roots, environments, started resources) are the ones test/architecture/monitor-loads.test.ts checks.
const roots = new CaseRoots(tmpdir(), 'lioha-bench-');
process.on('exit', () => roots.cleanup());

const cases: Case[] = [nodeFloor()];
const goals: Record<string, number> = {};
/** BENCH_BEFORE=<another build's dist/>: also run that build's agents in the same rounds, for before/after figures. */
const before = process.env.BENCH_BEFORE;
const add = (c: MonitorCase) => {
  cases.push({ name: c.name, cmd: builtAgentPath(c.agent), args: ['monitor'], env: c.env, ok: [c.code] });
  goals[c.name] = c.depth === 10 ? 1.6 : 1.3;
  if (before) cases.push({ name: `${c.name} [before]`, cmd: join(before, 'resource.d', 'lioha', c.agent), args: ['monitor'], env: c.env, ok: [c.code] });
};
const addAll = (cs: Record<string, MonitorCase>) => Object.values(cs).forEach(add);

addAll(dummyCases(roots));
addAll(await ddmapCases(roots));
addAll(vgCases(roots)); // lvm, mount, dd... are command doubles
const discovery = await discoveryCases(roots); // lioha-portald on a loopback port
add(discovery.startMonitor());
add(discovery.probe);
addAll(targetCases(roots)); // 4 LUN x 4 ACL on the configfs emulator
addAll(targetCases(roots, 'node:fs')); // the same trees read by the backend production uses

process.stdout.write(`monitors and probes vs ${NODE_FLOOR}: ${rounds} interleaved rounds, node ${process.version}, CPU and wall time\n`);
process.stdout.write(`before: ${loadLine()}\n`);
const t = measure(cases, rounds);
report(t, NODE_FLOOR, goals);
process.stdout.write(`after: ${loadLine()}\n`);
