/**
 * ocf:lioha:portal actions. Order matters:
 *   start: [block] -> DAD probe -> add address -> announce -> LIO np -> listening -> [unblock]
 *   stop:  [block] -> stop announcer -> remove np -> remove address -> [unblock]
 * A start that fails half-way removes what it added. Monitor reads /proc,
 * /sys and configfs only; the command-running modules are imported lazily so
 * a monitor never loads them.
 */
import type { ParamsOf } from '../../lib/ocf/definition.js';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { parsePortalConfig, type PortalConfig } from './config.js';
import { observeAddress, observeLink, observeListening, observeNps } from './observe.js';
import { evaluate } from './evaluate.js';
import { derivePlacement, requirePlacement } from './resolve.js';
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

function observe(ctx: Ctx, cfg: PortalConfig) {
  const address = observeAddress(ctx.root, cfg.ip, cfg.nic);
  const placement = address.present ? derivePlacement(ctx.root, cfg, address) : undefined;
  const nic = placement?.nic;
  return {
    address,
    ...(nic !== undefined ? { nic, link: observeLink(ctx.root, nic) } : {}),
    nps: observeNps(ctx.root, cfg),
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
  // Already fully up: change nothing (in particular, do not block a serving portal).
  if (evaluate(cfg, observe(ctx, cfg)).state === 'running') return monitor(ctx);
  const [addr, dadMod, ann, np, blk, tools] = await Promise.all([
    import('./address.js'),
    import('./dad.js'),
    import('./announce.js'),
    import('./np.js'),
    import('./block.js'),
    import('../../lib/exec/tools.js'),
  ]);
  // Refuse before touching anything: the target agent owns the TPGs.
  np.requireTpgs(ctx, cfg);
  const before = observeAddress(ctx.root, cfg.ip, cfg.nic);
  const { nic, prefixLen } = requirePlacement(ctx.root, cfg, before.present ? before : undefined);
  if (cfg.label && nic.length + 1 + cfg.label.length > 15) throw new Failure('config', `label: "${nic}:${cfg.label}" is longer than 15 characters`);
  const link = observeLink(ctx.root, nic);
  if (!link.exists) throw new Failure('config', `interface ${nic} does not exist on this node`);
  if (before.present && before.ifname !== undefined && before.ifname !== nic)
    throw new Failure('generic', `${cfg.ipText} is already on ${before.ifname} of this node, not on ${nic}`);
  if (before.dadFailed) throw new Failure('generic', `${cfg.ipText} on ${before.ifname} failed duplicate address detection: another host uses it`);
  if (cfg.checkLink && !link.usable) throw new Failure('generic', `link ${nic} is ${link.problem}; the portal would be unreachable`);

  const missing = tools.missingTools(
    [
      ['ip', 'iproute2'],
      ...(cfg.block === 'drop' ? [['nft', 'block=drop needs nftables'] as const] : []),
      ...(!before.present && cfg.dad.enabled && !link.noArp && cfg.ip.family === 4 ? [['arping', 'duplicate address detection; or set dad=false'] as const] : []),
      ...(cfg.announce.count > 0 && !link.noArp
        ? [[`${haBin(ctx.env)}/${cfg.ip.family === 4 ? 'send_arp' : 'send_ua'}`, 'announcements, from resource-agents; or set arp_count=0'] as const]
        : []),
      ...(cfg.announce.count > 0 && cfg.announce.background && !link.noArp ? [['timeout', 'coreutils'] as const] : []),
    ],
    ctx.env,
  );
  if (missing.length > 0) throw new Failure('installed', `missing tools: ${missing.join(', ')}`);

  const addedAddress = !before.present;
  const createdNps: string[] = [];
  try {
    if (cfg.block === 'drop') await blk.installBlock(ctx, cfg);
    if (addedAddress) {
      let kernelDad = false;
      if (cfg.dad.enabled && !link.noArp) {
        const r = await dadMod.probeDuplicate(ctx, cfg, nic);
        if (r.kind === 'duplicate') {
          throw new Failure('generic', `${cfg.ipText} is already in use on ${nic}${r.macs.length ? ` by ${r.macs.join(', ')}` : ''}: refusing to take it over`);
        }
        if (r.kind === 'unavailable') {
          if (cfg.ip.family === 4) throw new Failure('installed', `duplicate address detection needs arping (${r.why}); install arping or set dad=false`);
          kernelDad = true; // IPv6 without ndisc6: let the kernel do it.
          ctx.log.info('ndisc6 not installed; using kernel duplicate address detection', { ip: cfg.ipText });
        }
      }
      await addr.addAddress(ctx, cfg, nic, prefixLen, kernelDad);
      if (kernelDad) await addr.waitKernelDad(ctx, cfg, 5000);
      ctx.log.info('address added', { ip: cfg.ipText, nic, prefixLen });
    }
    if (!link.noArp) await ann.announce(ctx, cfg, nic, prefixLen);
    if (cfg.targets.length > 0) {
      await np.createNps(ctx, cfg, createdNps);
      await np.waitListening(ctx, cfg);
    }
    if (cfg.block === 'drop') await blk.removeBlock(ctx);
  } catch (e) {
    await rollback(e);
    throw e;
  }
  return monitor(ctx);

  async function rollback(cause: unknown) {
    const steps: [string, () => Promise<void>][] = [
      ['remove network portals', () => np.removeNpPaths(ctx, createdNps)],
      ['stop announcer', async () => ann.stopBackground(ctx)],
      ['remove address', async () => { if (addedAddress) await addr.removeAddress(ctx, cfg, { nic, prefixLen }); }],
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
  await np.removeNps(ctx, cfg);
  if (present) await addr.removeAddress(ctx, cfg, derivePlacement(ctx.root, cfg, before));
  if (observeAddress(ctx.root, cfg.ip).present) throw new Failure('generic', `${cfg.ipText} is still present after removing it`);
  if (cfg.block === 'drop' || blk.blockMarked(ctx)) await blk.removeBlock(ctx);
  const left = evaluate(cfg, observe(ctx, cfg));
  if (left.state !== 'stopped') throw new Failure('generic', left.state === 'failed' ? left.reason : `${cfg.ipText} is still running`);
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<ParamsOf<typeof definition>> = { start, stop, monitor, validate };
