/**
 * The `target` agent's actions: start reconciles configfs with the configuration, stop
 * removes only this resource's objects, monitor reports 0/7/1 with the first difference.
 */
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { openConfigFs } from '../../lib/configfs/open.js';
import { absolute, ISCSI_DIR, targetDir, TPGT_RE } from '../../lib/configfs/layout.js';
import { readLive, readStorageObjects } from '../../lib/configfs/reader.js';
import { firstDifference, presence } from '../../lib/configfs/diff.js';
import { planReconcile, planTeardown, PlanError } from '../../lib/configfs/plan.js';
import { applyPlan, ApplyError, describe } from '../../lib/configfs/apply.js';
import { mutatingTotal, totalOps, type OpCounts } from '../../lib/configfs/io.js';
import type { DesiredState, StorageObjectRef } from '../../lib/configfs/model.js';
import { loadDesired, targetNames } from './config.js';
import type { ParamsOf } from '../../lib/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { definition } from './definition.js';
import { CLAIMS_DIR, excludes, hideClaimedNps, npOfDirName, readClaims } from '../../lib/configfs/network-portals.js';
import { portalDirName } from '../../lib/configfs/model.js';
import { withLock } from '../../lib/sys/lock.js';
import { onStopHang, sysrqReboot, type RebootFn } from './stop-hang.js';

export type TargetParams = ParamsOf<typeof definition>;
type Ctx = OcfContext<TargetParams>;

export interface TargetDeps { reboot: RebootFn }

const LOCK = '/run/lioha/target.lock';

function settings(ctx: Ctx) {
  return {
    iqns: targetNames(ctx.params.iqn),
    config: ctx.params.config,
    ...(ctx.params.secrets ? { secrets: ctx.params.secrets } : {}),
    deriveWwn: ctx.params.derive_wwn,
  };
}

/** The configuration this resource wants; missing on this node: 'installed', wrong: 'config'. */
function desiredOrFail(ctx: Ctx): Promise<DesiredState> {
  return loadDesired(settings(ctx), (p) => ctx.root.path(p));
}

function open(ctx: Ctx) {
  return openConfigFs((p) => ctx.root.path(p), () => ctx.deadline.budget(ctx.params.write_timeout * 1000));
}

/**
 * Why the kernel refused to bind a network portal, when another np on the node holds the port
 * (a wildcard and a specific address exclude each other node-wide): the verdict and both names.
 */
async function npClash(cfs: Awaited<ReturnType<typeof open>>, rel: string): Promise<string | undefined> {
  const mine = npOfDirName(rel.slice(rel.lastIndexOf('/') + 1));
  if (!mine || !rel.includes('/np/')) return undefined;
  for (const t of await cfs.readdir(ISCSI_DIR).catch(() => [] as string[])) {
    for (const tpg of (await cfs.readdir(targetDir(t)).catch(() => [] as string[])).filter((x) => TPGT_RE.test(x))) {
      for (const n of await cfs.readdir(`${targetDir(t)}/${tpg}/np`).catch(() => [] as string[])) {
        const other = npOfDirName(n);
        if (other && excludes(other, mine)) return `start: cannot bind ${portalDirName(mine)}: port ${mine.port} is held by ${n} of ${t} (wildcard vs specific)`;
      }
    }
  }
  return undefined;
}

/** Network portals that portal resources created and own (lib/configfs/network-portals.ts). */
function claims(ctx: Ctx): Map<string, string> {
  return readClaims(ctx.root.path(CLAIMS_DIR));
}

function summary(c: OpCounts): Record<string, number> {
  return { ops: totalOps(c), mutating: mutatingTotal(c), mkdir: c.mkdir, rmdir: c.rmdir, symlink: c.symlink, unlink: c.unlink, write: c.write, read: c.read };
}

async function configfsPresent(ctx: Ctx): Promise<boolean> {
  const { existsSync } = await import('node:fs');
  return existsSync(ctx.root.path(absolute(ISCSI_DIR)));
}

