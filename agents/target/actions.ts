/**
 * The `target` agent's actions: start reconciles configfs with the configuration, stop
 * removes only this resource's objects, monitor reports 0/7/1 with the first difference.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { paramLimitMs, type OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { openConfigFs } from '../../lib/configfs/open.js';
import { absolute, isCorePath, isNpPath, ISCSI_DIR, npsOf, targetDir, TPGT_RE } from '../../lib/configfs/layout.js';
import { readLive } from '../../lib/configfs/reader.js';
import { firstDifference, presence } from '../../lib/configfs/diff.js';
import { planReconcile, planTeardown, PlanError, teardownCandidates } from '../../lib/configfs/plan.js';
import { applyPlan, ApplyError, describe, type ApplyResult } from '../../lib/configfs/apply.js';
import { applyInChild } from '../../lib/configfs/child-apply.js';
import { ConfigFsHangError, mutatingTotal, totalOps, type OpCounts } from '../../lib/configfs/io.js';
import type { DesiredState, LiveState } from '../../lib/configfs/model.js';
import { describeClash, naaClashes } from '../../lib/configfs/desired.js';
import { ConfigError } from '../../lib/configfs/saveconfig.js';
import { agentIdentity, cacheKey, readDesiredCache, writeDesiredCache } from '../../lib/configfs/desired-cache.js';
import { preparePr, prDirMissing } from './pr-setup.js';
import { loadDesired, targetNames } from './config.js';
import type { ParamsOf } from '../../lib/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { definition } from './definition.js';
import { CLAIMS_DIR, excludes, hideClaimedNps, npOfDirName, readClaims } from '../../lib/configfs/network-portals.js';
import { portalDirName } from '../../lib/configfs/model.js';
import { withLock } from '../../lib/sys/lock.js';
import { onStopHang, sysrqReboot, type RebootFn } from './stop-hang.js';
import { loadFabricModule } from './fabric.js';

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

const loaded = new WeakMap<Ctx, Promise<DesiredState>>();
/**
 * The configuration this resource wants; missing on this node: 'installed', wrong: 'config'.
 * Read and checked once per invocation: dispatch runs validate-all and start with one context.
 */
function desiredOrFail(ctx: Ctx): Promise<DesiredState> {
  let d = loaded.get(ctx);
  if (!d) {
    d = loadDesired(settings(ctx), (p) => ctx.root.path(p), (msg) => ctx.log.debug('configuration: ignored', { note: msg })).catch(
      (e: unknown) => {
        // The reason holds the most fundamental problem; the log holds them all.
        if (e instanceof ConfigError && e.problems.length > 1) ctx.log.error('configuration refused', { problems: e.problems });
        throw e;
      },
    );
    loaded.set(ctx, d);
  }
  return d;
}
/** Where monitors keep the compiled configuration (lib/configfs/desired-cache.ts). */
const CACHE_DIR = '/run/lioha/cache';

const compiled = new WeakMap<Ctx, Promise<DesiredState>>();
/**
 * The configuration for a start, a monitor or a stop: the compiled copy when nothing it was derived
 * from has changed (the key holds every input file's identity, mode included, and the agent build), else
 * read and checked by `load` (and cached). A copy is only ever written from a configuration that passed
 * every check, so a hit is that same verdict: on a failover, the probe that ran on this node has left it
 * for the start. validate-all run by hand reads the configuration itself. Once per invocation.
 */
function desiredCompiled(ctx: Ctx, load: () => Promise<DesiredState> = () => desiredOrFail(ctx)): Promise<DesiredState> {
  let d = compiled.get(ctx);
  if (!d) {
    const c = compiledCache(ctx);
    const hit = c.key === undefined ? undefined : readDesiredCache(c.file, c.key.key);
    d = hit ? Promise.resolve(hit) : load().then((desired) => { keep(c, desired); return desired; });
    compiled.set(ctx, d);
  }
  return d;
}

/** Writes the compiled copy, unless an input is too young to key it safely. */
function keep(c: ReturnType<typeof compiledCache>, desired: DesiredState): void {
  if (c.key?.settled) writeDesiredCache(c.file, c.key.key, desired);
}

function compiledCache(ctx: Ctx) {
  const s = settings(ctx);
  const key = cacheKey({
    agent: agentIdentity(), iqns: s.iqns, deriveWwn: s.deriveWwn,
    config: ctx.root.path(s.config), ...(s.secrets ? { secrets: ctx.root.path(s.secrets) } : {}),
  });
  const file = ctx.root.path(`${CACHE_DIR}/target-${ctx.instance.replace(/[^A-Za-z0-9_.:-]/g, '_')}.json`);
  return { key, file };
}

/** attrib/<name> or param/<name> of each skipped path, once each. */
function missingNames(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.split('/').slice(-2).join('/')))].sort();
}

