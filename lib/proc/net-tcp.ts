/** Parser for /proc/net/tcp and /proc/net/tcp6 socket tables. Pure. */
import { type IpAddress, ipv4FromProcHex, ipv6FromProcTcpHex, ipEquals, isUnspecified } from '../net/ip.js';

/** include/net/tcp_states.h */
export const TCP_LISTEN = 0x0a;

export interface TcpSocket {
  local: IpAddress;
  localPort: number;
  remote: IpAddress;
  remotePort: number;
  state: number;
  inode: number;
}

export function parseProcNetTcp(text: string, family: 4 | 6, littleEndian = true): TcpSocket[] {
  const out: TcpSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [l, r, st] = [f[1]!, f[2]!, f[3]!];
    const [lh, lp] = l.split(':');
    const [rh, rp] = r.split(':');
    if (!lh || !lp || !rh || !rp) continue;
    const conv = family === 4 ? ipv4FromProcHex : ipv6FromProcTcpHex;
    out.push({
      local: conv(lh, littleEndian),
      localPort: parseInt(lp, 16),
      remote: conv(rh, littleEndian),
      remotePort: parseInt(rp, 16),
      state: parseInt(st, 16),
      inode: Number(f[9]),
    });
  }
  return out;
}

/**
 * Whether a listening socket accepts connections to ip:port: bound to that
 * address exactly or to the wildcard of the family. An IPv6 wildcard socket
 * may also take IPv4 (unless v6only), which /proc does not show; we only
 * count it for IPv4 when asked to.
 */
export function listensOn(
  sockets: readonly TcpSocket[],
  ip: IpAddress,
  port: number,
  opts: { exactOnly?: boolean } = {},
): boolean {
  return sockets.some(
    (s) =>
      s.state === TCP_LISTEN &&
      s.localPort === port &&
      s.local.family === ip.family &&
      (ipEquals(s.local, ip) || (!opts.exactOnly && isUnspecified(s.local))),
  );
}
