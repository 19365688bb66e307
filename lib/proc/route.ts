/**
 * Parsers for /proc/net/route (IPv4 main table) and /proc/net/ipv6_route,
 * and the connected-route lookup used to derive nic and prefix length. Pure.
 */
import { type IpAddress, ipv4FromProcHex, ipv6FromHex, samePrefix } from '../net/ip.js';

/** RTF_* from include/uapi/linux/route.h */
export const RTF = { UP: 0x1, GATEWAY: 0x2, HOST: 0x4, REJECT: 0x200, ADDRCONF: 0x40000, CACHE: 0x1000000 } as const;

export interface Route {
  ifname: string;
  destination: IpAddress;
  prefixLen: number;
  gateway: IpAddress;
  flags: number;
  metric: number;
}

function maskToPrefix(mask: IpAddress): number {
  let n = 0;
  for (const byte of mask.bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      if (byte & (1 << bit)) n++;
      else return n;
    }
  }
  return n;
}

export function parseProcNetRoute(text: string, littleEndian = true): Route[] {
  const out: Route[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 8) continue;
    out.push({
      ifname: f[0]!,
      destination: ipv4FromProcHex(f[1]!, littleEndian),
      gateway: ipv4FromProcHex(f[2]!, littleEndian),
      flags: parseInt(f[3]!, 16),
      metric: Number(f[6]),
      prefixLen: maskToPrefix(ipv4FromProcHex(f[7]!, littleEndian)),
    });
  }
  return out;
}

export function parseProcNetIpv6Route(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-fA-F]{32}$/.test(f[0]!)) continue;
    out.push({
      destination: ipv6FromHex(f[0]!),
      prefixLen: parseInt(f[1]!, 16),
      gateway: ipv6FromHex(f[4]!),
      metric: parseInt(f[5]!, 16),
      flags: parseInt(f[8]!, 16),
      ifname: f[9]!,
    });
  }
  return out;
}

/**
 * The most specific on-link route (no gateway, not reject/host/cache, not
 * loopback, not default) covering ip, optionally restricted to one
 * interface; lowest metric wins a tie.
 */
export function findConnectedRoute(routes: readonly Route[], ip: IpAddress, ifname?: string): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if (r.destination.family !== ip.family) continue;
    if ((r.flags & RTF.UP) === 0) continue;
    if (r.flags & (RTF.GATEWAY | RTF.REJECT | RTF.HOST | RTF.CACHE)) continue;
    if (r.ifname === 'lo' || r.prefixLen === 0) continue;
    if (ip.family === 6 && r.prefixLen === 128) continue;
    if (ip.family === 6 && r.destination.bytes[0] === 0xff) continue; // multicast ff00::/8
    if (ifname !== undefined && r.ifname !== ifname) continue;
    if (!samePrefix(r.destination, ip, r.prefixLen)) continue;
    if (!best || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && r.metric < best.metric)) best = r;
  }
  return best;
}
