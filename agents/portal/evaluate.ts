/**
 * The monitor verdict from what observe.ts read. Pure, so every combination
 * of half-started state is testable without a kernel.
 */
import type { PortalConfig } from './config.js';
import type { AddressState, LinkObservation, NpState } from './observe.js';

export type Verdict =
  | { state: 'running' }
  | { state: 'stopped' }
  | { state: 'failed'; reason: string };

export interface Observation {
  address: AddressState;
  /** The interface the address must be on (configured or derived); undefined when underivable. */
  nic?: string;
  link?: LinkObservation;
  nps: NpState[];
  /** Something listens on ip:port (only read when targets are configured). */
  listening?: boolean;
  /** The nftables block of this instance is recorded as installed. */
  blocking: boolean;
}

export function evaluate(cfg: PortalConfig, o: Observation): Verdict {
  const leftovers: string[] = [];
  // Only what this resource created is its leftover: an np the target lists stays with the target.
  for (const n of o.nps) if ((n.npExists || n.servedBy !== undefined) && n.owned) leftovers.push(`network portal ${n.npPath}`);
  if (o.blocking) leftovers.push(`nftables block of ${cfg.npName}`);

  if (!o.address.present) {
    // 7 only when nothing at all is left: a half-stopped portal is an error.
    if (leftovers.length === 0) return { state: 'stopped' };
    return { state: 'failed', reason: `address ${cfg.ipText} is absent but ${leftovers.join(' and ')} remain` };
  }
  const a = o.address;
  if (a.dadFailed) return { state: 'failed', reason: `${cfg.ipText} failed duplicate address detection on ${a.ifname}: another host uses it` };
  if (o.nic !== undefined && a.ifname !== undefined && a.ifname !== o.nic)
    return { state: 'failed', reason: `${cfg.ipText} is on ${a.ifname}, not on ${o.nic}` };
  if (cfg.prefixLen !== undefined && a.prefixLen !== undefined && cfg.ip.family === 6 && a.prefixLen !== cfg.prefixLen)
    return { state: 'failed', reason: `${cfg.ipText} has prefix length ${a.prefixLen}, configured ${cfg.prefixLen}` };
  if (cfg.checkLink && o.link && !o.link.usable) return { state: 'failed', reason: `link ${o.nic} of ${cfg.ipText} is ${o.link.problem}` };
  for (const n of o.nps) {
    if (!n.tpgExists) return { state: 'failed', reason: `target portal group ${n.tpgPath} is gone` };
    // Served by the exact np, or by a wildcard np of the TPG on the port (which excludes the exact one).
    if (!n.npExists && n.servedBy === undefined) return { state: 'failed', reason: `network portal ${n.npPath} is missing` };
    if (cfg.iser && n.npExists && n.iser !== true) return { state: 'failed', reason: `iSER is not enabled on ${n.npPath}` };
  }
  if (cfg.targets.length > 0 && o.listening === false) return { state: 'failed', reason: `nothing listens on ${cfg.npName}` };
  if (o.blocking) return { state: 'failed', reason: `new connections to ${cfg.npName} are still blocked by nftables (an unfinished start or stop)` };
  return { state: 'running' };
}
