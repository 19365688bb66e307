/**
 * The built vg agent, out of process as Pacemaker runs it, against the
 * command-double fixture (lvm, mount, dd... are doubles): probe (inactive),
 * monitor at depth 0 and depth 10 (dd of one block), start and stop, with
 * `env -i node -e 0` as the anchor, all cases interleaved in every round.
 *   npm run bench:vg [rounds=15]        (npm run build first)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { doublesBin, prepareVgFixture } from '../test/doubles/fixture.js';
import { cleanEnv, loadLine, measure, NODE_FLOOR, nodeFloor, report, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? process.env.N ?? 15);
const up = mkdtempSync(join(tmpdir(), 'vg-bench-'));
const down = mkdtempSync(join(tmpdir(), 'vg-bench-down-'));
const cycle = mkdtempSync(join(tmpdir(), 'vg-bench-cycle-'));
for (const r of [up, down, cycle]) prepareVgFixture(r);
process.on('exit', () => [up, down, cycle].forEach((r) => rmSync(r, { recursive: true, force: true })));

const agent = builtAgentPath('vg');
const env = (root: string, extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH, LIOHA_ROOT: root, LIOHA_PATH: doublesBin, OCF_ROOT: '/usr/lib/ocf',
  OCF_RESOURCE_INSTANCE: 'p_lvm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target', ...extra,
});
/** Puts the cycle fixture into a state, untimed (start is measured from stopped, stop from started). */
const put = (action: 'start' | 'stop') => () => {
  const r = spawnSync(agent, [action], { env: cleanEnv(env(cycle)), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vg ${action}: exit ${r.status}: ${r.stderr}`);
};
put('start')();
spawnSync(agent, ['start'], { env: cleanEnv(env(up)) });

const cases: Case[] = [
  nodeFloor(),
  { name: 'monitor probe, inactive -> 7', cmd: agent, args: ['monitor'], env: env(down, { OCF_RESKEY_CRM_meta_interval: '0' }), ok: [7] },
  { name: 'monitor depth 0, active -> 0', cmd: agent, args: ['monitor'], env: env(up, { OCF_RESKEY_CRM_meta_interval: '30000' }) },
  { name: 'monitor depth 10 (dd 1 block)', cmd: agent, args: ['monitor'], env: env(up, { OCF_RESKEY_CRM_meta_interval: '30000', OCF_CHECK_LEVEL: '10' }) },
  { name: 'start (doubles: 7 commands)', cmd: agent, args: ['start'], env: env(cycle), before: put('stop') },
  { name: 'stop (doubles: 2 commands)', cmd: agent, args: ['stop'], env: env(cycle), before: put('start') },
];
process.stdout.write(`vg agent vs ${NODE_FLOOR}: ${rounds} interleaved rounds, node ${process.version}; ${loadLine()}\n`);
report(measure(cases, rounds), NODE_FLOOR, { 'monitor probe, inactive -> 7': 1.3, 'monitor depth 0, active -> 0': 1.3, 'monitor depth 10 (dd 1 block)': 1.6 });
process.stdout.write(`${loadLine()}\n`);
