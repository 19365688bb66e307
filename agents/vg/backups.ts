import type { ParamsOf } from '../../lib/definition.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import type { definition } from './definition.js';
import type { VgConfig } from './config.js';
import { execFor, udevAbsent } from './exec.js';
import { readVgState } from './state.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;

/** SIGTERM grace: a quarter of what the stop has left, 1..5 s; a backup answers within one chunk. */
export const graceMsFor = (budgetMs: number) => Math.max(1000, Math.min(5000, Math.floor(budgetMs / 4)));

/**
 * A failover never waits on a backup. `lioha backup run` reads an LVM snapshot of an LV of this
 * VG, which keeps the VG from being deactivated. Before unmounting (a backup commits its record
 * to the metadata filesystem) stop raises the fence that keeps new backups from starting, then
 * interrupts every backup registered for this VG: SIGTERM (it stops within a chunk, removes its
 * snapshot and exits 75, resumable), SIGKILL after the grace. A snapshot it leaves is removed
 * here through the backup's own code (lib/backup/lvm-snapshot.ts: only <lv>-bksnap, tagged
 * lioha-backup, with that origin). Anything else holding an LV, a foreign snapshot included,
 * is left alone: deactivation then fails naming it. Returns what lowers the fence.
 */
export async function interruptBackups(ctx: Ctx, c: VgConfig): Promise<() => Promise<void>> {
  const { raiseFence, runningBackups } = await import('../../lib/backup/registry.js');
  let lower: () => Promise<void> = async () => undefined;
  try {
    lower = await raiseFence(ctx.root, c.vg);
  } catch (e) {
    // The fence only keeps new backups out; a stop does not fail for want of it.
    ctx.log.warn(`cannot raise the backup fence of ${c.vg}: ${(e as Error).message}`, { vg: c.vg });
  }
  try {
    const running = await runningBackups(ctx.root, c.vg);
    if (running.length === 0) return lower;
    // PIDs under a fixture root are signalled only when a test opts in.
    if (!ctx.root.isHost && ctx.env.LIOHA_TEST_ALLOW_KILL !== '1') return lower;
    const { interruptProcess } = await import('../../lib/backup/interrupt.js');
    const graceMs = graceMsFor(ctx.deadline.budget());
    // All at once: the waits overlap, so the bound does not grow with the number of backups.
    await Promise.all(running.map(async (b) => {
      ctx.log.warn(`interrupting the backup of ${c.vg}/${b.lv} (pid ${b.pid}) to stop the volume group`, {
        vg: c.vg, lv: b.lv, snapshot: b.snapshot, pid: b.pid, destination: b.destination, startedAt: b.startedAt,
      });
      const r = await interruptProcess(b, { graceMs, killWaitMs: ctx.deadline.step(3000) });
      const fields = { vg: c.vg, lv: b.lv, pid: b.pid, ms: r.ms };
      if (r.signal === 'SIGKILL') ctx.log.warn(`backup of ${c.vg}/${b.lv} (pid ${b.pid}) ignored SIGTERM for ${graceMs} ms: killed`, fields);
      if (!r.exited) ctx.log.error(`backup of ${c.vg}/${b.lv} (pid ${b.pid}) is still there after SIGKILL (stuck in the kernel?)`, fields);
      else ctx.log.info(`backup of ${c.vg}/${b.lv} stopped`, { ...fields, signal: r.signal });
    }));
    await removeLeftSnapshots(ctx, c, running.map((b) => ({ lv: b.lv, snapshot: b.snapshot })));
    return lower;
  } catch (e) {
    await lower().catch(() => undefined);
    throw e;
  }
}

/** The snapshots the interrupted backups did not remove themselves (killed, or their lvremove failed). */
async function removeLeftSnapshots(ctx: Ctx, c: VgConfig, runs: Array<{ lv: string; snapshot: string }>): Promise<void> {
  const active = (await readVgState(ctx.root, c)).lvs;
  const left = runs.filter((r) => active.has(r.snapshot));
  if (left.length === 0) return;
  const { LvmSnapshots } = await import('../../lib/backup/lvm-snapshot.js');
  for (const r of left) {
    const snaps = new LvmSnapshots({
      vg: c.vg, lv: r.lv, root: ctx.root, exec: execFor(ctx), maxMs: 20_000,
      config: { extraAccept: c.extraDevices, noUdev: udevAbsent(ctx) },
    });
    // Only the name this backup uses; remove() checks tag and origin before lvremove.
    if (r.snapshot !== snaps.snapshotName) continue;
    try {
      await snaps.remove(r.snapshot);
      ctx.log.warn(`removed backup snapshot ${c.vg}/${r.snapshot} left by the interrupted backup`, { vg: c.vg, lv: r.lv, snapshot: r.snapshot });
    } catch (e) {
      // Not ours after all, or someone else holds it: deactivation names the holder.
      ctx.log.warn(`backup snapshot ${c.vg}/${r.snapshot} not removed: ${(e as Error).message}`, { vg: c.vg, snapshot: r.snapshot });
    }
  }
}
