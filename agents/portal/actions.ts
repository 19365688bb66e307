/**
 * ocf:lioha:portal actions. Order matters:
 *   start: ([block] | DAD probe | LIO np) -> add address -> announce -> listening -> [unblock]
 *   stop:  [block] -> stop announcer -> remove np -> remove address -> [unblock]
 * A start that fails half-way removes what it added. Monitor reads /proc,
 * /sys and configfs only; the command-running modules are imported lazily so
 * a monitor never loads them.
 */
import type { ParamsOf } from '../../lib/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { parsePortalConfig, type PortalConfig } from './config.js';
import { nodeWildcard, observeAddress, observeLink, observeListening, observeNps, ownedNps } from './observe.js';
import { evaluate } from './evaluate.js';
import { derivePlacement } from './resolve.js';
import { planStart, type StartObservation } from './plan.js';
import { haBin, runtimePath } from './op-context.js';
import { existsSync } from 'node:fs';
import type { definition } from './definition.js';

type Ctx = OcfContext<ParamsOf<typeof definition>>;

function config(ctx: Ctx): PortalConfig {
  return parsePortalConfig(ctx.params);
}

async function validate(ctx: Ctx): Promise<OcfExit> {
  config(ctx);
  return OcfExit.SUCCESS;
}

const optional = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

/** One look at the kernel: /proc, /sys and configfs, nothing spawned. */
function observe(ctx: Ctx, cfg: PortalConfig, forStart = false): StartObservation {
  const address = observeAddress(ctx.root, cfg.ip, cfg.nic);
  const placement = address.present || forStart ? derivePlacement(ctx.root, cfg, address.present ? address : undefined) : undefined;
  const linkNic = placement?.nic;
  return {
    address,
    ...(placement && address.present ? { nic: placement.nic } : {}),
    ...(placement && forStart ? { placement } : {}),
    ...(linkNic !== undefined ? { link: observeLink(ctx.root, linkNic) } : {}),
    nps: observeNps(ctx.root, cfg, ctx.instance),
    ...(forStart && cfg.targets.length > 0 ? optional('nodeWildcard', nodeWildcard(ctx.root, cfg)) : {}),
    ...(address.present && cfg.targets.length > 0 ? { listening: observeListening(ctx.root, cfg.ip, cfg.port) } : {}),
    blocking: existsSync(runtimePath(ctx, 'block')),
  };
}

async function monitor(ctx: Ctx): Promise<OcfExit> {
  const cfg = config(ctx);
  const v = evaluate(cfg, observe(ctx, cfg));
  if (v.state === 'stopped') return OcfExit.NOT_RUNNING;
  if (v.state === 'failed') throw new Failure('generic', v.reason);
  if (ctx.checkLevel >= 10) await deepCheck(ctx, cfg);
  return OcfExit.SUCCESS;
}

/** OCF_CHECK_LEVEL 10: ask ip(8) which interface holds an IPv4 address and with which label (not in /proc). */
async function deepCheck(ctx: Ctx, cfg: PortalConfig): Promise<void> {
  const { interfacesHolding } = await import('./address.js');
  const holders = await interfacesHolding(ctx, cfg);
  const want = derivePlacement(ctx.root, cfg, observeAddress(ctx.root, cfg.ip, cfg.nic));
  const h = holders.find((x) => x.ifname === want?.nic);
  if (!h) throw new Failure('generic', `${cfg.ipText} is not on ${want?.nic ?? 'the configured interface'} (held by ${holders.map((x) => x.ifname).join(', ') || 'none'})`);
  if (cfg.label && h.label !== `${h.ifname}:${cfg.label}`) throw new Failure('generic', `${cfg.ipText} has label ${h.label ?? 'none'}, configured ${h.ifname}:${cfg.label}`);
  if (cfg.prefixLen !== undefined && h.prefixLen !== cfg.prefixLen) throw new Failure('generic', `${cfg.ipText} has prefix /${h.prefixLen}, configured /${cfg.prefixLen}`);
}

