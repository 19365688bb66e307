/**
 * `lioha backup` end to end: the CLI from source, an `lvm` double whose LVs are files under a
 * fixture root, SIGKILL in the middle of a copy, and the rerun that resumes it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const child = join(repo, 'test/backup/cli-child.ts');
const MiB = 1 << 20;

let dir: string;
let root: string;
let env: NodeJS.ProcessEnv;
const origin = () => join(root, 'dev/vg/lv');
const snapshot = () => join(root, 'dev/vg/lv-bksnap');
const dest = () => join(dir, 'out/lv.img');
const stateFile = () => join(root, 'mnt/iscsi-target/vg/ddmap/lv.state');
const calls = () => readFileSync(join(root, 'var/lib/lioha-backup-double/calls.log'), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lioha-backup-cli-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'dev/vg'), { recursive: true });
  mkdirSync(join(root, 'mnt/iscsi-target/vg'), { recursive: true });
  mkdirSync(join(dir, 'out'));
  writeFileSync(origin(), randomBytes(16 * MiB));
  env = { ...process.env, LIOHA_ROOT: root, LIOHA_PATH: join(repo, 'test/backup/bin') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const args = (...more: string[]) => ['--import', 'tsx', child, 'backup', ...more];
function lioha(...more: string[]) {
  return spawnSync(process.execPath, args(...more), { env, encoding: 'utf8', cwd: repo, timeout: 120_000 });
}

describe('lioha backup (CLI, lvm double)', () => {
  it('backs up from a snapshot it removes afterwards; check passes', () => {
    const r = lioha('run', 'vg/lv', dest(), '--json');
    expect(r.stderr).toMatch(/full backup of vg\/lv \(the ddmap state is UNKNOWN/);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { mode: string; counters: { segmentsDone: number; segmentsWritten: number }; state: string };
    expect(report).toMatchObject({ mode: 'full', state: 'ACTIVE', counters: { segmentsDone: 1024, segmentsWritten: 1024 } });
    expect(readFileSync(dest()).equals(readFileSync(origin()))).toBe(true);
    expect(existsSync(snapshot())).toBe(false);
    expect(calls()).toMatch(/^lvcreate .*--snapshot --name lv-bksnap --addtag lioha-backup --permission r --extents 20%ORIGIN vg\/lv$/m);
    expect(calls()).toMatch(/^lvremove .*--force vg\/lv-bksnap$/m);
    expect(readFileSync(stateFile(), 'utf8')).toBe('DDMAP_ACTIVE\n');
    const c = lioha('check', dest(), '--volume', 'vg/lv');
    expect(c.status).toBe(0);
    expect(c.stderr).toMatch(/matches its checksums/);
  });

  it('SIGKILL mid-copy leaves snapshot and journal; the rerun resumes with that snapshot and ends identical', async () => {
    // A throttled full copy of 16 MiB takes ~4 s: long enough to kill it in the middle.
    const p = spawn(process.execPath, args('run', 'vg/lv', dest(), '--throttle', '4'), { env, cwd: repo, stdio: 'ignore' });
    const journal = `${dest()}.checksums.journal`;
    const started = Date.now();
    let cursor = 0;
    while (Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        cursor = (JSON.parse(readFileSync(journal, 'utf8')) as { cursor: number }).cursor;
      } catch { /* not yet written */ }
      if (cursor > 0) break;
    }
    expect(cursor).toBeGreaterThan(0);
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    expect(existsSync(snapshot())).toBe(true);
    const atSnapshot = readFileSync(snapshot());
    // The volume moves on; the resumed backup still copies the point in time it started from.
    const fd = openSync(origin(), 'r+');
    writeSync(fd, randomBytes(MiB), 0, MiB, 3 * MiB);
    closeSync(fd);

    const r = lioha('run', 'vg/lv', dest(), '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/resuming the full backup at segment \d+ \(copy\) with snapshot lv-bksnap/);
    const report = JSON.parse(r.stdout) as { resumed: boolean; counters: { segmentsDone: number } };
    expect(report.resumed).toBe(true);
    expect(readFileSync(dest()).equals(atSnapshot)).toBe(true);
    expect(existsSync(snapshot())).toBe(false);
    expect(existsSync(journal)).toBe(false);
    expect(calls().match(/^lvcreate /gm)).toHaveLength(1);

    // Same result as one uninterrupted run over the same bytes: compare checksum arrays (headers differ by set id).
    const plain = join(dir, 'plain.img');
    writeFileSync(join(dir, 'src.img'), atSnapshot);
    const q = lioha('run', 'vg/other', plain, '--source', join(dir, 'src.img'), '-q');
    expect(q.status).toBe(0);
    expect(readFileSync(`${dest()}.checksums`).subarray(64).equals(readFileSync(`${plain}.checksums`).subarray(64))).toBe(true);
    expect(lioha('check', dest()).status).toBe(0);
  }, 120_000);

  it('a failed check exits 3 and marks the volume DIRTY; the next run is a full read that repairs it', () => {
    expect(lioha('run', 'vg/lv', dest(), '-q').status).toBe(0);
    const fd = openSync(dest(), 'r+');
    writeSync(fd, Buffer.from('bit rot'), 0, 7, 5 * MiB + 3);
    closeSync(fd);
    const c = lioha('check', dest(), '--volume', 'vg/lv', '-q');
    expect(c.status).toBe(3);
    expect(c.stderr).toMatch(/^lioha backup: check failed: 1 of 1024 segments .* marked DIRTY/m);
    expect(readFileSync(stateFile(), 'utf8')).toBe('DDMAP_DIRTY\n');
    const r = lioha('run', 'vg/lv', dest(), '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'full', counters: { segmentsWritten: 1 }, state: 'ACTIVE' });
    expect(readFileSync(dest()).equals(readFileSync(origin()))).toBe(true);
  });

  it('bad input and a failed lvcreate change nothing', () => {
    const nothing = () => {
      expect(existsSync(dest())).toBe(false);
      expect(existsSync(`${dest()}.checksums`)).toBe(false);
      expect(existsSync(snapshot())).toBe(false);
    };
    let r = lioha('run', 'vg', dest());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/volume must be <vg>\/<lv>/);
    r = lioha('run', 'vg/lv', dest(), '--throttle', 'fast');
    expect(r.stderr).toMatch(/--throttle wants a rate in MB\/s/);
    r = lioha('run', 'vg/lv', dest(), '--snapshot-size', '10G;rm');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--snapshot-size wants an LVM size/);
    r = lioha('run', 'vg/missing', dest());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/logical volume vg\/missing not found/);
    r = lioha('run', 'vg/lv', join(dir, 'nodir/x.img'));
    expect(r.status).toBe(2);
    r = spawnSync(process.execPath, args('run', 'vg/lv', dest()), { env: { ...env, LVM_DOUBLE_FAIL_CREATE: '1' }, encoding: 'utf8', cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot create snapshot vg\/lv-bksnap: lvm lvcreate exited 5: Insufficient free space/);
    nothing();
    expect(existsSync(`${dest()}.checksums.journal`)).toBe(false);
  });
});
