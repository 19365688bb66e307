/**
 * Parsers for the output of the tools start/stop use: `ip -o addr show`,
 * arping (Habets' and iputils') and ndisc6. Pure.
 */
import { type IpAddress, tryParseIp } from './ip.js';

export interface ShownAddress {
  ifname: string;
  address: IpAddress;
  prefixLen: number;
  /** IPv4 label ("eth0:vip"), when it differs from the interface name. */
  label?: string;
  flags: string[];
}

/**
 * `ip -o addr show` lines, e.g.
 * "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global secondary eth0:vip\       valid_lft forever ..."
 * "4: eth0    inet6 fd00::2/64 scope global nodad \       valid_lft forever ..."
 */
export function parseIpAddrShow(text: string): ShownAddress[] {
  const out: ShownAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+(\S+)\/(\d+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const address = tryParseIp(m[3]!);
    if (!address) continue;
    const rest = m[5]!.split('\\')[0]!.trim().split(/\s+/).filter(Boolean);
    const flags: string[] = [];
    let label: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i]!;
      if (w === 'brd' || w === 'scope' || w === 'peer' || w === 'metric' || w === 'proto') {
        i++;
        continue;
      }
      if (m[2] === 'inet' && i === rest.length - 1 && w.startsWith(`${m[1]}`)) {
        if (w !== m[1]) label = w;
        continue;
      }
      flags.push(w);
    }
    out.push({ ifname: m[1]!, address, prefixLen: Number(m[4]), ...(label ? { label } : {}), flags });
  }
  return out;
}

/** MAC addresses of hosts that answered an arping (either implementation). */
export function arpingReplyMacs(text: string): string[] {
  const macs = new Set<string>();
  // Habets: "42 bytes from 96:e3:ba:1f:61:e5 (192.0.2.50): index=0 time=..."
  // iputils: "Unicast reply from 192.0.2.50 [96:E3:BA:1F:61:E5]  0.611ms"
  for (const m of text.matchAll(/bytes from ([0-9a-f]{2}(?::[0-9a-f]{2}){5})|reply from \S+ \[([0-9a-f]{2}(?::[0-9a-f]{2}){5})\]/gi)) {
    macs.add((m[1] ?? m[2]!).toLowerCase());
  }
  return [...macs];
}

/** ndisc6: "Target link-layer address: 96:E3:BA:1F:61:E5". */
export function ndisc6ReplyMacs(text: string): string[] {
  const macs = new Set<string>();
  for (const m of text.matchAll(/Target link-layer address:\s*([0-9a-f]{2}(?::[0-9a-f]{2}){5})/gi)) macs.add(m[1]!.toLowerCase());
  return [...macs];
}