export async function monitor(ctx: Ctx): Promise<OcfExit> {
  const iqns = targetNames(ctx.params.iqn);
  if (!(await configfsPresent(ctx))) return OcfExit.NOT_RUNNING; // iscsi_target_mod not loaded: nothing can exist
  const cfs = await open(ctx);
  let desired: DesiredState;
  try {
    desired = await desiredOrFail(ctx);
  } catch (e) {
    // A probe on a node without the configuration must still be able to say "not here".
    for (const iqn of iqns) {
      if (!(await cfs.exists(targetDir(iqn)))) continue;
      // Live here but unverifiable: a failure (recovery can stop it; stop needs no configuration).
      if (e instanceof Failure) throw new Failure('generic', `target ${iqn} is live but cannot be checked: ${e.reason}`);
      throw e;
    }
    return OcfExit.NOT_RUNNING;
  }
  const full = ctx.checkLevel >= 10;
  const refs = new Set(desired.storageObjects.keys());
  const live = await readLive(cfs, iqns, full ? 'full' : 'shallow', desired, refs);
  if (full) hideClaimedNps(live, desired, claims(ctx));
  const p = presence(desired, live);
  if (p.state === 'absent') return OcfExit.NOT_RUNNING;
  if (p.state === 'partial') throw new Failure('generic', `partly configured: ${p.reason}`);
  const details = full ? (await readStorageObjects(cfs, { refs, attributes: 'none', info: true })).details : undefined;
  const diff = firstDifference(desired, live, full, details);
  ctx.log.debug('target monitored', { depth: ctx.checkLevel, ...summary(cfs.counts) });
  if (diff) throw new Failure('generic', diff);
  return OcfExit.SUCCESS;
}

async function ensureFabric(ctx: Ctx): Promise<void> {
  if (await configfsPresent(ctx)) return;
  if (!ctx.root.isHost) throw new Failure('installed', `${absolute(ISCSI_DIR)} does not exist under ${ctx.root.base}`);
  const { run } = await import('../../lib/exec/run.js');
  try {
    await run('modprobe', ['iscsi_target_mod'], { timeoutMs: ctx.deadline.budget(10_000) });
  } catch (e) {
    throw new Failure('installed', `cannot load iscsi_target_mod: ${(e as Error).message}`);
  }
  const { mkdirSync, existsSync } = await import('node:fs');
  // Creating iscsi/ registers the iSCSI fabric with target_core_mod (what rtslib does).
  if (!existsSync(ctx.root.path(absolute(ISCSI_DIR)))) mkdirSync(ctx.root.path(absolute(ISCSI_DIR)));
}

/** Block/file devices must exist on this node before the kernel is asked to open them. */
async function checkDevices(ctx: Ctx, desired: DesiredState): Promise<void> {
  const { existsSync } = await import('node:fs');
  for (const [ref, so] of desired.storageObjects) {
    if ((so.kind === 'block' || so.kind === 'pscsi') && !existsSync(ctx.root.path(so.dev))) {
      throw new Failure('generic', `${ref}: device ${so.dev} does not exist on this node (volume group not active?)`);
    }
  }
}

export async function start(ctx: Ctx): Promise<OcfExit> {
  const desired = await desiredOrFail(ctx);
  const iqns = [...desired.targets.keys()];
  await ensureFabric(ctx);
  const cfs = await open(ctx);
  const t0 = performance.now();
  await withLock(ctx.root.path(LOCK), ctx.deadline.budget(), async () => {
    const live = await readLive(cfs, iqns, 'full', desired);
    hideClaimedNps(live, desired, claims(ctx));
    let ops;
    try {
      ops = planReconcile(desired, live);
    } catch (e) {
      if (e instanceof PlanError) throw new Failure('generic', e.message);
      throw e;
    }
    if (ops.some((o) => o.op === 'mkdir' && o.path.startsWith('core/'))) await checkDevices(ctx, desired);
    try {
      await applyPlan(cfs, ops);
    } catch (e) {
      if (e instanceof ApplyError) {
        const clash = e.failed.op === 'mkdir' && (e.cause as { code?: string })?.code === 'EINVAL' ? await npClash(cfs, e.failed.path) : undefined;
        throw new Failure('generic', clash ?? `start: ${e.message}`);
      }
      throw e;
    }
  });
  ctx.log.info('target started', { targets: iqns, ms: Math.round(performance.now() - t0), ...summary(cfs.counts) });
  // Never report success before everything is really there.
  const live = await readLive(cfs, iqns, 'full', desired, new Set(desired.storageObjects.keys()));
  hideClaimedNps(live, desired, claims(ctx));
  const details = (await readStorageObjects(cfs, { refs: new Set(desired.storageObjects.keys()), attributes: 'none', info: true })).details;
  const diff = firstDifference(desired, live, true, details);
  if (diff) throw new Failure('generic', `after start: ${diff}`);
  return OcfExit.SUCCESS;
}

