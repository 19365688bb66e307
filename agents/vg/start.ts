import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import type { ParamsOf } from '../../lib/definition.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { Failure } from '../../lib/failure.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Lvm } from '../../lib/lvm/lvm.js';
import { DrbdNotLoaded, DrbdStatus, drbdMinorOfPath, type MinorState } from '../../lib/drbd/status.js';
import { mountAt } from '../../lib/proc/mounts.js';
import type { definition } from './definition.js';
import { vgConfig, type VgConfig } from './config.js';
import { execFor, step, udevAbsent } from './exec.js';
import { mapperPath, readMounts, readVgState } from './state.js';
import { monitor } from './monitor.js';
import { deactivate, unmountMetadata } from './stop.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;
const fail = (reason: string) => new Failure('generic', reason);

/** The value of a settled read, or its failure thrown where the read used to be awaited on its own. */
function taken<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

const describe = (s: MinorState) =>
  `DRBD ${s.resource ? `${s.resource} ` : ''}minor ${s.minor} is ${s.role}${s.peerRole ? ` (peer ${s.peerRole})` : ''}, disk ${s.disk}`;

/**
 * Activate only where DRBD is Primary: the VG's PVs are DRBD devices, and
 * activating on a Secondary would at best fail ("Wrong medium type") and at worst
 * use a stale copy. Then take exclusive ownership, activate, mount; on any failure
 * undo what this start did.
 */
export async function start(ctx: Ctx): Promise<OcfExit> {
  const c = vgConfig(ctx.params);
  const before = await readVgState(ctx.root, c);
  if (before.devs.length > 0) {
    // Already (partly) active: idempotent when complete, else finish the job below.
    try {
      const rc = await monitor(ctx);
      if (rc === OcfExit.SUCCESS || rc === OcfExit.DEGRADED) return rc;
    } catch { /* incomplete: continue */ }
  }
  const exec = execFor(ctx);
  const lvm = new Lvm(exec, { extraAccept: c.extraDevices, noUdev: udevAbsent(ctx) });
  // Every read start needs runs at once (each LVM command is a process that scans the PVs),
  // and all have answered before anything is decided or changed. The results are taken in
  // the order they were asked one by one before: the DRBD gate first, so a refusal names DRBD.
  const [gate, found, systemId] = await Promise.allSettled([
    gateOnDrbd(ctx, c, lvm),
    step(`looking up volume group ${c.vg}`, () => lvm.vg(c.vg)),
    c.mode === 'system_id' ? step('reading the local LVM system ID', () => lvm.systemId()) : Promise.resolve(''),
  ]);
  if (gate.status === 'rejected') throw gate.reason;
  const row = taken(found);
  if (!row) throw fail(`Volume group ${c.vg} not found on /dev/drbd*${c.extraDevices.length ? ' or extra_devices' : ''}${lvm.lastStderr ? `: ${lvm.lastStderr}` : ''}`);
  if (row.exported) throw fail(`volume group ${c.vg} is exported (vgimport it first)`);

  await takeOwnership(c, lvm, row.systemId, row.tags, () => taken(systemId));

  const activatedHere = before.devs.length === 0;
  let mounted = false;
  try {
    await step(`activating volume group ${c.vg}`, () => lvm.activate(c.vg, true, c.mode === 'tagging' ? [`@${c.tag}`] : undefined));
    // The LV list (a check) and the metadata mount (which needs only the activation just done) go
    // together: each is a process, and on a failover every one is on the critical path.
    const [listed, mount] = await Promise.allSettled([
      step(`listing LVs of ${c.vg}`, () => lvm.lvs(c.vg)),
      c.metadataLv ? mountMetadata(ctx, c) : Promise.resolve(false),
    ]);
    mounted = mount.status === 'fulfilled' && mount.value;
    const lvs = taken(listed);
    // LVs flagged activation-skip (attr 'k', e.g. thin snapshots, or LVs created with -ky) stay inactive by design.
    const inactive = lvs.filter((l) => !l.active && l.attr[9] !== 'k').map((l) => l.name);
    if (inactive.length) throw fail(`after vgchange -ay, LV(s) of ${c.vg} still inactive: ${inactive.join(', ')}`);
    // Checked before the mount's own outcome: a missing LV is named as such, not as a failed mount.
    if (c.metadataLv && !lvs.some((l) => l.name === c.metadataLv)) {
      throw new Failure('config', `metadata_lv ${c.metadataLv} does not exist in volume group ${c.vg}`);
    }
    taken(mount);
    const rc = await monitor(ctx);
    if (rc !== OcfExit.SUCCESS && rc !== OcfExit.DEGRADED) throw fail(`volume group ${c.vg} not fully started (monitor ${rc})`);
    return rc;
  } catch (e) {
    await rollback(ctx, c, lvm, { unmount: mounted, deactivate: activatedHere });
    throw e;
  }
}

