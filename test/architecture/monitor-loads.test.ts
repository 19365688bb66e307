/**
 * Pacemaker forks an agent for every monitor, so a monitor loads no Node module it does not use.
 * Each built agent's monitor and probe runs out of process with a preload that reports the Node
 * built-ins the run loaded beyond a bare start (process.moduleLoadList); none of the heavy ones below
 * may appear. vg's depth-10 monitor forks dd (node:child_process) by design and is not checked here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtAgentPath, distDir } from '../helpers/agent.js';
import { doublesBin, prepareVgFixture } from '../doubles/fixture.js';
import { buildIetProc, makeVgDir, SAMPLE_TARGETS } from '../ddmap/iet-fixture.js';
import { CONFIG, IQN, makeRoot } from '../target/setup.js';

/** Built-ins a monitor must not load: each costs several ms of CPU per fork. */
const HEAVY = ['fs/promises', 'module', 'perf_hooks', 'child_process', 'crypto', 'stream'];

const PRELOAD = `const base = new Set(process.moduleLoadList);
process.on('exit', () => {
  const extra = process.moduleLoadList.filter((m) => !base.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13));
  require('fs').writeSync(2, 'LIOHA-LOADED ' + JSON.stringify(extra) + '\\n');
});
`;

let dir: string;
let preload: string;
const cleanups: (() => void)[] = [];

/** The built-ins `node <args>` loaded beyond a bare start, and its exit code. */
function loaded(args: string[], env: NodeJS.ProcessEnv): { code: number; modules: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', preload, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LIOHA-LOADED '));
  return { code: r.status ?? -1, modules: line ? (JSON.parse(line.slice(13)) as string[]) : ['(no report)'], stderr: r.stderr };
}
const heavy = (modules: string[]) => modules.filter((m) => HEAVY.includes(m));

const ocf = { PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1' };
const RECURRING = { OCF_RESKEY_CRM_meta_interval: '10000' };
const PROBE = { OCF_RESKEY_CRM_meta_interval: '0' };
const tmp = (tag: string) => mkdtempSync(join(dir, `${tag}-`));

function setUp(agent: string, action: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(builtAgentPath(agent), [action], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${agent} ${action}: exit ${r.status}: ${r.stderr}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lioha-loads-'));
  preload = join(dir, 'report-loads.cjs');
  writeFileSync(preload, PRELOAD);
});
afterAll(() => {
  for (const f of cleanups) f();
  rmSync(dir, { recursive: true, force: true });
});

describe('what a monitor loads', () => {
  it('the report sees a heavy module when one is loaded (so the checks below can fail)', () => {
    writeFileSync(join(dir, 'heavy.js'), "require('node:fs/promises'); require('node:child_process');");
    const r = loaded([join(dir, 'heavy.js')], {});
    expect(heavy(r.modules)).toEqual(expect.arrayContaining(['fs/promises', 'child_process', 'stream']));
    writeFileSync(join(dir, 'empty.js'), '');
    expect(heavy(loaded([join(dir, 'empty.js')], {}).modules)).toEqual([]);
  });

  const check = (agent: string, env: NodeJS.ProcessEnv, code: number) => {
    const r = loaded([builtAgentPath(agent), 'monitor'], env);
    expect(r.code, r.stderr).toBe(code);
    expect(heavy(r.modules)).toEqual([]);
  };

  it('dummy monitor and probe', () => {
    const up = { ...ocf, LIOHA_ROOT: tmp('dummy'), OCF_RESOURCE_INSTANCE: 'loads', OCF_RESKEY_fake: 'x' };
    setUp('dummy', 'start', up);
    check('dummy', { ...up, ...RECURRING }, 0);
    check('dummy', { ...up, LIOHA_ROOT: tmp('dummy-down'), ...PROBE }, 7);
  });

  it('ddmap monitor and probe (IET)', async () => {
    const up = { ...ocf, LIOHA_ROOT: tmp('ddmap'), OCF_RESOURCE_INSTANCE: 'p_ddmap', OCF_RESKEY_vgname: 'vg_dsk_0' };
    const down = { ...up, LIOHA_ROOT: tmp('ddmap-down') };
    for (const r of [up.LIOHA_ROOT, down.LIOHA_ROOT]) {
      await buildIetProc(r, SAMPLE_TARGETS);
      await makeVgDir(r);
    }
    setUp('ddmap', 'start', up);
    check('ddmap', { ...up, ...RECURRING }, 0);
    check('ddmap', { ...down, ...PROBE }, 7);
  });

  it('vg monitor at depth 0 and probe', () => {
    const base = { ...ocf, LIOHA_PATH: doublesBin, OCF_RESOURCE_INSTANCE: 'p_lvm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target' };
    const up = { ...base, LIOHA_ROOT: tmp('vg') };
    const down = { ...base, LIOHA_ROOT: tmp('vg-down') };
    prepareVgFixture(up.LIOHA_ROOT);
    prepareVgFixture(down.LIOHA_ROOT);
    setUp('vg', 'start', up);
    check('vg', { ...up, ...RECURRING }, 0);
    check('vg', { ...down, ...PROBE }, 7);
  });

  it('target monitor at depth 0 and 10, and probe', () => {
    const fx = makeRoot();
    const down = makeRoot();
    cleanups.push(fx.cleanup, down.cleanup);
    const base = { ...ocf, OCF_RESOURCE_INSTANCE: 'p_target', OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG };
    const up = { ...base, LIOHA_ROOT: fx.root };
    setUp('target', 'start', up);
    cleanups.unshift(() => setUp('target', 'stop', up));
    check('target', { ...up, ...RECURRING }, 0);
    check('target', { ...up, ...RECURRING, OCF_CHECK_LEVEL: '10' }, 0);
    check('target', { ...base, LIOHA_ROOT: down.root, ...PROBE }, 7);
  });

  it('discovery probe', () => {
    const d = tmp('discovery');
    writeFileSync(join(d, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port: 3260, backends: ['127.0.0.1:3261'] }] }));
    check('discovery', {
      ...ocf, OCF_RESOURCE_INSTANCE: 'p_discovery', ...PROBE, OCF_RESKEY_config: join(d, 'portald.json'),
      OCF_RESKEY_daemon: join(distDir, 'bin', 'lioha-portald'), OCF_RESKEY_pidfile: join(d, 'portald.pid'), OCF_RESKEY_logfile: join(d, 'portald.log'),
    }, 7);
  });
});
