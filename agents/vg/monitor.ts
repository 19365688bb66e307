import type { ParamsOf } from '../../lib/definition.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { hasOptions } from '../../lib/proc/mounts.js';
import { drbdMinorsBelow } from '../../lib/sys/dm.js';
import { readProcDrbd } from '../../lib/drbd/status.js';
import type { definition } from './definition.js';
import { vgConfig, type VgConfig } from './config.js';
import { mapperPath, readVgState, type VgState } from './state.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;
const fail = (reason: string) => new Failure('generic', reason);

/**
 * Depth 0 is file reads only (sysfs dm devices, /proc/self/mounts, /proc/drbd):
 * no lvm, no fork, so a probe never touches the shared storage and a hung PV
 * cannot hang the monitor. Depth 10 reads one block through a child with a timeout.
 */
export async function monitor(ctx: Ctx): Promise<OcfExit> {
  const c = vgConfig(ctx.params);
  const s = await readVgState(ctx.root, c);
  if (s.devs.length === 0) {
    if (s.mount && s.mountIsOurs) throw fail(`${c.mountPoint} is mounted from ${s.mount.device} but volume group ${c.vg} has no active device`);
    return OcfExit.NOT_RUNNING;
  }
  checkMount(c, s);
  const rc = await checkDrbd(ctx, c, s);
  if (ctx.checkLevel >= 10) await readOneBlock(ctx, c, s);
  return rc;
}

function checkMount(c: VgConfig, s: VgState): void {
  if (!c.metadataLv) return;
  if (!s.lvs.has(c.metadataLv)) throw fail(`volume group ${c.vg} is active but its metadata LV ${c.metadataLv} is not`);
  if (!s.mount) throw fail(`volume group ${c.vg} is active but ${c.metadataLv} is not mounted on ${c.mountPoint}`);
  if (!s.mountIsOurs) throw fail(`${c.mountPoint} has ${s.mount.device} mounted, not ${c.vg}/${c.metadataLv}`);
  if (s.mount.fstype !== c.fstype) throw fail(`${c.mountPoint} is mounted as ${s.mount.fstype}, configured fstype is ${c.fstype}`);
  if (c.mountOptions && !hasOptions(s.mount, c.mountOptions)) {
    throw fail(`${c.mountPoint} is mounted with ${s.mount.options.join(',')}, missing some of ${c.mountOptions}`);
  }
}

/**
 * DRBD 8.x: /proc/drbd has the minors under the VG's devices (sysfs slaves).
 * An active VG on a minor that is not Primary is an error; a local disk that is no
 * longer UpToDate (detached after an I/O error, I/O served by the peer) is
 * reported as degraded when require_uptodate is set. DRBD 9 shows no minors in
 * /proc/drbd; DRBD itself refuses to demote a device that is open, so the
 * monitor does not fork drbdsetup for it.
 */
async function checkDrbd(ctx: Ctx, c: VgConfig, s: VgState): Promise<OcfExit> {
  const minors = drbdMinorsBelow(s.devs);
  if (minors.length === 0) return OcfExit.SUCCESS;
  const proc = await readProcDrbd(ctx.root);
  if (!proc) throw fail(`volume group ${c.vg} is active on DRBD minor ${minors.join(', ')} but /proc/drbd is gone`);
  let rc = OcfExit.SUCCESS;
  for (const minor of minors) {
    const r = proc.resources.find((x) => x.volumes.some((v) => v.minor === minor));
    if (!r) continue; // DRBD 9
    const disk = r.volumes.find((v) => v.minor === minor)!.disk;
    if (r.role !== 'Primary') throw fail(`volume group ${c.vg} is active but DRBD minor ${minor} is ${r.role}`);
    if (c.requireUptodate && disk !== 'UpToDate') {
      ctx.log.warn('DRBD disk under the VG is not UpToDate', { vg: c.vg, minor, disk });
      rc = OcfExit.DEGRADED;
    }
  }
  return rc;
}

/** The LV read at depth 10: monitor_lv, else metadata_lv, else the first active LV. */
function probeLv(c: VgConfig, s: VgState): string {
  const lv = c.monitorLv ?? c.metadataLv ?? [...s.lvs.keys()].sort()[0];
  if (!lv) throw fail(`volume group ${c.vg} has dm devices but no active LV to read`);
  if (!s.lvs.has(lv)) throw fail(`LV ${c.vg}/${lv} is not active`);
  return lv;
}

async function readOneBlock(ctx: Ctx, c: VgConfig, s: VgState): Promise<void> {
  const lv = probeLv(c, s);
  const dev = ctx.root.path(mapperPath(c.vg, lv));
  const { run, ExecFailedError, ExecTimeoutError } = await import('../../lib/exec/run.js');
  const dd = (direct: boolean) => run('dd', [`if=${dev}`, 'of=/dev/null', 'bs=4096', 'count=1', ...(direct ? ['iflag=direct'] : [])],
    { timeoutMs: ctx.deadline.step(10_000) });
  try {
    try {
      await dd(true);
    } catch (e) {
      // O_DIRECT is refused by some devices/filesystems (EINVAL): fall back to a buffered read.
      if (e instanceof ExecFailedError && /Invalid argument/.test(e.result.stderr)) await dd(false);
      else throw e;
    }
  } catch (e) {
    if (e instanceof ExecTimeoutError) throw fail(`reading a block from ${c.vg}/${lv} hung: ${e.message}`);
    if (e instanceof ExecFailedError) throw fail(`cannot read from ${c.vg}/${lv}: ${e.message}`);
    throw e;
  }
}
