/**
 * The vg agent's built-in step limits (LVM, DRBD, mount/umount, the depth-10 read, the process
 * scan, the wait after signalling a holder, the wait after SIGKILLing a backup) scale with the
 * operation's timeout over the agent's default (Deadline.step): an operation given three times
 * its default timeout gives each of them three times its limit for normal hardware.
 * The limits are recorded where they are handed over (the command runner, the timers of
 * agents/vg/stop.ts, the backup interrupter); the commands themselves run (the doubles).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Registration } from '../../lib/backup/registry.js';

const rec = vi.hoisted(() => ({
  commands: [] as Array<{ cmd: string; timeoutMs: number }>,
  killWaits: [] as number[],
  backups: [] as Registration[],
}));

vi.mock('../../lib/exec/run.js', async (orig) => {
  const m = await orig<typeof import('../../lib/exec/run.js')>();
  return {
    ...m,
    run: vi.fn((cmd: string, args: readonly string[], o: Parameters<typeof m.run>[2]) => {
      rec.commands.push({ cmd, timeoutMs: o.timeoutMs });
      return m.run(cmd, args, o);
    }),
  };
});
// A registered backup run, interrupted by a recorder (no process is signalled).
vi.mock('../../lib/backup/registry.js', async (orig) => ({
  ...(await orig<typeof import('../../lib/backup/registry.js')>()),
  runningBackups: vi.fn(async () => rec.backups),
}));
vi.mock('../../lib/backup/interrupt.js', () => ({
  interruptProcess: vi.fn(async (_id: unknown, o: { killWaitMs: number }) => {
    rec.killWaits.push(o.killWaitMs);
    return { signal: 'SIGTERM', exited: true, ms: 1 };
  }),
}));

const { actions } = await import('../../agents/vg/actions.js');
const { definition } = await import('../../agents/vg/definition.js');
const { makeContext } = await import('../helpers/context.js');
const { doublesBin, prepareVgFixture, updateDoubleState } = await import('../doubles/fixture.js');
const { OcfExit } = await import('../../lib/ocf/exit-codes.js');

const PARAMS = { vgname: 'vg1', metadata_lv: 'lv_iscsi_target', drbd_resource: 'r0' };
const MP = '/mnt/iscsi-target/vg1';
const defaultMs = (action: string) => definition.actions.find((a) => a.name === action)!.timeout * 1000;

let root: string;
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'vg-steps-')); });
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

async function act(action: 'start' | 'stop' | 'monitor', scale: number, params: Record<string, string> = {}, checkLevel = 0) {
  const ctx = makeContext(definition, {
    action, root, checkLevel, params: { ...PARAMS, ...params }, timeoutMs: defaultMs(action) * scale,
    env: { LIOHA_PATH: doublesBin, LIOHA_TEST_ALLOW_KILL: '1' },
  });
  expect(ctx.deadline.stepScale).toBe(scale);
  return actions[action](ctx).catch((e: unknown) => e);
}

/** Every limit a start, a depth-10 monitor and two stops (a busy mount, then force_unmount) hand over, by step. */
async function limits(scale: number): Promise<Record<string, number[]>> {
  rec.commands.length = 0;
  rec.killWaits.length = 0;
  const stopTimers: number[] = [];
  const setTimer = globalThis.setTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...a: unknown[]) => {
    const stack = new Error().stack ?? '';
    // stop.ts's own timers (not its commands' kill timers, nor its 20 ms polls)
    if (stack.includes('/agents/vg/stop.ts') && !stack.includes('/lib/exec/run.ts') && ms !== undefined && ms >= 100) stopTimers.push(ms);
    return setTimer(fn, ms, ...a);
  }) as typeof setTimeout);
  prepareVgFixture(root);
  expect(await act('start', scale)).toBe(OcfExit.SUCCESS);
  expect(await act('monitor', scale, {}, 10)).toBe(OcfExit.SUCCESS);
  // A backup is running: stop interrupts it.
  rec.backups = [{ version: 1, pid: 999_999_999, start: 1, vg: 'vg1', lv: 'lv-lun0', snapshot: 'lv-lun0-bksnap', destination: '/x', startedAt: '' }];
  // The metadata filesystem is busy (a fixture process): the stop scans /proc and names it.
  updateDoubleState(root, (s) => { s.busyMounts = [MP]; });
  mkdirSync(join(root, 'proc/4242'), { recursive: true });
  symlinkSync(`${MP}/state`, join(root, 'proc/4242/cwd'));
  expect(String(await act('stop', scale))).toContain('busy: pid 4242');
  rmSync(join(root, 'proc/4242'), { recursive: true });
  rec.backups = [];
  // A real holder: force_unmount signals it and waits for it to go.
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    updateDoubleState(root, (s) => { s.busyMounts = []; s.busyPids = { [MP]: [child.pid!] }; });
    mkdirSync(join(root, `proc/${child.pid}`), { recursive: true });
    symlinkSync(MP, join(root, `proc/${child.pid}/cwd`));
    expect(await act('stop', scale, { force_unmount: 'true' })).toBe(OcfExit.SUCCESS);
  } finally {
    child.kill('SIGKILL');
  }
  const by: Record<string, number[]> = {};
  for (const c of rec.commands) (by[c.cmd] ??= []).includes(c.timeoutMs) || by[c.cmd]!.push(c.timeoutMs);
  by['stop timers'] = [...new Set(stopTimers)].sort((a, b) => a - b);
  by['backup kill wait'] = [...new Set(rec.killWaits)];
  return by;
}

const NORMAL = {
  lvm: [30_000], drbdadm: [10_000], mount: [30_000], dd: [10_000], umount: [20_000],
  // the process scan (5 s) and the wait after signalling a holder (1 s)
  'stop timers': [1000, 5000],
  'backup kill wait': [3000],
};

describe('vg step limits', () => {
  it.each([1, 3])('an op timeout %ix the default gives each step that many times its limit for normal hardware', async (scale) => {
    expect(await limits(scale)).toEqual(Object.fromEntries(Object.entries(NORMAL).map(([k, v]) => [k, v.map((ms) => ms * scale)])));
  });
});
