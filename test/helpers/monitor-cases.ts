/**
 * The running and stopped monitor cases of the built agents that run without root, set up the way
 * Pacemaker leaves them (started, or never started for a probe): dummy, ddmap on the IET fixture,
 * vg with its command doubles, target on the configfs emulator (or read through the node:fs backend),
 * discovery with the built lioha-portald on loopback. One home for both users:
 * test/architecture/monitor-loads.test.ts (what a monitor loads) and bench/monitors.ts (what it costs).
 * Test support only: tests and benchmarks import it, product code never does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_MARKER } from '../../lib/configfs/io.js';
import { buildIetProc, makeVgDir, SAMPLE_TARGETS } from '../ddmap/iet-fixture.js';
import { doublesBin, prepareVgFixture } from '../doubles/fixture.js';
import { freePort } from '../portald/harness.js';
import { CONFIG, IQN, makeRoot } from '../target/setup.js';
import { builtAgentPath, distDir } from './agent.js';

type Env = NodeJS.ProcessEnv;

/** What Pacemaker puts in every agent's environment (and nothing of the caller's but PATH). */
export const OCF_ENV = { PATH: process.env.PATH, OCF_ROOT: '/usr/lib/ocf', OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1' };
export const RECURRING = { OCF_RESKEY_CRM_meta_interval: '10000' };
export const PROBE = { OCF_RESKEY_CRM_meta_interval: '0' };
export const DEPTH10 = { ...RECURRING, OCF_CHECK_LEVEL: '10' };

/** One `<agent> monitor` run: the environment it runs in and the exit code it must give. */
export interface MonitorCase {
  /** As the benchmark table shows it, e.g. 'vg monitor depth 10 (dd)'. */
  name: string;
  agent: string;
  env: Env;
  /** 0 for a running resource, 7 for a probe of a stopped one. */
  code: 0 | 7;
  depth: 0 | 10;
}

const monitorCase = (name: string, agent: string, env: Env, code: 0 | 7, depth: 0 | 10 = 0): MonitorCase => ({ name, agent, env, code, depth });

/**
 * The directories the cases live in and what must be undone afterwards: cleanup() first stops what
 * was started (last started, first stopped), then removes the directories.
 */
export class CaseRoots {
  private readonly stops: (() => void)[] = [];
  private readonly removals: (() => void)[] = [];

  constructor(private readonly parent: string, private readonly prefix = 'lioha-') {}

  /** A fresh directory, removed by cleanup(). */
  dir(tag: string): string {
    const d = mkdtempSync(join(this.parent, `${this.prefix}${tag}-`));
    this.removals.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  /** A target fixture root (tests' makeRoot), removed by cleanup(). */
  targetRoot(): ReturnType<typeof makeRoot> {
    const fx = makeRoot();
    this.removals.push(fx.cleanup);
    return fx;
  }

  /** Runs `<agent> <action>` (it must succeed); with stopAtCleanup, cleanup() runs `<agent> stop` in the same environment. */
  act(agent: string, action: 'start' | 'stop', env: Env, stopAtCleanup = false): void {
    const r = spawnSync(builtAgentPath(agent), [action], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${agent} ${action}: exit ${r.status}: ${r.stderr}`);
    if (stopAtCleanup) this.stops.unshift(() => this.act(agent, 'stop', env, false));
  }

  /** Undoes everything; every step runs even when one fails, and the first failure is thrown at the end. */
  cleanup(): void {
    const errors: unknown[] = [];
    for (const f of [...this.stops.splice(0), ...this.removals.splice(0)]) {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

export function dummyCases(roots: CaseRoots): { monitor: MonitorCase; probe: MonitorCase } {
  const up = { ...OCF_ENV, LIOHA_ROOT: roots.dir('dummy'), OCF_RESOURCE_INSTANCE: 'p_dummy', OCF_RESKEY_fake: 'x' };
  const down = { ...up, LIOHA_ROOT: roots.dir('dummy-down') };
  roots.act('dummy', 'start', up);
  return {
    monitor: monitorCase('dummy monitor', 'dummy', { ...up, ...RECURRING }, 0),
    probe: monitorCase('dummy probe', 'dummy', { ...down, ...PROBE }, 7),
  };
}

/** ddmap on the IET fixture: /proc/net/iet with the sample targets and the VG's state directory. */
export async function ddmapCases(roots: CaseRoots): Promise<{ monitor: MonitorCase; probe: MonitorCase }> {
  const up = { ...OCF_ENV, LIOHA_ROOT: roots.dir('ddmap'), OCF_RESOURCE_INSTANCE: 'p_ddmap', OCF_RESKEY_vgname: 'vg_dsk_0' };
  const down = { ...up, LIOHA_ROOT: roots.dir('ddmap-down') };
  for (const r of [up.LIOHA_ROOT, down.LIOHA_ROOT]) {
    await buildIetProc(r, SAMPLE_TARGETS);
    await makeVgDir(r);
  }
  roots.act('ddmap', 'start', up);
  return {
    monitor: monitorCase('ddmap monitor', 'ddmap', { ...up, ...RECURRING }, 0),
    probe: monitorCase('ddmap probe', 'ddmap', { ...down, ...PROBE }, 7),
  };
}

/** vg with lvm, mount, dd... as command doubles; its depth-10 monitor forks dd by design. */
export function vgCases(roots: CaseRoots): { monitor: MonitorCase; depth10: MonitorCase; probe: MonitorCase } {
  const base = { ...OCF_ENV, LIOHA_PATH: doublesBin, OCF_RESOURCE_INSTANCE: 'p_lvm', OCF_RESKEY_vgname: 'vg1', OCF_RESKEY_metadata_lv: 'lv_iscsi_target' };
  const up = { ...base, LIOHA_ROOT: roots.dir('vg') };
  const down = { ...base, LIOHA_ROOT: roots.dir('vg-down') };
  prepareVgFixture(up.LIOHA_ROOT);
  prepareVgFixture(down.LIOHA_ROOT);
  roots.act('vg', 'start', up);
  return {
    monitor: monitorCase('vg monitor', 'vg', { ...up, ...RECURRING }, 0),
    depth10: monitorCase('vg monitor depth 10 (dd)', 'vg', { ...up, ...DEPTH10 }, 0, 10),
    probe: monitorCase('vg probe', 'vg', { ...down, ...PROBE }, 7),
  };
}

/**
 * target, 4 LUN x 4 ACL, on the configfs emulator; with backend 'node:fs' the same trees are read
 * through the backend production uses (lib/configfs/node-backend.ts), which a node runs instead of
 * the emulator: the emulator's marker is removed after start (and the target is not stopped then).
 */
export function targetCases(roots: CaseRoots, backend: 'emulator' | 'node:fs' = 'emulator'): { monitor: MonitorCase; depth10: MonitorCase; probe: MonitorCase } {
  const fx = roots.targetRoot();
  const fxDown = roots.targetRoot();
  const base = { ...OCF_ENV, OCF_RESOURCE_INSTANCE: 'p_target', OCF_RESKEY_iqn: IQN, OCF_RESKEY_config: CONFIG };
  const up = { ...base, LIOHA_ROOT: fx.root };
  const plain = backend === 'node:fs';
  roots.act('target', 'start', up, !plain); // a node:fs tree is removed, not stopped (its emulator marker is gone)
  if (plain) for (const f of [fx, fxDown]) rmSync(join(f.base, EMULATOR_MARKER));
  const suffix = plain ? ', node:fs backend' : '';
  return {
    monitor: monitorCase(`target monitor${suffix}`, 'target', { ...up, ...RECURRING }, 0),
    depth10: monitorCase(`target monitor depth 10${suffix}`, 'target', { ...up, ...DEPTH10 }, 0, 10),
    probe: monitorCase(`target probe${suffix}`, 'target', { ...base, LIOHA_ROOT: fxDown.root, ...PROBE }, 7),
  };
}

/**
 * discovery: a lioha-portald configuration on a free loopback port (its back-end port has no listener:
 * a login to the discovery portal does not reach the back-ends). The probe needs no daemon;
 * startMonitor() starts the built lioha-portald (stopped by cleanup()) and gives the monitor case.
 */
export async function discoveryCases(roots: CaseRoots): Promise<{ probe: MonitorCase; startMonitor: () => MonitorCase }> {
  const dir = roots.dir('discovery');
  const port = await freePort();
  writeFileSync(join(dir, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port, backends: [`127.0.0.1:${await freePort()}`] }] }));
  const params = (d: string) => ({
    OCF_RESKEY_config: join(dir, 'portald.json'), OCF_RESKEY_daemon: join(distDir, 'bin', 'lioha-portald'),
    OCF_RESKEY_pidfile: join(d, 'portald.pid'), OCF_RESKEY_logfile: join(d, 'portald.log'),
  });
  const up = { ...OCF_ENV, LIOHA_ROOT: '/', OCF_RESOURCE_INSTANCE: 'p_discovery', ...params(dir) };
  return {
    probe: monitorCase('discovery probe', 'discovery', { ...up, ...params(roots.dir('discovery-down')), ...PROBE }, 7),
    startMonitor: () => {
      roots.act('discovery', 'start', up, true);
      return monitorCase('discovery monitor', 'discovery', { ...up, ...RECURRING }, 0);
    },
  };
}
