/**
 * TargetAddress values (RFC 7143 13.8): `domainname[:port][,portal-group-tag]`,
 * IPv6 literals in brackets.
 */
import { isIP } from 'node:net';

export interface PortalAddress {
  readonly host: string;
  readonly port: number;
  /** Target portal group tag; absent when the text did not carry one. */
  readonly tag?: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

export function parseTargetAddress(v: string, defaultPort = 3260): PortalAddress | undefined {
  if (v.length > 300) return undefined;
  let rest = v;
  let tag: number | undefined;
  const comma = rest.lastIndexOf(',');
  if (comma >= 0) {
    const t = rest.slice(comma + 1);
    if (!/^\d{1,5}$/.test(t) || Number(t) > 65535) return undefined;
    tag = Number(t);
    rest = rest.slice(0, comma);
  }
  let host: string;
  let port = defaultPort;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return undefined;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!/^:\d{1,5}$/.test(after)) return undefined;
      port = Number(after.slice(1));
    }
    if (isIP(host) !== 6) return undefined;
  } else {
    // An IPv6 literal must be bracketed: "fd00::1:3260" is ambiguous.
    if ((rest.match(/:/g) ?? []).length > 1) return undefined;
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      const p = rest.slice(colon + 1);
      if (!/^\d{1,5}$/.test(p)) return undefined;
      port = Number(p);
      host = rest.slice(0, colon);
    } else host = rest;
    if (!isIP(host) && !HOSTNAME.test(host)) return undefined;
  }
  if (port < 1 || port > 65535) return undefined;
  return { host, port, ...(tag !== undefined && { tag }) };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function formatTargetAddress(a: PortalAddress): string {
  return `${formatHostPort(a.host, a.port)},${a.tag ?? 1}`;
}

/** Unmaps IPv4-mapped IPv6 (::ffff:a.b.c.d), as a dual-stack socket reports IPv4 peers. */
export function plainAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1]! : a;
}
