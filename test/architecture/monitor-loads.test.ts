/**
 * Pacemaker forks an agent for every monitor, so a monitor loads no Node module it does not use.
 * Each built agent's monitor and probe runs out of process with a preload that reports the Node
 * built-ins the run loaded beyond a bare start (process.moduleLoadList); none of the heavy ones below
 * may appear. vg's depth-10 monitor forks dd (node:child_process) by design and is not checked here;
 * discovery's monitor logs in to its daemon through node:net, which needs node:stream, and nothing else
 * heavy (no node:crypto: a discovery login without CHAP needs none).
 * The preload also reports whether the run created process.stdout or process.stderr: each is a
 * stream (node:net's for a pipe, as Pacemaker's), and an agent writes its few lines to the descriptors.
 * The cases are set up by test/helpers/monitor-cases.ts, the same ones bench/monitors.ts times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtAgentPath } from '../helpers/agent.js';
import { CaseRoots, ddmapCases, discoveryCases, dummyCases, targetCases, vgCases, type MonitorCase } from '../helpers/monitor-cases.js';

/** Built-ins a monitor must not load: each costs several ms of CPU per fork. */
const HEAVY = ['fs/promises', 'module', 'perf_hooks', 'child_process', 'crypto', 'stream'];

const PRELOAD = `const base = new Set(process.moduleLoadList);
const touched = [];
for (const name of ['stdout', 'stderr']) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, { configurable: true, enumerable: d.enumerable, get() { touched.push(name); Object.defineProperty(process, name, d); return process[name]; } });
}
process.on('exit', () => {
  const extra = process.moduleLoadList.filter((m) => !base.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13));
  require('fs').writeSync(2, 'LIOHA-LOADED ' + JSON.stringify({ extra, touched }) + '\\n');
});
`;

let dir: string;
let preload: string;
let roots: CaseRoots;

/** The built-ins `node <args>` loaded beyond a bare start, the stdio streams it created, and its exit code. */
function loaded(args: string[], env: NodeJS.ProcessEnv): { code: number; modules: string[]; stdio: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', preload, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LIOHA-LOADED '));
  const report = line ? (JSON.parse(line.slice(13)) as { extra: string[]; touched: string[] }) : { extra: ['(no report)'], touched: ['(no report)'] };
  return { code: r.status ?? -1, modules: report.extra, stdio: report.touched, stderr: r.stderr };
}
const heavy = (modules: string[]) => modules.filter((m) => HEAVY.includes(m));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lioha-loads-'));
  preload = join(dir, 'report-loads.cjs');
  writeFileSync(preload, PRELOAD);
  roots = new CaseRoots(dir);
});
afterAll(() => {
  try {
    roots.cleanup();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('what a monitor loads', () => {
  it('the report sees a heavy module when one is loaded (so the checks below can fail)', () => {
    writeFileSync(join(dir, 'heavy.js'), "require('node:fs/promises'); require('node:child_process');");
    const r = loaded([join(dir, 'heavy.js')], {});
    expect(heavy(r.modules)).toEqual(expect.arrayContaining(['fs/promises', 'child_process', 'stream']));
    writeFileSync(join(dir, 'empty.js'), '');
    expect(heavy(loaded([join(dir, 'empty.js')], {}).modules)).toEqual([]);
    expect(loaded([join(dir, 'empty.js')], {}).stdio).toEqual([]);
    writeFileSync(join(dir, 'stderr.js'), "process.stderr; require('node:crypto');");
    const s = loaded([join(dir, 'stderr.js')], {});
    expect(s.stdio).toEqual(['stderr']);
    expect(heavy(s.modules)).toContain('crypto');
  });

  /**
   * c's monitor exits with code (0 running, 7 stopped), loads no heavy built-in (but those in
   * `allowed`) and creates neither process.stdout nor process.stderr.
   */
  const check = (c: MonitorCase, code: 0 | 7, allowed: string[] = []) => {
    const r = loaded([builtAgentPath(c.agent), 'monitor'], c.env);
    expect(r.code, `${c.name}: ${r.stderr}`).toBe(code);
    expect(heavy(r.modules).filter((m) => !allowed.includes(m)), c.name).toEqual([]);
    expect(r.stdio, `${c.name} created these stdio streams`).toEqual([]);
    return r;
  };

  it('dummy monitor and probe', () => {
    const c = dummyCases(roots);
    check(c.monitor, 0);
    check(c.probe, 7);
  });

  it('ddmap monitor and probe (IET)', async () => {
    const c = await ddmapCases(roots);
    check(c.monitor, 0);
    check(c.probe, 7);
  });

  it('vg monitor at depth 0 and probe', () => {
    const c = vgCases(roots);
    check(c.monitor, 0);
    check(c.probe, 7);
  });

  it('target monitor at depth 0 and 10, and probe', () => {
    const c = targetCases(roots);
    check(c.monitor, 0);
    check(c.depth10, 0);
    check(c.probe, 7);
  });

  it('discovery probe, and monitor of a running daemon: node:net (and the node:stream it needs), no node:crypto', async () => {
    const c = await discoveryCases(roots);
    check(c.probe, 7);
    const r = check(c.startMonitor(), 0, ['stream']);
    expect(r.modules).toContain('net'); // it did log in
  });
});