/** Another storage object live on this node whose serial gives one of ours the same NAA id. */
function liveClash(desired: DesiredState, live: LiveState): string | undefined {
  const ours: [string, string][] = [...desired.storageObjects].filter(([, so]) => so.kind !== 'pscsi' && so.wwn).map(([r, so]) => [r, so.wwn!]);
  const others: [string, string][] = [...live.storageObjects].filter(([r, so]) => !desired.storageObjects.has(r) && so.kind !== 'pscsi' && so.wwn).map(([r, so]) => [`${r} (live)`, so.wwn]);
  const clash = naaClashes([...others, ...ours])[0];
  return clash && describeClash(clash);
}

/** Configured values the kernel decides itself (lib/configfs/attribute-decider.ts): skipped, as targetctl restore does; said by validate-all, which also runs before start. */
function warnKernelDecided(ctx: Ctx, desired: DesiredState): void {
  if (desired.kernelDecided?.length) ctx.log.warn(`configured values the kernel decides itself are skipped, as under targetctl restore: ${desired.kernelDecided.join('; ')}`);
}

/** A write the kernel refused, with the attribute named first (the reason is cut at 128 characters). */
function rejectedReason(e: ApplyError): string {
  const op = e.failed;
  const code = (e.cause as { code?: string })?.code ?? 'error';
  if ((op.op === 'write' || op.op === 'ensure') && /\/(attrib|param|alua\/[^/]+)\/[^/]+$/.test(op.path)) {
    const name = op.path.split('/').slice(-2).join('/');
    const owner = op.path.split('/').slice(0, isCorePath(op.path) ? 3 : -2).join('/');
    return `start: kernel rejected ${name}=${JSON.stringify(op.value)} (${code}) on ${owner}`;
  }
  return `start: ${e.message}`;
}

/** How long one configfs operation may block: write_timeout as set, or its default scaled like a built-in step. */
function writeTimeoutMs(ctx: Ctx): number {
  return paramLimitMs(ctx, 'write_timeout', ctx.params.write_timeout * 1000);
}

function open(ctx: Ctx) {
  return openConfigFs((p) => ctx.root.path(p), () => ctx.deadline.budget(writeTimeoutMs(ctx)));
}

/**
 * Why the kernel refused to bind a network portal, when another np on the node holds the port
 * (a wildcard and a specific address exclude each other node-wide): the verdict and both names.
 */
