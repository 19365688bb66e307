/**
 * vg start runs its reads at once: the DRBD resource, the PVs, the VG and the local system
 * ID are each a process (LVM scans the PVs for each), and none needs another's answer.
 * The command doubles stand in for the tools; run() is wrapped to see when each began and ended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { doublesBin, prepareVgFixture } from '../doubles/fixture.js';
import { makeContext } from '../helpers/context.js';

const events: string[] = [];
vi.mock('../../lib/exec/run.js', async (orig) => {
  const real = await orig<typeof import('../../lib/exec/run.js')>();
  return {
    ...real,
    run: async (cmd: string, args: readonly string[], o: Parameters<typeof real.run>[2]) => {
      const what = `${cmd} ${args[0]}`;
      events.push(`begin ${what}`);
      try {
        return await real.run(cmd, args, o);
      } finally {
        events.push(`end ${what}`);
      }
    },
  };
});

const { actions } = await import('../../agents/vg/actions.js');
const { definition } = await import('../../agents/vg/definition.js');
const { OcfExit } = await import('../../lib/ocf/exit-codes.js');

let root: string;
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'vg-reads-')); events.length = 0; });
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** vg start with the command doubles on a fresh fixture (DRBD Primary, the metadata LV); it must succeed. */
async function startVg(): Promise<void> {
  prepareVgFixture(root);
  const ctx = makeContext(definition, {
    action: 'start', root, params: { vgname: 'vg1', metadata_lv: 'lv_iscsi_target', drbd_resource: 'r0' },
    env: { LIOHA_PATH: doublesBin }, timeoutMs: 60_000,
  });
  expect(await actions.start(ctx)).toBe(OcfExit.SUCCESS);
}

describe('vg start reads', () => {
  it('asks DRBD, the PVs, the VG and the system ID all before the first answer, then activates', async () => {
    await startVg();
    const reads = ['drbdadm sh-minor', 'lvm pvs', 'lvm systemid', 'lvm vgs'];
    for (const r of reads) expect(events, r).toContain(`begin ${r}`);
    // At once, not one after another: the VG and system ID reads are asked in the same tick, the DRBD ones
    // after one file read, so under any load at least two reads are in flight together (one by one: never).
    let inFlight = 0;
    let most = 0;
    for (const e of events.filter((x) => reads.some((r) => x.endsWith(` ${r}`)))) {
      inFlight += e.startsWith('begin ') ? 1 : -1;
      most = Math.max(most, inFlight);
    }
    expect(most).toBeGreaterThanOrEqual(2);
    // Nothing that changes the VG begins before every read has answered.
    const firstChange = events.indexOf('begin lvm vgchange');
    expect(events.slice(0, firstChange).filter((e) => e.startsWith('end '))).toHaveLength(4);
  });

  it('lists the LVs and mounts the metadata filesystem together after the activation', async () => {
    await startVg();
    const after = events.slice(events.lastIndexOf('end lvm vgchange'));
    // Both asked before either answered (one after the other: an end between the two begins).
    const begins = ['begin lvm lvs', 'begin mount -t'].map((b) => after.indexOf(b));
    expect(begins.every((i) => i > 0)).toBe(true);
    const firstEnd = after.findIndex((e) => e === 'end lvm lvs' || e === 'end mount -t');
    expect(Math.max(...begins)).toBeLessThan(firstEnd);
  });
});
