/**
 * The agents' V8 code caches (the launcher written by scripts/build.ts): one per kind of action (start,
 * stop, the rest), each made by the first run of its kind when missing or rejected (a node whose Node.js
 * is not the build's), and left alone when valid. With one shared cache, the first probe on such a node
 * decided what start and stop found compiled, for good.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentDir } from '../helpers/agent.js';

const built = existsSync(join(agentDir, '.lioha', 'dummy.js'));
const work = mkdtempSync(join(tmpdir(), 'lioha-code-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The built dummy agent and its bundle, without any code cache. */
function install(): string {
  const dir = mkdtempSync(join(work, 'agents-'));
  mkdirSync(join(dir, '.lioha'));
  copyFileSync(join(agentDir, 'dummy'), join(dir, 'dummy'));
  copyFileSync(join(agentDir, '.lioha', 'dummy.js'), join(dir, '.lioha', 'dummy.js'));
  return dir;
}

function run(dir: string, action: string, env: Record<string, string> = {}): number {
  const r = spawnSync('sh', [join(dir, 'dummy'), action], {
    env: { PATH: process.env.PATH ?? '', OCF_ROOT: '/usr/lib/ocf', LIOHA_ROOT: join(dir, 'root'), OCF_RESOURCE_INSTANCE: 'p_dummy', OCF_RESKEY_fake: 'x', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.status ?? -1;
}

/** Cache files by kind ("start", "stop", "monitor"). */
function caches(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(join(dir, '.lioha'))) {
    const m = /^dummy\.[0-9a-f]{12}\.(\w+)\.v8cache$/.exec(f);
    if (m) out.set(m[1]!, join(dir, '.lioha', f));
  }
  return out;
}

describe.skipIf(!built)(`agent code caches${built ? '' : ' (skipped: agents not built)'}`, () => {
  it('a probe makes the monitors\' cache only; start and stop each make their own on their first run', () => {
    const dir = install();
    expect(run(dir, 'monitor', { OCF_RESKEY_CRM_meta_interval: '0' })).toBe(7);
    expect([...caches(dir).keys()]).toEqual(['monitor']);
    const monitorCache = readFileSync(caches(dir).get('monitor')!);
    expect(run(dir, 'start')).toBe(0);
    expect([...caches(dir).keys()].sort()).toEqual(['monitor', 'start']);
    expect(run(dir, 'monitor', { OCF_RESKEY_CRM_meta_interval: '10000' })).toBe(0);
    expect(readFileSync(caches(dir).get('monitor')!).equals(monitorCache), 'a valid cache is not rewritten').toBe(true);
    expect(run(dir, 'stop')).toBe(0);
    expect([...caches(dir).keys()].sort()).toEqual(['monitor', 'start', 'stop']);
  });

  it('a rejected cache is written again by the next run of its kind, then kept', () => {
    const dir = install();
    expect(run(dir, 'start')).toBe(0);
    const file = caches(dir).get('start')!;
    writeFileSync(file, Buffer.from('not a V8 code cache'));
    expect(run(dir, 'stop')).toBe(0);
    expect(run(dir, 'start')).toBe(0);
    const rewritten = readFileSync(file);
    expect(rewritten.toString()).not.toBe('not a V8 code cache');
    const mtime = statSync(file).mtimeMs;
    expect(run(dir, 'stop')).toBe(0);
    expect(run(dir, 'start')).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('LIOHA_CODE_CACHE=0 writes none', () => {
    const dir = install();
    expect(run(dir, 'start', { LIOHA_CODE_CACHE: '0' })).toBe(0);
    expect(caches(dir).size).toBe(0);
  });
});