export function makeStop(deps: TargetDeps) {
  return async function stop(ctx: Ctx): Promise<OcfExit> {
    if (!(await configfsPresent(ctx))) return OcfExit.SUCCESS;
    let iqns: string[];
    try {
      iqns = targetNames(ctx.params.iqn);
    } catch (e) {
      // Names that are not iSCSI names never reached configfs (start refuses them): nothing to stop.
      ctx.log.warn('stop: parameter iqn is invalid; nothing of this resource can exist', { error: (e as Error).message });
      return OcfExit.SUCCESS;
    }
    // Stop must work even when the configuration is gone or broken: ownership is the iqn list.
    let desired: DesiredState | undefined;
    try {
      desired = await loadDesired(settings(ctx), (p) => ctx.root.path(p));
    } catch (e) {
      ctx.log.warn('configuration unreadable during stop; removing by iqn only', { error: (e as Error).message });
    }
    const cfs = await open(ctx);
    const t0 = performance.now();
    try {
      await withLock(ctx.root.path(LOCK), ctx.deadline.budget(), async () => {
        const live = await readLive(cfs, iqns, 'tree');
        const candidates = new Set<StorageObjectRef>(desired?.storageObjects.keys() ?? []);
        for (const t of live.targets.values()) for (const tpg of t.tpgs) for (const l of tpg.luns) if (l.storageObject) candidates.add(l.storageObject);
        const ops = planTeardown(iqns, live, candidates);
        if (cfs.emulated) {
          await applyPlan(cfs, ops, { rollback: false });
        } else {
          // Real kernel: from a child, so a write stuck in the kernel cannot keep this process from answering.
          const { applyInChild } = await import('../../lib/configfs/child-apply.js');
          await applyInChild(cfs.base, ops, {
            opTimeoutMs: ctx.params.write_timeout * 1000,
            totalTimeoutMs: ctx.deadline.budget(),
            progressFile: ctx.root.path(`/run/lioha/target-${ctx.instance}.progress`),
          });
          for (const o of ops) cfs.countExternal(o.op === 'ensure' ? 'write' : o.op);
        }
        // Verify: our targets gone, and none of our storage objects left unless another target uses them.
        const after = await readLive(cfs, iqns, 'shallow', undefined, candidates);
        const left = [...after.targets.keys()][0] ?? [...after.storageObjects.keys()].find((r) => ![...(after.users.get(r) ?? [])].some((u) => !iqns.includes(u)));
        if (left) throw new Failure('generic', `stop: ${left} is still present`);
      });
    } catch (e) {
      if (e instanceof ApplyError && e.hung) {
        // The operation that hung names the object; the whole story (paths, rollback) goes to the log.
        const d = await onStopHang(ctx.params.on_stop_hang, ctx.root, ctx.log, `${describe(e.failed)} timed out`, deps.reboot);
        throw new Failure('generic', d.reason, e.message);
      }
      if (e instanceof ApplyError) throw new Failure('generic', `stop failed: ${e.message}`, e.message);
      throw e;
    }
    ctx.log.info('target stopped', { targets: iqns, ms: Math.round(performance.now() - t0), ...summary(cfs.counts) });
    return OcfExit.SUCCESS;
  };
}

export async function validate(ctx: Ctx): Promise<OcfExit> {
  if (!(ctx.params.write_timeout >= 1)) throw new Failure('config', 'parameter write_timeout must be at least 1 second');
  await desiredOrFail(ctx);
  return OcfExit.SUCCESS;
}

export function createTargetActions(deps: Partial<TargetDeps> = {}) {
  const d: TargetDeps = { reboot: deps.reboot ?? sysrqReboot };
  return { start, stop: makeStop(d), monitor, validate };
}

export const actions: AgentActions<ParamsOf<typeof definition>> = createTargetActions();
