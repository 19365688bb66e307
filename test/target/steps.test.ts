/**
 * The target agent's built-in step limits scale with the operation's timeout over the agent's
 * default (Deadline.step): modprobe, and write_timeout while it is left at its default. A
 * write_timeout the administrator set stays as given. Recorded where they are handed over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const rec = vi.hoisted(() => ({ commands: [] as Array<{ cmd: string; timeoutMs: number }>, writeLimits: [] as number[] }));

// modprobe is recorded, never run.
vi.mock('../../lib/exec/run.js', async (orig) => ({
  ...(await orig<typeof import('../../lib/exec/run.js')>()),
  run: vi.fn(async (cmd: string, _args: readonly string[], o: { timeoutMs: number }) => {
    rec.commands.push({ cmd, timeoutMs: o.timeoutMs });
    return { code: 0, stdout: '', stderr: '', ms: 0 };
  }),
}));
vi.mock('../../lib/configfs/open.js', async (orig) => {
  const m = await orig<typeof import('../../lib/configfs/open.js')>();
  return {
    ...m,
    openConfigFs: vi.fn((rootPath: (abs: string) => string, timeoutMs: () => number) => {
      rec.writeLimits.push(timeoutMs());
      return m.openConfigFs(rootPath, timeoutMs);
    }),
  };
});

const { actions } = await import('../../agents/target/actions.js');
const { loadFabricModule, MODPROBE_MS } = await import('../../agents/target/fabric.js');
const { definition } = await import('../../agents/target/definition.js');
const { ctxFor, makeRoot } = await import('./setup.js');
const { OcfExit } = await import('../../lib/ocf/exit-codes.js');

const defaultMs = (action: string) => definition.actions.find((a) => a.name === action)!.timeout * 1000;
let fx: ReturnType<typeof makeRoot>;
beforeEach(() => {
  fx = makeRoot();
  rec.commands.length = 0;
  rec.writeLimits.length = 0;
});
afterEach(() => fx.cleanup());

describe('target step limits', () => {
  it('modprobe gets 10 s at the default start timeout, 3x that at 3x the timeout', async () => {
    for (const scale of [1, 3]) await loadFabricModule(ctxFor(fx.root, 'start', {}, { timeoutMs: defaultMs('start') * scale }));
    expect(MODPROBE_MS).toBe(10_000);
    expect(rec.commands).toEqual([{ cmd: 'modprobe', timeoutMs: 10_000 }, { cmd: 'modprobe', timeoutMs: 30_000 }]);
  });

  it('write_timeout left at its default (3 s) scales with the op timeout; a write_timeout set by hand does not', async () => {
    const monitor = (scale: number, params: Record<string, string> = {}) =>
      actions.monitor(ctxFor(fx.root, 'monitor', params, { timeoutMs: defaultMs('monitor') * scale }));
    expect(await monitor(1)).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(3)).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(3, { write_timeout: '3' })).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(1, { write_timeout: '2' })).toBe(OcfExit.NOT_RUNNING);
    expect(rec.writeLimits).toEqual([3000, 9000, 3000, 2000]);
  });
});
