/**
 * IP addresses as bytes: parsing of the textual forms (RFC 4291 / RFC 5952)
 * and of the hexadecimal forms the kernel prints in /proc/net. Pure.
 */
export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export class IpParseError extends Error {}

function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to some tools, decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const words = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4Bytes(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = words(head);
  const t = words(tail);
  if (!h || !t) return undefined;
  let all: number[];
  if (dbl >= 0) {
    const missing = 8 - h.length - t.length;
    if (missing < 1) return undefined;
    all = [...h, ...new Array<number>(missing).fill(0), ...t];
  } else {
    all = h;
  }
  if (all.length !== 8) return undefined;
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses "192.0.2.1", "2001:db8::1" or "[2001:db8::1]"; throws IpParseError. */
export function parseIp(text: string): IpAddress {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  const v4 = parseIpv4Bytes(t);
  if (v4) return { family: 4, bytes: v4 };
  if (t.includes(':')) {
    const v6 = parseIpv6Bytes(t);
    if (v6) return { family: 6, bytes: v6 };
  }
  throw new IpParseError(`not an IPv4 or IPv6 address: "${text}"`);
}

export function tryParseIp(text: string): IpAddress | undefined {
  try {
    return parseIp(text);
  } catch {
    return undefined;
  }
}

/** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run compressed). */
export function formatIp(a: IpAddress): string {
  const b = a.bytes;
  if (a.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  if (a.family !== b.family) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

export function isUnspecified(a: IpAddress): boolean {
  return a.bytes.every((x) => x === 0);
}

export function maxPrefix(f: IpFamily): number {
  return f === 4 ? 32 : 128;
}

/** True when the first `prefixLen` bits of a and b are equal. */
export function samePrefix(a: IpAddress, b: IpAddress, prefixLen: number): boolean {
  if (a.family !== b.family) return false;
  let bits = prefixLen;
  for (let i = 0; i < a.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i]! & mask) !== (b.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * IPv4 as printed in /proc/net/{tcp,route}: the 32-bit value in host byte
 * order, i.e. reversed bytes on little-endian machines ("0100007F" = 127.0.0.1).
 */
export function ipv4FromProcHex(hex: string, littleEndian = true): IpAddress {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new IpParseError(`bad IPv4 hex "${hex}"`);
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (littleEndian) b.reverse();
  return { family: 4, bytes: b };
}

/** IPv6 in network order, 32 hex digits (/proc/net/if_inet6, ipv6_route). */
export function ipv6FromHex(hex: string): IpAddress {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new IpParseError(`bad IPv6 hex "${hex}"`);
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return { family: 6, bytes: b };
}

/**
 * IPv6 as printed in /proc/net/tcp6: four 32-bit words each in host byte
 * order, so on little-endian every group of 4 bytes is reversed.
 */
export function ipv6FromProcTcpHex(hex: string, littleEndian = true): IpAddress {
  const a = ipv6FromHex(hex);
  if (littleEndian) {
    for (let w = 0; w < 4; w++) a.bytes.subarray(4 * w, 4 * w + 4).reverse();
  }
  return a;
}

/** "192.0.2.1:3260" or "[2001:db8::1]:3260": the LIO np directory name. */
export function formatHostPort(a: IpAddress, port: number): string {
  return a.family === 6 ? `[${formatIp(a)}]:${port}` : `${formatIp(a)}:${port}`;
}
