/**
 * Startup cost of an agent: `meta-data` and `monitor` of the example agent
 * against the floor (`node -e 0`) and against the stock shell agent
 * ocf:heartbeat:Dummy, from one interleaved run. Usage: npm run bench:startup [rounds]
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { measure, median, report, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? 40);
const dummy = builtAgentPath('dummy');
const root = mkdtempSync(join(tmpdir(), 'lioha-bench-'));
const ocfEnv = { ...process.env, OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'bench', LIOHA_ROOT: root };
const stock = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

const cases: Case[] = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
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
report(t, 'node -e 0');
const ratio = median(t.get('lioha dummy monitor')!) / median(t.get('node -e 0')!);
process.stdout.write(`\nmonitor / node -e 0 = ${ratio.toFixed(2)} (goal <= 1.30)\n`);
