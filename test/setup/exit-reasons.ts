/**
 * Every exit reason the suite produces is checked (issue 14, item 6): built agents run through
 * node:child_process, so spawnSync, execFileSync and spawn are wrapped to collect the
 * `ocf-exit-reason:` lines of their stderr; in-process dispatch tests call recordReasons.
 * After each test file, any reason Pacemaker would cut or that is not verdict-first fails it.
 */
import cp from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, expect } from 'vitest';
import { reasonProblem, recordReasons, seenReasons } from '../helpers/reasons.js';

const mark = Symbol.for('lioha.reasonCollector');
const patched = cp as typeof cp & { [mark]?: boolean };
if (!patched[mark]) {
  patched[mark] = true;
  const name = (file: unknown, args: unknown) => [String(file), ...(Array.isArray(args) ? args.map(String) : [])].join(' ').slice(0, 120);
  const { spawnSync, execFileSync, spawn } = cp;
  cp.spawnSync = ((file: string, args?: unknown, opts?: unknown) => {
    const r = (spawnSync as (...a: unknown[]) => ReturnType<typeof cp.spawnSync>)(file, args, opts);
    recordReasons(r.stderr as string | Buffer | null, name(file, args));
    return r;
  }) as typeof cp.spawnSync;
  cp.execFileSync = ((file: string, args?: unknown, opts?: unknown) => {
    try {
      return (execFileSync as (...a: unknown[]) => ReturnType<typeof cp.execFileSync>)(file, args, opts);
    } catch (e) {
      recordReasons((e as { stderr?: string | Buffer }).stderr, name(file, args));
      throw e;
    }
  }) as typeof cp.execFileSync;
  cp.spawn = ((file: string, args?: unknown, opts?: unknown) => {
    const child = (spawn as (...a: unknown[]) => cp.ChildProcess)(file, args, opts);
    if (child.stderr) {
      let text = '';
      child.stderr.on('data', (d: Buffer | string) => {
        text += String(d);
      });
      child.stderr.on('end', () => recordReasons(text, name(file, args)));
    }
    return child;
  }) as typeof cp.spawn;
  syncBuiltinESMExports();
}

afterAll(() => {
  const bad = seenReasons()
    .map((r) => ({ ...r, problem: reasonProblem(r.reason) }))
    .filter((r) => r.problem);
  expect(bad, 'exit reasons that do not survive Pacemaker (verdict first, at most 128 characters)').toEqual([]);
});
