import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecFailedError, ExecTimeoutError, run, searchPath } from '../../lib/exec/run.js';

/** Running, not merely a zombie waiting for an orphan reaper. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('run', () => {
  it('returns output of a successful command and accepts listed exit codes', async () => {
    const r = await run('sh', ['-c', 'echo out; echo err >&2'], { timeoutMs: 5000 });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'out\n', 'err\n']);
    expect((await run('sh', ['-c', 'exit 3'], { timeoutMs: 5000, okCodes: [0, 3] })).exitCode).toBe(3);
  });

  it('returns when the command exits, even if a background grandchild keeps its output open', async () => {
    const t0 = Date.now();
    const r = await run('sh', ['-c', 'sleep 3 & echo done'], { timeoutMs: 2000 });
    expect(r.stdout).toBe('done\n');
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('captures large output completely', async () => {
    const r = await run('sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" x; echo; echo e >&2'], { timeoutMs: 5000 });
    expect(r.stdout.length).toBe(300001);
    expect(r.stderr).toBe('e\n');
  });

  it('passes input on stdin', async () => {
    expect((await run('cat', [], { timeoutMs: 5000, input: 'abc' })).stdout).toBe('abc');
  });

  it('throws ExecFailedError naming the command, its exit code and first stderr line', async () => {
    await expect(run('sh', ['-c', 'echo "Volume group vg1 not found" >&2; exit 5'], { timeoutMs: 5000 })).rejects.toThrow(
      /^sh exited 5: Volume group vg1 not found$/,
    );
    await expect(run('/nonexistent/cmd', [], { timeoutMs: 5000 })).rejects.toBeInstanceOf(ExecFailedError);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-exec-'));
    const pidFile = join(dir, 'grandchild.pid');
    const t0 = Date.now();
    await expect(
      run('sh', ['-c', `sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(ExecTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
    const gc = Number(readFileSync(pidFile, 'utf8'));
    expect(gc).toBeGreaterThan(1);
    // The signal is sent; on a loaded machine the grandchild may need a moment to be scheduled and die.
    for (let i = 0; i < 50 && alive(gc); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(gc)).toBe(false);
  });

  it('gives up waiting for a child that ignores SIGTERM', async () => {
    const t0 = Date.now();
    await expect(run('sh', ['-c', "trap '' TERM; sleep 60"], { timeoutMs: 200 })).rejects.toBeInstanceOf(ExecTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('finds command doubles on LIOHA_PATH before the system PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-double-'));
    const dbl = join(dir, 'lvm');
    writeFileSync(dbl, '#!/bin/sh\necho double "$@"\n');
    chmodSync(dbl, 0o755);
    const prev = process.env.LIOHA_PATH;
    process.env.LIOHA_PATH = dir;
    try {
      expect((await run('lvm', ['version'], { timeoutMs: 5000 })).stdout).toBe('double version\n');
    } finally {
      if (prev === undefined) delete process.env.LIOHA_PATH;
      else process.env.LIOHA_PATH = prev;
    }
    expect(existsSync(dbl)).toBe(true);
  });

  it('search path adds system directories Pacemaker may leave out, without duplicates', () => {
    const p = searchPath({ PATH: '/usr/bin', OCF_RESKEY_CRM_meta_lioha_path: '/d' }).split(':');
    expect(p[0]).toBe('/d');
    expect(p).toContain('/usr/sbin');
    expect(p.filter((x) => x === '/usr/bin')).toHaveLength(1);
  });
});
