/**
 * What a portal start has to do, decided purely from one observation (as the target agent
 * plans from one read of configfs): refusals first, so a refused start changes nothing.
 */
import { npOf, tpgOfNpPath } from '../../lib/configfs/layout.js';
import { Failure } from '../../lib/failure.js';
import type { PortalConfig } from './config.js';
import { evaluate, type Observation } from './evaluate.js';
import type { NpState } from './observe.js';
import type { Placement } from './resolve.js';

export interface StartObservation extends Observation {
  /** Where the address goes: configured, or derived from the connected route; undefined when underivable. */
  placement?: Placement;
  /** A wildcard np on the port anywhere on the node (its directory name): the address np would be refused. */
  nodeWildcard?: string;
}

/** One network portal to create (relative configfs path), and whether iSER is to be enabled on it. */
export interface NpCreate { rel: string; iser: boolean; exists: boolean }

export type StartPlan =
  | { kind: 'running' }
  | {
      kind: 'act';
      nic: string;
      prefixLen: number;
      /** The address is absent and will be added (after the duplicate probe when dad is on). */
      addAddress: boolean;
      probeDuplicate: boolean;
      announce: boolean;
      /** nps to create (claimed first), or to enable iSER on. */
      nps: NpCreate[];
      block: boolean;
      /** [tool, why] that must be installed before anything is touched. */
      tools: [string, string][];
    };

export function planStart(cfg: PortalConfig, o: StartObservation, haBin: string): StartPlan {
  // Already fully up: change nothing (in particular, do not block a serving portal).
  if (evaluate(cfg, o).state === 'running') return { kind: 'running' };
  const missingTpgs = o.nps.filter((n) => !n.tpgExists).map((n) => n.tpgPath);
  if (missingTpgs.length > 0) {
    throw new Failure(
      'generic',
      `target portal group ${missingTpgs.join(', ')} does not exist: start the target resource before the portal (order it earlier in the group)`,
    );
  }
  if (!o.placement) {
    // What this node lacks is node-local (5): the other node may have the route (6 would run it nowhere).
    throw new Failure('installed', `no connected route covers ${cfg.ipText} on this node and nic is not set: add the route or set nic`);
  }
  const { nic, prefixLen } = o.placement;
  // The nic came from this node's routes: a label too long for it is this node's problem.
  if (cfg.label && nic.length + 1 + cfg.label.length > 15) throw new Failure('installed', `label: "${nic}:${cfg.label}" is longer than 15 characters`);
  const link = o.link;
  if (!link?.exists) throw new Failure('installed', `interface ${nic} does not exist on this node`);
  const before = o.address;
  if (before.present && before.ifname !== undefined && before.ifname !== nic)
    throw new Failure('generic', `${cfg.ipText} is already on ${before.ifname} of this node, not on ${nic}`);
  if (before.dadFailed) throw new Failure('generic', `${cfg.ipText} on ${before.ifname} failed duplicate address detection: another host uses it`);
  if (cfg.checkLink && !link.usable) throw new Failure('generic', `link ${nic} is ${link.problem}; the portal would be unreachable`);

  const addAddress = !before.present;
  const probeDuplicate = addAddress && cfg.dad.enabled && !link.noArp;
  const announce = cfg.announce.count > 0 && !link.noArp;
  const tools: [string, string][] = [
    ['ip', 'iproute2'],
    ...(cfg.block === 'drop' ? [['nft', 'block=drop needs nftables'] as [string, string]] : []),
    ...(probeDuplicate && cfg.ip.family === 4 ? [['arping', 'duplicate address detection; or set dad=false'] as [string, string]] : []),
    ...(announce ? [[`${haBin}/${cfg.ip.family === 4 ? 'send_arp' : 'send_ua'}`, 'announcements, from resource-agents; or set arp_count=0'] as [string, string]] : []),
    ...(announce && cfg.announce.background ? [['timeout', 'coreutils'] as [string, string]] : []),
  ];
  return {
    kind: 'act',
    nic,
    prefixLen,
    addAddress,
    probeDuplicate,
    announce,
    nps: o.nps.flatMap((n) => npWork(cfg, n, o.nodeWildcard)),
    block: cfg.block === 'drop',
    tools,
  };
}

/**
 * What a TPG needs so initiators reach it on ip:port. Served already by the exact np or by a
 * wildcard np of the TPG: nothing (iSER only on an exact np). Otherwise the exact np, unless a
 * wildcard on the port is bound elsewhere on the node: the kernel would refuse the exact one,
 * so the TPG joins the wildcard listener instead.
 */
function npWork(cfg: PortalConfig, n: NpState, nodeWildcard: string | undefined): NpCreate[] {
  if (n.npExists) return cfg.iser && n.iser !== true ? [{ rel: n.npRel, iser: true, exists: true }] : [];
  if (n.servedBy !== undefined) return [];
  if (nodeWildcard !== undefined) {
    return [{ rel: npOf(tpgOfNpPath(n.npRel), nodeWildcard), iser: false, exists: false }];
  }
  return [{ rel: n.npRel, iser: cfg.iser, exists: false }];
}
