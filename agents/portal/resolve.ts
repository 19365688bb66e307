/** Which interface and prefix length the address goes on: configured, or from the connected route covering it (like IPaddr2's findif). */
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { maxPrefix } from '../../lib/net/ip.js';
import { findConnectedRoute } from '../../lib/proc/route.js';
import type { Root } from '../../lib/sys/root.js';
import type { PortalConfig } from './config.js';
import { type AddressState, routes } from './observe.js';

export interface Placement {
  nic: string;
  prefixLen: number;
}

/** undefined when nic is not configured and no route or present address tells it. */
export function derivePlacement(root: Root, cfg: PortalConfig, present?: AddressState): Placement | undefined {
  const route = findConnectedRoute(routes(root, cfg.ip.family), cfg.ip, cfg.nic);
  const nic = cfg.nic ?? present?.ifname ?? route?.ifname;
  if (nic === undefined) return undefined;
  const prefixLen = cfg.prefixLen ?? (route && route.ifname === nic ? route.prefixLen : undefined) ?? present?.prefixLen ?? maxPrefix(cfg.ip.family);
  return { nic, prefixLen };
}