async function start(ctx: Ctx): Promise<OcfExit> {
  const cfg = config(ctx);
  const plan = planStart(cfg, observe(ctx, cfg, true), haBin(ctx.env));
  if (plan.kind === 'running') return monitor(ctx);
  const [addr, dadMod, ann, np, blk, tools] = await Promise.all([
    import('./address.js'),
    import('./dad.js'),
    import('./announce.js'),
    import('./np.js'),
    import('./block.js'),
    import('../../lib/exec/tools.js'),
  ]);
  const missing = tools.missingTools(plan.tools, ctx.env);
  if (missing.length > 0) throw new Failure('installed', `missing tools: ${missing.join(', ')}`);

  const { nic, prefixLen } = plan;
  const cfs = plan.nps.length > 0 ? await np.openTargetFs(ctx) : undefined;
  const createdNps: string[] = [];
  try {
    // The block, the duplicate probe and the nps go together: the probe is mostly waiting for an
    // answer (dad_timeout), which the nft run and the np mkdirs fill. An np may be bound before its
    // address exists (LIO binds a non-local address), and no traffic reaches it until the address is
    // added, after all three; a duplicate found removes the nps again (rollback).
    // The two commands are spawned first; the mkdirs then run while they do.
    const blocking = plan.block ? blk.installBlock(ctx, cfg) : undefined;
    const probing = plan.addAddress && plan.probeDuplicate ? dadMod.probeDuplicate(ctx, cfg, nic) : undefined;
    const npsReady = cfs && cfg.targets.length > 0 ? np.createNps(ctx, cfs, plan.nps, createdNps) : undefined;
    const [blocked, probed, npsMade] = await Promise.allSettled([blocking, probing, npsReady]);
    for (const r of [blocked, probed]) if (r.status === 'rejected') throw r.reason;
    // The probe's verdict before an np's failure, as when the probe came first: a duplicate or a
    // missing arping is the more fundamental reason.
    const r = probed.status === 'fulfilled' ? probed.value : undefined;
    if (r?.kind === 'duplicate') {
      throw new Failure('generic', `${cfg.ipText} is already in use on ${nic}${r.macs.length ? ` by ${r.macs.join(', ')}` : ''}: refusing to take it over`);
    }
    if (r?.kind === 'unavailable' && cfg.ip.family === 4) throw new Failure('installed', `duplicate address detection needs arping (${r.why}); install arping or set dad=false`);
    if (npsMade.status === 'rejected') throw npsMade.reason;
    if (plan.addAddress) {
      // IPv6 without ndisc6: let the kernel do it.
      const kernelDad = r?.kind === 'unavailable';
      if (kernelDad) ctx.log.info('ndisc6 not installed; using kernel duplicate address detection', { ip: cfg.ipText });
      await addr.addAddress(ctx, cfg, nic, prefixLen, kernelDad);
      if (kernelDad) await addr.waitKernelDad(ctx, cfg, 5000);
      ctx.log.info('address added', { ip: cfg.ipText, nic, prefixLen });
    }
    if (plan.announce) await ann.announce(ctx, cfg, nic, prefixLen);
    if (cfg.targets.length > 0) await np.waitListening(ctx, cfg);
    if (plan.block) await blk.removeBlock(ctx);
  } catch (e) {
    await rollback(e);
    throw e;
  }
  return monitor(ctx);

  async function rollback(cause: unknown) {
    const steps: [string, () => Promise<void>][] = [
      ['remove network portals', async () => { if (cfs) await np.removeNpPaths(ctx, cfs, createdNps); }],
      ['stop announcer', async () => ann.stopBackground(ctx)],
      ['remove address', async () => { if (plan.kind === 'act' && plan.addAddress) await addr.removeAddress(ctx, cfg, { nic, prefixLen }); }],
      ['remove block', async () => { if (cfg.block === 'drop') await blk.removeBlock(ctx); }],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (e) {
        ctx.log.error(`rollback of failed start: could not ${what}`, { error: String(e), cause: String(cause) });
      }
    }
  }
}

async function stop(ctx: Ctx): Promise<OcfExit> {
  const cfg = config(ctx);
  const [addr, ann, np, blk] = await Promise.all([
    import('./address.js'),
    import('./announce.js'),
    import('./np.js'),
    import('./block.js'),
  ]);
  const before = observeAddress(ctx.root, cfg.ip, cfg.nic);
  const present = before.present;
  // Block only while there is something to take down; afterwards the address is elsewhere.
  if (cfg.block === 'drop' && present) {
    // Best effort: a stop must not fail because the nicety of blocking did.
    await blk.installBlock(ctx, cfg).catch((e: unknown) => ctx.log.warn('could not block new connections during stop', { error: String(e) }));
  }
  ann.stopBackground(ctx);
  // Only the nps this resource created: one the target's saveconfig.json lists stays with the target.
  const mine = ownedNps(ctx.root, ctx.instance);
  if (mine.length > 0) await np.removeNpPaths(ctx, await np.openTargetFs(ctx), mine);
  if (present) await addr.removeAddress(ctx, cfg, derivePlacement(ctx.root, cfg, before));
  if (observeAddress(ctx.root, cfg.ip).present) throw new Failure('generic', `${cfg.ipText} is still present after removing it`);
  if (cfg.block === 'drop' || blk.blockMarked(ctx)) await blk.removeBlock(ctx);
  const left = evaluate(cfg, observe(ctx, cfg));
  if (left.state !== 'stopped') throw new Failure('generic', left.state === 'failed' ? left.reason : `${cfg.ipText} is still running`);
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<ParamsOf<typeof definition>> = { start, stop, monitor, validate };
