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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath, distDir } from '../test/helpers/agent.js';
import { freePort } from '../test/portald/harness.js';
import { doublesBin, prepareVgFixture } from '../test/doubles/fixture.js';
import { buildIetProc, makeVgDir, SAMPLE_TARGETS } from '../test/ddmap/iet-fixture.js';
import { CONFIG, IQN, makeRoot } from '../test/target/setup.js';
import { EMULATOR_MARKER } from '../lib/configfs/io.js';
import { cleanEnv, loadLine, measure, NODE_FLOOR, nodeFloor, report, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? 30);
const cleanups: (() => void)[] = [];
process.on('exit', () => cleanups.forEach((f) => f()));
const tmp = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `lioha-bench-${tag}-`));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
const ocf = { PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1' };
const RECURRING = { OCF_RESKEY_CRM_meta_interval: '10000' };
const PROBE = { OCF_RESKEY_CRM_meta_interval: '0' };
const DEPTH10 = { ...RECURRING, OCF_CHECK_LEVEL: '10' };

function setUp(agent: string, action: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(builtAgentPath(agent), [action], { env: cleanEnv(env), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${agent} ${action}: exit ${r.status}: ${r.stderr}`);
}

const cases: Case[] = [nodeFloor()];
const goals: Record<string, number> = {};
/** BENCH_BEFORE=<another build's dist/>: also run that build's agents in the same rounds, for before/after figures. */
const before = process.env.BENCH_BEFORE;
const add = (name: string, agent: string, env: NodeJS.ProcessEnv, ok: number, goal: number) => {
  cases.push({ name, cmd: builtAgentPath(agent), args: ['monitor'], env, ok: [ok] });
  goals[name] = goal;
  if (before) cases.push({ name: `${name} [before]`, cmd: join(before, 'resource.d', 'lioha', agent), args: ['monitor'], env, ok: [ok] });
};

// dummy
{
  const up = { ...ocf, LIOHA_ROOT: tmp('dummy'), OCF_RESOURCE_INSTANCE: 'bench', OCF_RESKEY_fake: 'x' };
  const down = { ...up, LIOHA_ROOT: tmp('dummy-down') };
  setUp('dummy', 'start', up);
  add('dummy monitor', 'dummy', { ...up, ...RECURRING }, 0, 1.3);
  add('dummy probe', 'dummy', { ...down, ...PROBE }, 7, 1.3);
}

// ddmap (IET fixture)
{
  const up = { ...ocf, LIOHA_ROOT: tmp('ddmap'), OCF_RESOURCE_INSTANCE: 'p_ddmap', OCF_RESKEY_vgname: 'vg_dsk_0' };
  const down = { ...up, LIOHA_ROOT: tmp('ddmap-down') };
  for (const r of [up.LIOHA_ROOT, down.LIOHA_ROOT]) {
    await buildIetProc(r, SAMPLE_TARGETS);
    await makeVgDir(r);
  }
  setUp('ddmap', 'start', up);
  add('ddmap monitor', 'ddmap', { ...up, ...RECURRING }, 0, 1.3);
  add('ddmap probe', 'ddmap', { ...down, ...PROBE }, 7, 1.3);
}

// vg (lvm, mount, dd... are command doubles)
{
  const base = { ...ocf, LIOHA_PATH: doublesBin, OCF_RESOURCE_INSTANCE: 'p_lvm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target' };
  const up = { ...base, LIOHA_ROOT: tmp('vg') };
  const down = { ...base, LIOHA_ROOT: tmp('vg-down') };
  prepareVgFixture(up.LIOHA_ROOT);
  prepareVgFixture(down.LIOHA_ROOT);
  setUp('vg', 'start', up);
  add('vg monitor', 'vg', { ...up, ...RECURRING }, 0, 1.3);
  add('vg monitor depth 10 (dd)', 'vg', { ...up, ...DEPTH10 }, 0, 1.6);
  add('vg probe', 'vg', { ...down, ...PROBE }, 7, 1.3);
}

// discovery: lioha-portald on a loopback port; its monitor logs in there (the back-end port has no listener:
// a login to the discovery portal does not reach the back-ends)
{
  const dir = tmp('discovery');
  const port = await freePort();
  writeFileSync(join(dir, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port, backends: [`127.0.0.1:${await freePort()}`] }] }));
  const params = (d: string) => ({
    OCF_RESKEY_config: join(dir, 'portald.json'), OCF_RESKEY_daemon: join(distDir, 'bin', 'lioha-portald'),
    OCF_RESKEY_pidfile: join(d, 'portald.pid'), OCF_RESKEY_logfile: join(d, 'portald.log'),
  });
  const up = { ...ocf, LIOHA_ROOT: '/', OCF_RESOURCE_INSTANCE: 'p_discovery', ...params(dir) };
  setUp('discovery', 'start', up);
  cleanups.unshift(() => setUp('discovery', 'stop', up));
  add('discovery monitor', 'discovery', { ...up, ...RECURRING }, 0, 1.3);
  add('discovery probe', 'discovery', { ...up, ...params(tmp('discovery-down')), ...PROBE }, 7, 1.3);
}

// target (4 LUN x 4 ACL on the configfs emulator)
{
  const fx = makeRoot();
  const fxDown = makeRoot();
  cleanups.push(fx.cleanup, fxDown.cleanup);
  const base = { ...ocf, OCF_RESOURCE_INSTANCE: 'p_target', OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG };
  const up = { ...base, LIOHA_ROOT: fx.root };
  setUp('target', 'start', up);
  cleanups.unshift(() => setUp('target', 'stop', up));
  add('target monitor', 'target', { ...up, ...RECURRING }, 0, 1.3);
  add('target monitor depth 10', 'target', { ...up, ...DEPTH10 }, 0, 1.6);
  add('target probe', 'target', { ...base, LIOHA_ROOT: fxDown.root, ...PROBE }, 7, 1.3);
  // The same trees read by the backend production uses (node:fs, lib/configfs/node-backend.ts)
  // instead of the emulator, which a node never loads: the emulator's marker removed after start.
  const plain = makeRoot();
  const plainDown = makeRoot();
  cleanups.push(plain.cleanup, plainDown.cleanup);
  setUp('target', 'start', { ...base, LIOHA_ROOT: plain.root });
  for (const f of [plain, plainDown]) rmSync(join(f.base, EMULATOR_MARKER));
  add('target monitor, node:fs backend', 'target', { ...base, LIOHA_ROOT: plain.root, ...RECURRING }, 0, 1.3);
  add('target monitor depth 10, node:fs backend', 'target', { ...base, LIOHA_ROOT: plain.root, ...DEPTH10 }, 0, 1.6);
  add('target probe, node:fs backend', 'target', { ...base, LIOHA_ROOT: plainDown.root, ...PROBE }, 7, 1.3);
}

process.stdout.write(`monitors and probes vs ${NODE_FLOOR}: ${rounds} interleaved rounds, node ${process.version}, CPU and wall time\n`);
process.stdout.write(`before: ${loadLine()}\n`);
const t = measure(cases, rounds);
report(t, NODE_FLOOR, goals);
process.stdout.write(`after: ${loadLine()}\n`);
