/**
 * map_timeout bounds each map capture (and, with backend=era, each command). Left at its default
 * (5 s, chosen for normal hardware) it scales with the operation's timeout over the agent's
 * default, like a built-in step (Deadline.step); a map_timeout set by hand stays as given.
 * Recorded where the agent hands it to the change-map service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const rec = vi.hoisted(() => ({ mapTimeouts: [] as number[] }));

vi.mock('../../lib/ddmap/service.js', async (orig) => {
  const m = await orig<typeof import('../../lib/ddmap/service.js')>();
  class RecordingService extends m.DdmapService {
    constructor(...a: ConstructorParameters<typeof m.DdmapService>) {
      super(...a);
      rec.mapTimeouts.push(a[0].mapTimeoutMs);
    }
    override async monitor(): Promise<'stopped'> {
      return 'stopped';
    }
  }
  return { ...m, DdmapService: RecordingService };
});

const { actions } = await import('../../agents/ddmap/actions.js');
const { definition } = await import('../../agents/ddmap/definition.js');
const { makeContext } = await import('../helpers/context.js');
const { OcfExit } = await import('../../lib/ocf/exit-codes.js');

const defaultMs = (action: string) => definition.actions.find((a) => a.name === action)!.timeout * 1000;
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ddmap-steps-'));
  rec.mapTimeouts.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const monitor = (scale: number, params: Record<string, string> = {}) =>
  actions.monitor(makeContext(definition, { action: 'monitor', root, params: { vgname: 'vg0', ...params }, timeoutMs: defaultMs('monitor') * scale }));

describe('ddmap map_timeout', () => {
  it('left unset: 5 s at the default op timeout, 3x that at 3x the timeout; set by hand: as given', async () => {
    expect(await monitor(1)).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(3)).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(3, { map_timeout: '5000' })).toBe(OcfExit.NOT_RUNNING);
    expect(await monitor(1, { map_timeout: '700' })).toBe(OcfExit.NOT_RUNNING);
    expect(rec.mapTimeouts).toEqual([5000, 15_000, 5000, 700]);
  });
});
