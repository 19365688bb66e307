/**
 * A failover never waits on a backup: vg stop finds the `lioha backup` runs registered for its
 * VG (real child processes holding their lock and their snapshot open), interrupts them within
 * a bound, removes what they leave, and deactivates; a snapshot that is not a lioha backup's
 * stays, with its holder, and the stop reason names them. The vg doubles refuse to deactivate
 * an LV a real process has open, as the kernel does.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actions } from '../../agents/vg/actions.js';
import { graceMsFor } from '../../agents/vg/backups.js';
import { definition } from '../../agents/vg/definition.js';
import { buildLvmConfig } from '../../lib/lvm/config.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { doublesBin, prepareVgFixture, readDoubleState } from '../doubles/fixture.js';
import { makeContext, memoryLogger, type LogLine } from '../helpers/context.js';

const repo = join(import.meta.dirname, '../..');
const MiB = 1 << 20;
const PARAMS = { vgname: 'vg1', metadata_lv: 'lv_iscsi_target' };

let dir: string;
let root: string;
const children: ChildProcess[] = [];
const env = () => ({ ...process.env, LIOHA_ROOT: root, LIOHA_PATH: doublesBin });
const dest = () => join(dir, 'backup/lun0.img');
const lvNames = () => readDoubleState(root).vgs[0]!.lvs.map((l) => l.name);
const lvmCalls = () => readDoubleState(root).log.filter((l) => l.startsWith('lvm '));

async function act(action: 'start' | 'stop', o: { timeoutMs?: number; log?: LogLine[] } = {}) {
  const ctx = makeContext(definition, {
    action, root, params: PARAMS, env: { LIOHA_PATH: doublesBin, LIOHA_TEST_ALLOW_KILL: '1' }, timeoutMs: o.timeoutMs ?? 30_000, log: memoryLogger(o.log),
  });
  const t0 = Date.now();
  try {
    return { rc: await actions[action](ctx), reason: '', ms: Date.now() - t0 };
  } catch (e) {
    if (e instanceof Failure) return { rc: exitCodeOf(e), reason: e.reason, ms: Date.now() - t0 };
    throw e;
  }
}

function child(args: string[]): { p: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<{ code: number | null; signal: string | null }> } {
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], { env: env(), cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let out = '';
  let err = '';
  p.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  p.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exit = new Promise<{ code: number | null; signal: string | null }>((r) => p.on('exit', (code, signal) => r({ code, signal })));
  return { p, stdout: () => out, stderr: () => err, exit };
}

async function until(what: string, f: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vg-backup-'));
  root = join(dir, 'root');
  mkdirSync(join(dir, 'backup'), { recursive: true });
  prepareVgFixture(root, { lvBytes: { 'lv-lun0': 16 * MiB, 'lv-lun1': 4 * MiB } });
  expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
  writeFileSync(join(root, 'dev/vg1/lv-lun0'), randomBytes(16 * MiB)); // through the /dev link into the LV's device file
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('vg stop with a backup running', () => {
  it('interrupts `lioha backup run` (SIGTERM: it removes its snapshot, exits 75), deactivates within the bound; the rerun on the new primary resumes', async () => {
    const b = child(['test/backup/cli-child.ts', 'backup', 'run', 'vg1/lv-lun0', dest(), '--throttle', '2']);
    const journal = `${dest()}.checksums.journal`;
    await until('the backup to be copying', () => {
      try { return (JSON.parse(readFileSync(journal, 'utf8')) as { cursor: number }).cursor > 0; } catch { return false; }
    });
    expect(lvNames()).toContain('lv-lun0-bksnap');

    const log: LogLine[] = [];
    const r = await act('stop', { log });
    expect(r).toMatchObject({ rc: OcfExit.SUCCESS, reason: '' });
    const warn = log.find((l) => l.level === 'warn' && l.msg.startsWith('interrupting the backup'));
    expect(warn?.msg).toBe(`interrupting the backup of vg1/lv-lun0 (pid ${b.p.pid}) to stop the volume group`);
    expect(warn?.fields).toMatchObject({ lv: 'lv-lun0', snapshot: 'lv-lun0-bksnap', pid: b.p.pid, destination: dest() });
    const stopped = log.find((l) => l.msg === 'backup of vg1/lv-lun0 stopped');
    expect(stopped?.fields).toMatchObject({ signal: 'SIGTERM' });
    // The bound: the backup answered SIGTERM well inside the grace (30 s stop: 5 s).
    expect((stopped!.fields as { ms: number }).ms).toBeLessThan(graceMsFor(27_000));

    const e = await b.exit;
    expect(e.code).toBe(75);
    expect(b.stderr()).toMatch(/^lioha backup: interrupted by a failover: the cluster is stopping volume group vg1 on this node; resume with the same command on the new primary/m);
    // The backup removed its own snapshot; the agent had nothing left to remove; the VG is down.
    expect(lvNames()).not.toContain('lv-lun0-bksnap');
    expect(log.some((l) => l.msg.startsWith('removed backup snapshot'))).toBe(false);
    expect(readDoubleState(root).vgs[0]!.lvs.every((l) => !l.active)).toBe(true);
    expect(existsSync(join(root, 'run/lioha/backup/vg1/stopping'))).toBe(false);
    expect(existsSync(journal)).toBe(true);

    // The VG moves: the new primary has its own /run, the destination (and its journal) is shared.
    rmSync(join(root, 'run/lioha'), { recursive: true, force: true });
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'test/backup/cli-child.ts', 'backup', 'run', 'vg1/lv-lun0', dest()], { env: env(), cwd: repo, encoding: 'utf8', timeout: 120_000 });
    expect(again.stderr).toMatch(/the snapshot of the interrupted run is gone; starting over from a new snapshot/);
    expect(again.status).toBe(0);
    expect(readFileSync(dest()).equals(readFileSync(join(root, 'dev/vg1/lv-lun0')))).toBe(true);
    expect(existsSync(journal)).toBe(false);
    expect(lvNames()).not.toContain('lv-lun0-bksnap');
  }, 180_000);

  it('kills a backup that ignores SIGTERM after the grace, removes its snapshot (name, tag, origin checked) and deactivates', async () => {
    const b = child(['test/vg/fake-backup.ts', 'vg1', 'lv-lun0', 'stuck']);
    await until('the stuck backup to hold its snapshot', () => b.stdout().includes('ready'));
    expect(lvNames()).toContain('lv-lun0-bksnap');

    const log: LogLine[] = [];
    const timeoutMs = 16_000; // grace: a quarter of what is left (less the margin), 3.6 s
    const r = await act('stop', { timeoutMs, log });
    expect(r).toMatchObject({ rc: OcfExit.SUCCESS, reason: '' });
    expect(await b.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(b.stderr()).toContain('SIGTERM ignored');
    const killed = log.find((l) => l.msg.includes('ignored SIGTERM'));
    const m = new RegExp(`^backup of vg1/lv-lun0 \\(pid ${b.p.pid}\\) ignored SIGTERM for (\\d+) ms: killed$`).exec(killed?.msg ?? '');
    const grace = Number(m?.[1]);
    expect(grace).toBeGreaterThanOrEqual(1000);
    expect(grace).toBeLessThanOrEqual(graceMsFor(timeoutMs - 1600)); // a quarter of what the stop had left
    const ms = (killed!.fields as { ms: number }).ms;
    expect(ms).toBeGreaterThanOrEqual(grace);
    expect(ms).toBeLessThan(grace + 3000);
    expect(log.some((l) => l.level === 'warn' && l.msg === 'removed backup snapshot vg1/lv-lun0-bksnap left by the interrupted backup')).toBe(true);
    expect(lvNames()).not.toContain('lv-lun0-bksnap');
    // lvremove came only after the backup's checks (lvs of name, tag, origin).
    const calls = lvmCalls().map((l) => l.split(' ').slice(0, 2).join(' '));
    expect(calls.slice(calls.lastIndexOf('lvm lvremove') - 1, calls.lastIndexOf('lvm lvremove') + 1)).toEqual(['lvm lvs', 'lvm lvremove']);
    expect(readDoubleState(root).vgs[0]!.lvs.every((l) => !l.active)).toBe(true);
    expect(r.ms).toBeLessThan(timeoutMs);
  }, 120_000);

  it('leaves a foreign snapshot and its holder alone: stop fails naming them', async () => {
    // An admin's own snapshot that happens to use the backup's name, without the lioha-backup tag, read by someone.
    execFileSync(join(doublesBin, 'lvm'), ['lvcreate', '--config', buildLvmConfig({ noUdev: true }), '--snapshot', '--name', 'lv-lun0-bksnap', '--permission', 'r', '--extents', '20%ORIGIN', 'vg1/lv-lun0'],
      { env: { ...env(), DM_DISABLE_UDEV: '1' } });
    const snap = readDoubleState(root).vgs[0]!.lvs.find((l) => l.name === 'lv-lun0-bksnap')!;
    const reader = spawn('sh', ['-c', 'exec sleep 120 < "$0"', join(root, `dev/dm-${snap.dm}`)], { stdio: 'ignore' });
    children.push(reader);
    await until('the reader to open the snapshot', () => {
      try { return readFileSync(`/proc/${reader.pid}/comm`, 'utf8').trim() === 'sleep'; } catch { return false; }
    });
    symlinkSync(`/proc/${reader.pid}`, join(root, `proc/${reader.pid}`)); // the agent scans the root's /proc
    // And a registered lioha backup of the same LV (no snapshot of its own yet): interrupted, yet the foreign LV stays.
    const b = child(['test/vg/fake-backup.ts', 'vg1', 'lv-lun0', 'registered']);
    await until('the backup to register', () => b.stdout().includes('ready'));

    const log: LogLine[] = [];
    const r = await act('stop', { log });
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe(`cannot deactivate vg1: vg1/lv-lun0-bksnap open by pid ${reader.pid} (sleep) open file /dev/dm-${snap.dm}`);
    expect((await b.exit).signal).toBe('SIGTERM');
    expect(log.find((l) => l.msg.startsWith('backup snapshot vg1/lv-lun0-bksnap not removed'))?.msg).toMatch(/exists but is not a lioha backup snapshot of vg1\/lv-lun0 \(origin "lv-lun0", tags ""\)/);
    expect(alive(reader.pid!)).toBe(true);
    expect(lvNames()).toContain('lv-lun0-bksnap');
    expect(lvmCalls().some((l) => l.startsWith('lvm lvremove'))).toBe(false);
    expect(existsSync(join(root, 'run/lioha/backup/vg1/stopping'))).toBe(false);
  }, 120_000);
});

describe('a backup during a stop', () => {
  it('does not start while the stop fence is up; monitor is unaffected by a running backup', async () => {
    const { raiseFence } = await import('../../lib/backup/registry.js');
    const lower = await raiseFence(new (await import('../../lib/sys/root.js')).Root(root), 'vg1');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/backup/cli-child.ts', 'backup', 'run', 'vg1/lv-lun0', dest()], { env: env(), cwd: repo, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(75);
    expect(r.stderr).toMatch(/volume group vg1 is being stopped on this node \(failover in progress\); run the backup on the new primary/);
    expect(lvNames()).not.toContain('lv-lun0-bksnap');
    await lower();

    const b = child(['test/vg/fake-backup.ts', 'vg1', 'lv-lun1', 'stuck']);
    await until('the backup to hold its snapshot', () => b.stdout().includes('ready'));
    const callsBefore = readDoubleState(root).log.length;
    const ctx = makeContext(definition, { action: 'monitor', root, params: PARAMS, env: { LIOHA_PATH: doublesBin, LIOHA_TEST_ALLOW_KILL: '1' } });
    expect(await actions.monitor(ctx)).toBe(OcfExit.SUCCESS);
    expect(readDoubleState(root).log.length).toBe(callsBefore); // no command, no signal
    expect(alive(b.p.pid!)).toBe(true);
  }, 120_000);
});
