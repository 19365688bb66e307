import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoDir } from '../helpers/agent.js';
import { hostname } from 'node:os';
import { LockBusyError, LockHelperTimeout, withLock } from '../../lib/sys/lock.js';

// The node lock under real concurrency: separate processes (as Pacemaker runs agents), each entering the
// critical section many times. Inside, a process creates a marker with O_EXCL (a second holder would find
// it), holds it briefly, removes it; some processes die by SIGKILL while holding the lock, which must
// free it for the others at once.
let dir: string;
let worker: string;

const WORKER = `
import * as fs from 'node:fs';
import { withLock } from './lock.mjs';
const [lockPath, marker, rounds, killAt, log] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < Number(rounds); i++) {
  await withLock(lockPath, 60000, async () => {
    let fd;
    try { fd = fs.openSync(marker, 'wx'); } catch (e) { fs.appendFileSync(log, 'OVERLAP ' + process.pid + '\\n'); return; }
    fs.closeSync(fd);
    fs.appendFileSync(log, 'enter ' + process.pid + '\\n');
    await sleep(Math.random() * 3);
    fs.unlinkSync(marker);
    if (i === Number(killAt)) process.kill(process.pid, 'SIGKILL'); // dies holding the lock
  });
}
`;

beforeAll(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'lioha-lock-'));
  buildSync({ entryPoints: [join(repoDir, 'lib/sys/lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'lock.mjs'), logLevel: 'error' });
  worker = join(dir, 'worker.mjs');
  fs.writeFileSync(worker, WORKER);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runWorker(lockPath: string, marker: string, rounds: number, killAt: number, log: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [worker, lockPath, marker, String(rounds), String(killAt), log], { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('error', reject);
    c.on('close', (code, signal) => resolve({ code, signal }));
  });
}

describe('node lock', () => {
  it('12 processes x 30 entries: never two holders; a holder killed by SIGKILL frees the lock', async () => {
    const lockPath = join(dir, 'run/lioha/target.lock');
    const marker = join(dir, 'holder');
    const log = join(dir, 'log');
    const procs = 12;
    const rounds = 30;
    // Three of the processes die holding the lock part way through.
    const kills = new Map([[2, 5], [7, 11], [10, 20]]);
    const results = await Promise.all(Array.from({ length: procs }, (_, i) => runWorker(lockPath, marker, rounds, kills.get(i) ?? -1, log)));
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('OVERLAP'))).toEqual([]);
    expect(results.filter((r) => r.signal === 'SIGKILL')).toHaveLength(kills.size);
    expect(results.filter((r) => r.signal === null).every((r) => r.code === 0)).toBe(true);
    const expected = (procs - kills.size) * rounds + [...kills.values()].reduce((a, k) => a + k + 1, 0);
    expect(lines.filter((l) => l.startsWith('enter'))).toHaveLength(expected);
  });

  it('a busy lock times out with the holder named, and is free again after the holder returns', async () => {
    const lockPath = join(dir, 'busy.lock');
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inside = new Promise<void>((r) => { entered = r; });
    const holder = withLock(lockPath, 5000, async () => { entered(); await held; });
    await inside;
    const t0 = Date.now();
    const err = await withLock(lockPath, 300, async () => 'got it').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).holder).toBe(process.pid);
    expect((err as LockBusyError).host).toBe(hostname());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    release();
    await holder;
    // released: the file names nobody, so a later waiter cannot name a holder that is gone
    expect(fs.readFileSync(lockPath, 'utf8')).toBe('');
    expect(await withLock(lockPath, 300, async () => 'got it')).toBe('got it');
  });

  it('a lock helper that does not answer is reported as such, not as a busy lock naming the last holder', async () => {
    // the last holder's line left behind (a holder killed inside, or an older version): it must not be named
    const lockPath = join(dir, 'slow.lock');
    fs.writeFileSync(lockPath, '4080 labA\n');
    const bin = join(dir, 'slow-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(join(bin, 'flock'), '#!/bin/sh\nexec sleep 5\n', { mode: 0o755 });
    const saved = process.env.LIOHA_PATH;
    process.env.LIOHA_PATH = bin;
    try {
      const t0 = Date.now();
      const err = await withLock(lockPath, 0, async () => 'got it', { helperSlackMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHelperTimeout);
      expect(err).not.toBeInstanceOf(LockBusyError);
      expect((err as Error).message).toMatch(/flock helper did not answer within 0\.3 s/);
      expect((err as Error).message).not.toMatch(/4080/);
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      if (saved === undefined) delete process.env.LIOHA_PATH; else process.env.LIOHA_PATH = saved;
    }
  });

  it('refuses a symlink planted at the lock path', async () => {
    const target = join(dir, 'victim');
    fs.writeFileSync(target, 'precious\n');
    const lockPath = join(dir, 'planted.lock');
    fs.symlinkSync(target, lockPath);
    await expect(withLock(lockPath, 300, async () => 'x')).rejects.toThrow(/ELOOP/);
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
  });
});
