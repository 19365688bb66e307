/** Parser for /proc/net/if_inet6: one IPv6 address per line. Pure. */
import { type IpAddress, ipv6FromHex } from '../net/ip.js';

/** IFA_F_* bits from include/uapi/linux/if_addr.h (the low byte is printed). */
export const IFA_F = {
  SECONDARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  HOMEADDRESS: 0x10,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
} as const;

export interface Inet6Address {
  address: IpAddress;
  ifindex: number;
  prefixLen: number;
  /** Raw scope value (0 global, 0x20 link, 0x10 host, 0x40 site). */
  scope: number;
  flags: number;
  ifname: string;
  tentative: boolean;
  dadFailed: boolean;
  deprecated: boolean;
}

export function parseIfInet6(text: string): Inet6Address[] {
  const out: Inet6Address[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [addr, idx, plen, scope, flags, ifname] = f as [string, string, string, string, string, string];
    if (!/^[0-9a-fA-F]{32}$/.test(addr)) continue;
    const fl = parseInt(flags, 16);
    out.push({
      address: ipv6FromHex(addr),
      ifindex: parseInt(idx, 16),
      prefixLen: parseInt(plen, 16),
      scope: parseInt(scope, 16),
      flags: fl,
      ifname,
      tentative: (fl & IFA_F.TENTATIVE) !== 0,
      dadFailed: (fl & IFA_F.DADFAILED) !== 0,
      deprecated: (fl & IFA_F.DEPRECATED) !== 0,
    });
  }
  return out;
}