/** Every DRBD minor under the VG (and of drbd_resource) must be Primary, and UpToDate when required. */
async function gateOnDrbd(ctx: Ctx, c: VgConfig, lvm: Lvm): Promise<void> {
  const exec = execFor(ctx);
  let drbd: DrbdStatus;
  try {
    drbd = await new DrbdStatus(ctx.root, exec).load();
  } catch (e) {
    if (e instanceof DrbdNotLoaded) throw fail(`refusing to activate ${c.vg}: ${e.message}`);
    throw e;
  }
  const [named, listed] = await Promise.allSettled([
    c.drbdResource ? step(`reading DRBD resource ${c.drbdResource}`, () => drbd.resource(c.drbdResource!)) : Promise.resolve([]),
    step(`listing physical volumes of ${c.vg}`, () => lvm.pvs(c.vg)),
  ]);
  const states: MinorState[] = [...taken(named)];
  const pvs = taken(listed);
  const pvMinors: number[] = [];
  for (const pv of pvs) {
    const minor = drbdMinorOfPath(pv.name) ?? drbdMinorOfPath(await canonical(ctx, pv.name));
    if (minor !== undefined && !states.some((s) => s.minor === minor)) pvMinors.push(minor);
  }
  if (pvMinors.length) {
    const { states: found, missing } = await step('reading DRBD state', () => drbd.minors(pvMinors));
    if (missing.length) throw fail(`physical volume(s) of ${c.vg} on DRBD minor ${missing.join(', ')}, which DRBD does not report`);
    states.push(...found);
  }
  if (c.extraDevices.length) await refuseBackingDisks(ctx, c, drbd);
  if (states.length === 0) {
    // LVM cannot read a PV on a Secondary, so a VG on DRBD is invisible there.
    const { states: all } = drbd.is8 ? await drbd.minors(await allProcMinors(ctx)) : { states: [] as MinorState[] };
    const notPrimary = all.filter((s) => s.role !== 'Primary' && s.role !== 'Unknown');
    await nameResources(drbd, notPrimary);
    throw fail(`Volume group ${c.vg} not found on any DRBD device${notPrimary.length ? `; not Primary here: ${notPrimary.map(describe).join('; ')}` : ''}${c.drbdResource ? '' : ' (set drbd_resource to name its DRBD resource)'}`);
  }
  if (states.some((s) => s.role !== 'Primary' || (c.requireUptodate && s.disk !== 'UpToDate'))) await nameResources(drbd, states);
  const secondary = states.filter((s) => s.role !== 'Primary');
  if (secondary.length) throw fail(`refusing to activate ${c.vg} on a node that is not DRBD Primary: ${secondary.map(describe).join('; ')}`);
  if (c.requireUptodate) {
    const stale = states.filter((s) => s.disk !== 'UpToDate');
    if (stale.length) throw fail(`refusing to activate ${c.vg}: local DRBD disk not UpToDate (require_uptodate): ${stale.map(describe).join('; ')}`);
  }
  ctx.log.info('DRBD gate passed', { vg: c.vg, minors: states.map((s) => s.minor) });
}

/** /proc/drbd (8.x) has no resource names: take them from `drbdsetup show` for the exit reason. */
async function nameResources(drbd: DrbdStatus, states: MinorState[]): Promise<void> {
  if (states.every((s) => s.resource)) return;
  try {
    const cfg = await drbd.config();
    for (const s of states) s.resource ??= cfg.find((x) => x.minor === s.minor)?.resource;
  } catch { /* names are a courtesy; the minor is enough */ }
}

