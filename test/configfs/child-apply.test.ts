import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyInChild, BATCH, BATCH_BYTES, steps } from '../../lib/configfs/child-apply.js';
import { ApplyError } from '../../lib/configfs/apply.js';
import { ConfigFsHangError } from '../../lib/configfs/io.js';
import { fastTmp } from '../target/setup.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(fastTmp(), 'lioha-child-')); mkdirSync(join(dir, 'base')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const opts = () => ({ opTimeoutMs: 500, totalTimeoutMs: 20_000, progressFile: join(dir, 'progress') });

describe('applying operations from a child process (real kernel teardown)', () => {
  it('performs the operations in order and writes value\\n', async () => {
    writeFileSync(join(dir, 'base/enable'), '1\n');
    mkdirSync(join(dir, 'base/lun_0'));
    await applyInChild(join(dir, 'base'), [
      { op: 'write', path: 'enable', value: '0' },
      { op: 'mkdir', path: 'x' },
      { op: 'symlink', target: 'x', path: 'lun_0/l' },
      { op: 'unlink', path: 'lun_0/l' },
      { op: 'rmdir', path: 'lun_0' },
    ], opts());
    expect(readFileSync(join(dir, 'base/enable'), 'utf8')).toBe('0\n');
    expect(existsSync(join(dir, 'base/lun_0'))).toBe(false);
    expect(existsSync(join(dir, 'progress'))).toBe(false);
  });

  it('reports the failing operation with its errno', async () => {
    const err = await applyInChild(join(dir, 'base'), [{ op: 'mkdir', path: 'a' }, { op: 'rmdir', path: 'nope' }], opts()).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).failed).toEqual({ op: 'rmdir', path: 'nope' });
    expect((err as ApplyError).message).toMatch(/rmdir nope failed: configfs rmdir nope: ENOENT/);
  });

  it('batches consecutive rmdirs, unlinks and mkdirs into calls of at most BATCH paths, in order', () => {
    const ops = [
      { op: 'write' as const, path: 'enable', value: '0' },
      ...Array.from({ length: BATCH + 2 }, (_, i) => ({ op: 'unlink' as const, path: `l${i}` })),
      { op: 'rmdir' as const, path: 'a' },
      { op: 'rmdir' as const, path: 'b' },
      { op: 'symlink' as const, target: 'x', path: 's1' },
      { op: 'symlink' as const, target: 'x', path: 's2' },
    ];
    expect(steps(ops).map((s) => [s.first, s.ops.length])).toEqual([[0, 1], [1, BATCH], [BATCH + 1, 2], [BATCH + 3, 2], [BATCH + 5, 1], [BATCH + 6, 1]]);
  });

  it('also ends a call before its paths pass BATCH_BYTES, so an argv stays far below ARG_MAX', () => {
    const long = (i: number) => `iscsi/iqn.2003-01.org.linux-iscsi.lab:${'t'.repeat(150)}/tpgt_1/acls/iqn.1994-05.com.redhat:${i}/lun_${i}`;
    const ops = Array.from({ length: 2000 }, (_, i) => ({ op: 'rmdir' as const, path: long(i) }));
    const calls = steps(ops);
    expect(calls.length).toBeGreaterThan(2);
    for (const c of calls) expect(c.ops.reduce((n, o) => n + Buffer.byteLength(o.path) + 3, 0)).toBeLessThanOrEqual(BATCH_BYTES);
    expect(calls.flatMap((c) => c.ops)).toEqual(ops);
  });

  it('names the failing operation of a batch and its errno, and the operations before it are done', async () => {
    for (const d of ['d1', 'd2', 'd4']) mkdirSync(join(dir, 'base', d));
    writeFileSync(join(dir, 'base/d2/file'), '');
    const err = await applyInChild(join(dir, 'base'), [
      { op: 'rmdir', path: 'd1' }, { op: 'rmdir', path: 'd2' }, { op: 'rmdir', path: 'd3' }, { op: 'rmdir', path: 'd4' },
      { op: 'mkdir', path: 'never' },
    ], opts()).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).failed).toEqual({ op: 'rmdir', path: 'd2' });
    expect((err as ApplyError).message).toMatch(/configfs rmdir d2: ENOTEMPTY/);
    expect(existsSync(join(dir, 'base/d1'))).toBe(false);
    expect(existsSync(join(dir, 'base/never'))).toBe(false); // nothing after the failed call ran
  });

  it('handles names with quotes, spaces, newlines and a leading dash, and refuses a path leaving the root before running anything', async () => {
    const odd = ["it's", 'two words', 'new\nline', '-rf', '$(touch pwned)'];
    for (const n of odd) mkdirSync(join(dir, 'base', n));
    writeFileSync(join(dir, 'base/attr'), '');
    await applyInChild(join(dir, 'base'), [
      { op: 'write', path: 'attr', value: "a'b $HOME `x`" },
      ...odd.map((path) => ({ op: 'rmdir' as const, path })),
    ], opts());
    for (const n of odd) expect(existsSync(join(dir, 'base', n))).toBe(false);
    expect(existsSync(join(dir, 'base/pwned'))).toBe(false);
    expect(readFileSync(join(dir, 'base/attr'), 'utf8')).toBe("a'b $HOME `x`\n");
    mkdirSync(join(dir, 'keep'));
    const err = await applyInChild(join(dir, 'base'), [{ op: 'mkdir', path: 'first' }, { op: 'rmdir', path: '../keep' }], opts()).catch((e) => e);
    expect((err as { code?: string }).code).toBe('EACCES');
    expect(existsSync(join(dir, 'keep'))).toBe(true);
    expect(existsSync(join(dir, 'base/first'))).toBe(false);
  });

  it('a batch that hangs is reported by its first operation and its size', async () => {
    // a stand-in rmdir that never returns, found first on PATH (LIOHA_PATH, as the command doubles)
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/rmdir'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const saved = process.env.LIOHA_PATH;
    process.env.LIOHA_PATH = join(dir, 'bin');
    try {
      const t0 = Date.now();
      const err = await applyInChild(join(dir, 'base'), [
        { op: 'mkdir', path: 'a' }, { op: 'write', path: 'a/x', value: '1' }, { op: 'rmdir', path: 'a/b' }, { op: 'rmdir', path: 'a/c' },
      ], opts()).catch((e) => e);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((err as ApplyError).hung).toBe(true);
      expect((err as ApplyError).failed).toEqual({ op: 'rmdir', path: 'a/b' });
      expect(((err as ApplyError).cause as ConfigFsHangError).calls).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.LIOHA_PATH; else process.env.LIOHA_PATH = saved;
    }
  });

  it('gives up on an operation that blocks, reports it as hung, and does not wait for the child', async () => {
    execFileSync('mkfifo', [join(dir, 'base/blocking')]); // open(2) for writing blocks without a reader
    const t0 = Date.now();
    const err = await applyInChild(join(dir, 'base'), [
      { op: 'mkdir', path: 'a' },
      { op: 'write', path: 'blocking', value: '0' },
      { op: 'rmdir', path: 'a' },
    ], opts()).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).hung).toBe(true);
    expect((err as ApplyError).cause).toBeInstanceOf(ConfigFsHangError);
    expect((err as ApplyError).failed).toEqual({ op: 'write', path: 'blocking', value: '0' });
    expect(existsSync(join(dir, 'base/a'))).toBe(true); // nothing after the hung step ran
  });
});
