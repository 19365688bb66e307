import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyInChild, prepareApplyInChild } from '../../lib/configfs/child-apply.js';
import { ApplyError } from '../../lib/configfs/apply.js';
import { ConfigFsHangError } from '../../lib/configfs/io.js';
import { fastTmp } from '../target/setup.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(fastTmp(), 'lioha-child-')); mkdirSync(join(dir, 'base')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const opts = () => ({ opTimeoutMs: 500, totalTimeoutMs: 20_000, progressFile: join(dir, 'progress') });

describe('applying operations from a child process (real kernel teardown)', () => {
  it('a child started before the plan is known applies it when handed over; a cancelled one touches nothing', async () => {
    const early = prepareApplyInChild(join(dir, 'base'), opts());
    await new Promise((r) => setTimeout(r, 50)); // the caller reads and plans meanwhile
    await early.apply([{ op: 'mkdir', path: 'made' }]);
    expect(existsSync(join(dir, 'base/made'))).toBe(true);
    const cancelled = prepareApplyInChild(join(dir, 'base'), opts());
    cancelled.cancel();
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(dir, 'progress'))).toBe(false);
  });

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