/** extra_devices must never let LVM see a DRBD backing disk: it carries the same PV label. */
async function refuseBackingDisks(ctx: Ctx, c: VgConfig, drbd: DrbdStatus): Promise<void> {
  const cfg = await step('reading the DRBD configuration (drbdsetup show)', () => drbd.config());
  for (const m of cfg) {
    if (!m.disk) continue;
    const names = new Set([m.disk, await canonical(ctx, m.disk)]);
    for (const re of c.extraDevices) {
      const hit = [...names].find((n) => new RegExp(re).test(n));
      if (hit) {
        // This node's disks (the peer's backing disk may be named differently): node-local, 5.
        throw new Failure('installed', `extra_devices ${re} matches ${hit}, the backing disk of DRBD ${m.resource} minor ${m.minor}: LVM would see its PV as a duplicate`);
      }
    }
  }
}

async function allProcMinors(ctx: Ctx): Promise<number[]> {
  const { readProcDrbd } = await import('../../lib/drbd/status.js');
  return (await readProcDrbd(ctx.root))?.resources.flatMap((r) => r.volumes.map((v) => v.minor)) ?? [];
}

async function canonical(ctx: Ctx, abs: string): Promise<string> {
  try {
    const real = realpathSync(ctx.root.path(abs));
    return ctx.root.isHost ? real : real.slice(ctx.root.base.replace(/\/+$/, '').length);
  } catch {
    return abs;
  }
}

async function takeOwnership(c: VgConfig, lvm: Lvm, vgSystemId: string, tags: string[], localSystemId: () => string): Promise<void> {
  if (c.mode === 'system_id') {
    const ours = localSystemId();
    if (!ours) {
      // This host's lvm.conf: node-local, 5 (the peer may be set up right).
      throw new Failure('installed', 'vg_access_mode=system_id but this host has no LVM system ID (set global/system_id_source in lvm.conf)');
    }
    if (vgSystemId !== ours) await step(`setting system ID ${ours} on ${c.vg} (was "${vgSystemId}")`, () => lvm.takeSystemId(c.vg, ours, vgSystemId));
    return;
  }
  for (const t of tags.filter((t) => t !== c.tag)) await step(`removing owner tag ${t} from ${c.vg}`, () => lvm.delTag(c.vg, t));
  if (!tags.includes(c.tag)) await step(`adding owner tag ${c.tag} to ${c.vg}`, () => lvm.addTag(c.vg, c.tag));
}

/** Mount the metadata LV; true if this call mounted it. */
async function mountMetadata(ctx: Ctx, c: VgConfig): Promise<boolean> {
  const s = await readVgState(ctx.root, c);
  if (s.mount) {
    if (s.mountIsOurs) return false;
    throw fail(`cannot mount ${c.vg}/${c.metadataLv}: ${c.mountPoint} already has ${s.mount.device} mounted`);
  }
  const dev = ctx.root.path(mapperPath(c.vg, c.metadataLv!));
  // No device, no mount point made: start runs this beside the LV listing, which names a missing LV.
  if (!existsSync(dev)) throw fail(`${c.vg}/${c.metadataLv} has no device node after activation`);
  mkdirSync(ctx.root.path(c.mountPoint), { recursive: true });
  const args = ['-t', c.fstype, ...(c.mountOptions ? ['-o', c.mountOptions] : []), dev, ctx.root.path(c.mountPoint)];
  const exec = execFor(ctx);
  await step(`mounting ${c.vg}/${c.metadataLv} on ${c.mountPoint}`, () => exec('mount', args, { maxMs: 30_000 }));
  if (!mountAt(await readMounts(ctx.root), c.mountPoint)) throw fail(`mount reported success but ${c.mountPoint} is not in /proc/self/mounts`);
  return true;
}

async function rollback(ctx: Ctx, c: VgConfig, lvm: Lvm, what: { unmount: boolean; deactivate: boolean }): Promise<void> {
  try {
    if (what.unmount) await unmountMetadata(ctx, c);
    if (what.deactivate) await deactivate(ctx, c, lvm);
    ctx.log.info('rolled back a failed start', { vg: c.vg, ...what });
  } catch (e) {
    ctx.log.error('rollback of a failed start failed', { vg: c.vg, error: (e as Error).message });
  }
}
