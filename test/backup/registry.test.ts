/**
 * The registry the vg agent reads (lib/backup/registry.ts) and the bounded interrupt
 * (lib/backup/interrupt.ts), with real processes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupError } from '../../lib/backup/errors.js';
import { interruptProcess } from '../../lib/backup/interrupt.js';
import { withRegistration } from '../../lib/backup/registration.js';
import { fencePath, liveFence, raiseFence, registrationPath, runningBackups } from '../../lib/backup/registry.js';
import { processStartTime, selfIdentity, stillRunning } from '../../lib/proc/process.js';
import { Root } from '../../lib/sys/root.js';

let dir: string;
let root: Root;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backup-registry-'));
  root = new Root(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const reg = (lv: string) => ({ vg: 'vg1', lv, snapshot: `${lv}-bksnap`, destination: `/backup/${lv}.img` });

describe('backup registry', () => {
  it('registers a run while it lasts; a second run of the same volume is busy; another volume is not', async () => {
    await withRegistration(root, reg('lv0'), async () => {
      expect(await runningBackups(root, 'vg1')).toEqual([expect.objectContaining({ ...reg('lv0'), ...selfIdentity(), version: 1 })]);
      const second = withRegistration(root, reg('lv0'), async () => 'ran');
      await expect(second).rejects.toMatchObject({ kind: 'busy', message: `another backup of vg1/lv0 is running (process ${process.pid})` });
      expect(await withRegistration(root, reg('lv1'), async () => (await runningBackups(root, 'vg1')).map((r) => r.lv).sort())).toEqual(['lv0', 'lv1']);
    });
    expect(await runningBackups(root, 'vg1')).toEqual([]);
  });

  it('ignores a registration whose writer is gone (SIGKILL leaves the file) or whose PID was reused', async () => {
    const file = registrationPath(root, 'vg1', 'lv0');
    await withRegistration(root, reg('lv0'), async () => {
      writeFileSync(`${file}.copy`, readFileSync(file));
    });
    const saved = JSON.parse(readFileSync(`${file}.copy`, 'utf8')) as { start: number };
    writeFileSync(file, JSON.stringify({ ...saved, start: saved.start - 1 })); // same PID, another process
    expect(await runningBackups(root, 'vg1')).toEqual([]);
    writeFileSync(file, JSON.stringify({ ...saved, pid: 999_999_999 }));
    expect(await runningBackups(root, 'vg1')).toEqual([]);
    writeFileSync(file, JSON.stringify(saved));
    expect(await runningBackups(root, 'vg1')).toHaveLength(1);
    writeFileSync(file, JSON.stringify({ ...saved, snapshot: '../../etc' })); // never trusted as a name
    expect(await runningBackups(root, 'vg1')).toEqual([]);
  });

  it('a raised fence refuses new runs (failover) until lowered; a dead writer\'s fence is void', async () => {
    const lower = await raiseFence(root, 'vg1');
    const refused = await withRegistration(root, reg('lv0'), async () => 'ran').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackupError);
    expect(refused).toMatchObject({ kind: 'failover' });
    expect(await runningBackups(root, 'vg1')).toEqual([]); // its registration is gone again
    await lower();
    expect(await liveFence(root, 'vg1')).toBeNull();
    writeFileSync(fencePath(root, 'vg1'), JSON.stringify({ version: 1, pid: process.pid, start: -1, vg: 'vg1', at: '' }));
    expect(await withRegistration(root, reg('lv0'), async () => 'ran')).toBe('ran');
  });
});

describe('interruptProcess', () => {
  const started = async (script: string) => {
    const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => p.stdout!.once('data', r));
    return { p, id: { pid: p.pid!, start: processStartTime(p.pid!)! } };
  };

  it('SIGTERM ends a process that honours it, well inside the grace', async () => {
    const { p, id } = await started("process.on('SIGTERM', () => process.exit(75)); console.log('up'); setInterval(() => {}, 1e6)");
    const r = await interruptProcess(id, { graceMs: 5000, killWaitMs: 2000 });
    expect(r).toMatchObject({ signal: 'SIGTERM', exited: true });
    expect(r.ms).toBeLessThan(5000);
    expect(p.exitCode ?? (await new Promise((res) => p.on('exit', res)))).toBe(75);
  });

  it('SIGKILL after the grace for one that ignores SIGTERM; nothing for one already gone', async () => {
    const { p, id } = await started("process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1e6)");
    const r = await interruptProcess(id, { graceMs: 600, killWaitMs: 3000 });
    expect(r).toMatchObject({ signal: 'SIGKILL', exited: true });
    expect(r.ms).toBeGreaterThanOrEqual(600);
    expect(stillRunning(id)).toBe(false);
    p.kill('SIGKILL');
    expect(await interruptProcess(id, { graceMs: 600, killWaitMs: 600 })).toMatchObject({ signal: null, exited: true });
  });
});
