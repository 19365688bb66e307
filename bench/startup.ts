/**
 * Startup cost of an agent: `meta-data` and `monitor` of the example agent
 * against the floor (`node -e 0`) and against the stock shell agent
 * ocf:heartbeat:Dummy, from one interleaved run. Usage: npm run bench:startup [rounds]
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { loadLine, measure, NODE_FLOOR, nodeFloor, ratios, report, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? 40);
const dummy = builtAgentPath('dummy');
const root = mkdtempSync(join(tmpdir(), 'lioha-bench-'));
const ocfEnv = { ...process.env, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'bench', LIOHA_ROOT: root };
const stock = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

const cases: Case[] = [
  nodeFloor(),
  { name: 'lioha dummy meta-data', cmd: dummy, args: ['meta-data'], env: ocfEnv },
  { name: 'lioha dummy monitor', cmd: dummy, args: ['monitor'], env: { ...ocfEnv, OCF_RESKEY_CRM_meta_interval: '10000' }, ok: [7] },
];
if (existsSync(stock)) {
  const env = { ...ocfEnv, OCF_RESKEY_state: join(root, 'stock.state'), OCF_RESKEY_CRM_meta_interval: '10000' };
  cases.push({ name: 'heartbeat Dummy meta-data', cmd: stock, args: ['meta-data'], env });
  cases.push({ name: 'heartbeat Dummy monitor', cmd: stock, args: ['monitor'], env, ok: [7] });
}

process.stdout.write(`startup benchmark: ${rounds} interleaved rounds, node ${process.version}\n`);
const t = measure(cases, rounds);
report(t, NODE_FLOOR, { 'lioha dummy monitor': 1.3 });
const r = ratios(t.cpu, 'lioha dummy monitor', NODE_FLOOR);
process.stdout.write(`\nmonitor / ${NODE_FLOOR} (cpu) = ${r.median.toFixed(2)} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)}; goal <= 1.30); ${loadLine()}\n`);