async function npClash(cfs: Awaited<ReturnType<typeof open>>, rel: string): Promise<string | undefined> {
  const mine = npOfDirName(rel.slice(rel.lastIndexOf('/') + 1));
  if (!mine || !isNpPath(rel)) return undefined;
  for (const t of await cfs.readdir(ISCSI_DIR).catch(() => [] as string[])) {
    for (const tpg of (await cfs.readdir(targetDir(t)).catch(() => [] as string[])).filter((x) => TPGT_RE.test(x))) {
      for (const n of await cfs.readdir(npsOf(`${targetDir(t)}/${tpg}`)).catch(() => [] as string[])) {
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

/** Phase times for OCF_TRACE_RA / LIOHA_LOG_LEVEL=debug: where an action's time goes on a slow node. */
function phaseLog(ctx: Ctx, t0: number): (what: string) => void {
  return (what) => ctx.log.debug(`${ctx.action}: ${what}`, { ms: Math.round(performance.now() - t0) });
}

async function configfsPresent(ctx: Ctx): Promise<boolean> {
  return existsSync(ctx.root.path(absolute(ISCSI_DIR)));
}

export async function monitor(ctx: Ctx): Promise<OcfExit> {
  const iqns = targetNames(ctx.params.iqn);
  if (!(await configfsPresent(ctx))) return OcfExit.NOT_RUNNING; // iscsi_target_mod not loaded: nothing can exist
  const cfs = await open(ctx);
  let desired: DesiredState;
  try {
    desired = await desiredCompiled(ctx);
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
  const live = await readLive(cfs, iqns, full ? 'full' : 'shallow', desired, refs, { info: full });
  if (full) hideClaimedNps(live, desired, claims(ctx));
  const p = presence(desired, live);
  if (p.state === 'absent') return OcfExit.NOT_RUNNING;
  if (p.state === 'partial') throw new Failure('generic', `partly configured: ${p.reason}`);
  const details = full ? live.details : undefined;
  const diff = firstDifference(desired, live, full, details) ?? (full ? await prDirMissing(cfs, (p) => ctx.root.path(p)) : undefined);
  ctx.log.debug('target monitored', { depth: ctx.checkLevel, ...summary(cfs.counts) });
  if (diff) throw new Failure('generic', diff);
  return OcfExit.SUCCESS;
}

async function ensureFabric(ctx: Ctx): Promise<void> {
  if (await configfsPresent(ctx)) return;
  if (!ctx.root.isHost) throw new Failure('installed', `${absolute(ISCSI_DIR)} does not exist under ${ctx.root.base}`);
  await loadFabricModule(ctx);
  // Creating iscsi/ registers the iSCSI fabric with target_core_mod (what rtslib does).
  if (!existsSync(ctx.root.path(absolute(ISCSI_DIR)))) mkdirSync(ctx.root.path(absolute(ISCSI_DIR)));
}

/** Block/file devices must exist on this node before the kernel is asked to open them. */
async function checkDevices(ctx: Ctx, desired: DesiredState): Promise<void> {
  for (const [ref, so] of desired.storageObjects) {
    if ((so.kind === 'block' || so.kind === 'pscsi') && !existsSync(ctx.root.path(so.dev))) {
      throw new Failure('generic', `${ref}: device ${so.dev} does not exist on this node (volume group not active?)`);
    }
  }
}

export async function start(ctx: Ctx): Promise<OcfExit> {
  ctx.log.debug('start: begun');
  const desired = await desiredCompiled(ctx);
  const iqns = [...desired.targets.keys()];
  await ensureFabric(ctx);
  const cfs = await open(ctx);
  const t0 = performance.now();
  const phase = phaseLog(ctx, t0);
  let missing: string[] = [];
  let refused: ApplyResult['refused'] = [];
  await withLock(ctx.root.path(LOCK), ctx.deadline.budget(), async () => {
    phase('locked');
    const live = await readLive(cfs, iqns, 'full', desired);
    // Another resource's live object: a conflict of this node only (the target may start where that one
    // does not run), so 1, never 6, which would ban the target from every node.
    const clash = liveClash(desired, live);
    if (clash) throw new Failure('generic', clash);
    const pr = await preparePr(cfs, { dbroot: ctx.params.dbroot, prDir: ctx.params.pr_dir }, desired, live, (p) => ctx.root.path(p));
    for (const note of pr.notes) ctx.log.warn(note);
    hideClaimedNps(live, desired, claims(ctx));
    let ops;
    try {
      ops = planReconcile(desired, live, { aptpl: pr.registrations });
    } catch (e) {
      if (e instanceof PlanError) throw new Failure('generic', e.message);
      throw e;
    }
    if (ops.some((o) => o.op === 'mkdir' && isCorePath(o.path))) await checkDevices(ctx, desired);
    phase(`planned ${ops.length} operations`);
    try {
      ({ missing, refused } = await applyPlan(cfs, ops));
    } catch (e) {
      if (e instanceof ApplyError) {
        const clash = e.failed.op === 'mkdir' && (e.cause as { code?: string })?.code === 'EINVAL' ? await npClash(cfs, e.failed.path) : undefined;
        throw new Failure('generic', clash ?? rejectedReason(e));
      }
      throw e;
    }
  });
  if (missing.length) {
    // As targetctl restore: carried on without them; monitor does not count them as drift.
    ctx.log.warn(`configured attributes this kernel does not have were skipped: ${missingNames(missing).join(', ')}`, { paths: missing });
  }
  if (refused.length) {
    // As targetctl restore: the device on this node cannot honour a limit saved on another; the kernel keeps its own.
    const named = refused.map((r) => `${r.path.split('/').pop()}=${r.value} on ${r.path.split('/').slice(0, 3).join('/')} (${r.code})`);
    ctx.log.warn(`the kernel kept its own value for device-bound attributes it refused: ${named.join(', ')}`, { refused });
  }
  ctx.log.info('target started', { targets: iqns, ms: Math.round(performance.now() - t0), ...summary(cfs.counts) });
  // Never report success before everything is really there.
  const claimed = claims(ctx);
  let diff = await differenceAfterStart(cfs, desired, iqns, claimed);
  if (diff) {
    // Fresh TPGs/ACLs were planned against the kernel defaults of defaults.ts; a kernel with
    // other defaults shows here: write what differs (once), then check again.
    const now = await readLive(cfs, iqns, 'full', desired);
    hideClaimedNps(now, desired, claimed);
    const fix = planReconcile(desired, now);
    if (fix.length) {
      ctx.log.warn('start: kernel defaults differ from the known ones; correcting', { first: diff, ops: fix.length });
      try {
        await applyPlan(cfs, fix, { rollback: false });
      } catch (e) {
        if (e instanceof ApplyError) throw new Failure('generic', `start: ${e.message}`);
        throw e;
      }
      diff = await differenceAfterStart(cfs, desired, iqns, claimed);
    }
  }
  if (diff) throw new Failure('generic', `after start: ${diff}`);
  phase('checked');
  return OcfExit.SUCCESS;
}

async function differenceAfterStart(
  cfs: Awaited<ReturnType<typeof open>>, desired: DesiredState, iqns: string[], claimed: Map<string, string>,
): Promise<string | undefined> {
  const refs = new Set(desired.storageObjects.keys());
  // What a depth-10 monitor reads: the comparison needs no other target's LUN links.
  const live = await readLive(cfs, iqns, 'full', desired, refs, { info: true });
  hideClaimedNps(live, desired, claimed);
  return firstDifference(desired, live, true, live.details);
}

export function makeStop(deps: TargetDeps) {
  return async function stop(ctx: Ctx): Promise<OcfExit> {
    ctx.log.debug('stop: begun');
    if (!(await configfsPresent(ctx))) return OcfExit.SUCCESS;
    let iqns: string[];
    try {
      iqns = targetNames(ctx.params.iqn);
    } catch (e) {
      // Names that are not iSCSI names never reached configfs (start refuses them): nothing to stop.
      ctx.log.warn('stop: parameter iqn is invalid; nothing of this resource can exist', { error: (e as Error).message });
      return OcfExit.SUCCESS;
    }
    const cfs = await open(ctx);
    // Stop must work even when the configuration is gone or broken: ownership is the iqn list.
    let desired: DesiredState | undefined;
    try {
      // Only its storage object names are used: the compiled copy serves when it is current.
      desired = await desiredCompiled(ctx, () => loadDesired(settings(ctx), (p) => ctx.root.path(p)));
    } catch (e) {
      ctx.log.warn('configuration unreadable during stop; removing by iqn only', { error: (e as Error).message });
    }
    const t0 = performance.now();
    const phase = phaseLog(ctx, t0);
    try {
      await withLock(ctx.root.path(LOCK), ctx.deadline.budget(), async () => {
        phase('locked');
        const live = await readLive(cfs, iqns, 'tree');
        const candidates = teardownCandidates(live, desired?.storageObjects.keys());
        const ops = planTeardown(iqns, live, candidates);
        phase(`planned ${ops.length} operations`);
        if (cfs.emulated) {
          await applyPlan(cfs, ops, { rollback: false });
        } else if (ops.length) {
          // Real kernel: from a child, so a write stuck in the kernel cannot keep this process from answering.
          await applyInChild(cfs.base, ops, {
            opTimeoutMs: writeTimeoutMs(ctx),
            totalTimeoutMs: ctx.deadline.budget(),
            progressFile: ctx.root.path(`/run/lioha/target-${ctx.instance}.progress`),
          });
          for (const o of ops) cfs.countExternal(o.op === 'ensure' ? 'write' : o.op);
        }
        phase('applied');
        // Verify: our targets gone, and none of our storage objects left unless another target uses them.
        const after = await readLive(cfs, iqns, 'tree', undefined, candidates);
        const left = [...after.targets.keys()][0] ?? [...after.storageObjects.keys()].find((r) => ![...(after.users.get(r) ?? [])].some((u) => !iqns.includes(u)));
        if (left) throw new Failure('generic', `stop: ${left} is still present`);
      });
    } catch (e) {
      if (e instanceof ApplyError && e.hung) {
        // The operation that hung names the object (the first of its call); the whole story (paths, rollback) goes to the log.
        const calls = e.cause instanceof ConfigFsHangError ? e.cause.calls : 1;
        const d = await onStopHang(ctx.params.on_stop_hang, ctx.root, ctx.log, `${describe(e.failed)}${calls > 1 ? ` (or one of ${calls - 1} after it)` : ''} timed out`, deps.reboot);
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
  // Before a start, the start's own source (the compiled copy when current); validate-all reads the files.
  const desired = await (ctx.action === 'start' ? desiredCompiled(ctx) : desiredOrFail(ctx));
  // Before a start, start itself names what it skips, from the kernel it writes to: no second
  // report from the recorded kernel trees (~50 KB of data start does not otherwise load).
  warnKernelDecided(ctx, desired);
  if (ctx.action === 'start') return OcfExit.SUCCESS;
  // Say now, not at failover, which configured attributes this node's kernel lacks.
  const { kernelLacks } = await import('../../lib/configfs/kernel-attributes.js');
  const report = await kernelLacks(desired, (p) => ctx.root.path(p));
  if (report.lacks.length) ctx.log.warn(`this kernel (${report.kernel}) lacks configured attributes, which start will skip: ${report.lacks.join(', ')}`);
  else if (report.unknown) ctx.log.info(`cannot tell which attributes kernel ${report.kernel} has: ${report.unknown}`);
  return OcfExit.SUCCESS;
}

export function createTargetActions(deps: Partial<TargetDeps> = {}) {
  const d: TargetDeps = { reboot: deps.reboot ?? sysrqReboot };
  return { start, stop: makeStop(d), monitor, validate };
}

export const actions: AgentActions<ParamsOf<typeof definition>> = createTargetActions();
