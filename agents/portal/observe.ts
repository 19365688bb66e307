/**
 * What the kernel says about the portal right now, read from /proc, /sys and
 * configfs under ctx.root without spawning anything: this is the monitor path.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { type IpAddress, formatIp, ipEquals } from '../../lib/net/ip.js';
import { parseLinkState, IFF, type LinkState } from '../../lib/net/link.js';
import { parseIfInet6 } from '../../lib/proc/if-inet6.js';
import { localIpv4Addresses, parseFibTrie } from '../../lib/proc/fib-trie.js';
import { listensOn, parseProcNetTcp } from '../../lib/proc/net-tcp.js';
import { findConnectedRoute, parseProcNetIpv6Route, parseProcNetRoute, type Route } from '../../lib/proc/route.js';
import type { Root } from '../../lib/sys/root.js';
import type { PortalConfig } from './config.js';
import { absolute, ISCSI_DIR, npDir, npIserFile, npsDir, npsOf, targetDir, tpgDir, TPGT_RE } from '../../lib/configfs/layout.js';
import { CLAIMS_DIR, isWildcard, npOfDirName, readClaims, serves } from '../../lib/configfs/network-portals.js';

export interface AddressState {
  present: boolean;
  /** Interface holding it: exact for IPv6; for IPv4 the interface of its connected route, when there is one. */
  ifname?: string;
  prefixLen?: number;
  tentative?: boolean;
  dadFailed?: boolean;
}

const read = (root: Root, path: string): string => readFileSync(root.path(path), 'utf8');

function readOptional(root: Root, path: string): string | undefined {
  try {
    return read(root, path);
  } catch {
    return undefined;
  }
}

export function routes(root: Root, family: 4 | 6): Route[] {
  return family === 4 ? parseProcNetRoute(read(root, '/proc/net/route')) : parseProcNetIpv6Route(readOptional(root, '/proc/net/ipv6_route') ?? '');
}

export function observeAddress(root: Root, ip: IpAddress, nicHint?: string): AddressState {
  if (ip.family === 6) {
    // No IPv6 at all (disabled, module absent): the file is missing and the address cannot be there.
    const text = readOptional(root, '/proc/net/if_inet6') ?? '';
    const hit = parseIfInet6(text).find((a) => ipEquals(a.address, ip));
    if (!hit) return { present: false };
    return { present: true, ifname: hit.ifname, prefixLen: hit.prefixLen, tentative: hit.tentative, dadFailed: hit.dadFailed };
  }
  const local = localIpv4Addresses(parseFibTrie(read(root, '/proc/net/fib_trie')));
  if (!local.has(formatIp(ip))) return { present: false };
  const r = findConnectedRoute(routes(root, 4), ip, nicHint) ?? findConnectedRoute(routes(root, 4), ip);
  return { present: true, ...(r ? { ifname: r.ifname, prefixLen: r.prefixLen } : {}) };
}

export interface LinkObservation extends LinkState {
  exists: boolean;
  noArp: boolean;
}

export function observeLink(root: Root, nic: string): LinkObservation {
  const base = `/sys/class/net/${nic}`;
  const flags = readOptional(root, `${base}/flags`);
  if (flags === undefined) return { exists: false, noArp: false, operstate: 'notpresent', adminUp: false, carrier: false, usable: false, problem: 'does not exist' };
  const s = parseLinkState({
    operstate: readOptional(root, `${base}/operstate`) ?? 'unknown',
    carrier: readOptional(root, `${base}/carrier`),
    flags,
  });
    // No ARP/ND on NOARP links (dummy, tun) or loopback: nothing to probe or announce there.
  const f = parseInt(flags, 16);
  return { ...s, exists: true, noArp: (f & (IFF.NOARP | IFF.LOOPBACK)) !== 0 };
}

export function observeListening(root: Root, ip: IpAddress, port: number): boolean {
  const file = ip.family === 4 ? '/proc/net/tcp' : '/proc/net/tcp6';
  const text = readOptional(root, file);
  return text !== undefined && listensOn(parseProcNetTcp(text, ip.family), ip, port);
}

export interface NpState {
  target: string;
  /** Absolute paths under the root (for reasons), and the np relative to the target root (for ConfigFs). */
  tpgPath: string;
  npPath: string;
  npRel: string;
  tpgExists: boolean;
  npExists: boolean;
  /** A wildcard np of this TPG (e.g. 0.0.0.0:3260, listed in the target's saveconfig.json) that serves the address. */
  servedBy?: string;
  /** This resource created the np (its claim, lib/configfs/network-portals.ts), so it removes it on stop. */
  owned: boolean;
  /** Contents of np/<name>/iser when it exists. */
  iser?: boolean;
}

export function tpgPath(cfg: PortalConfig, target: string): string {
  return absolute(tpgDir(target, cfg.tpgt));
}

function subdirs(root: Root, abs: string): string[] {
  try {
    return readdirSync(root.path(abs), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** The nps this resource claimed (created), relative to the target root. */
export function ownedNps(root: Root, instance: string): string[] {
  return [...readClaims(root.path(CLAIMS_DIR))].filter(([, who]) => who === instance).map(([np]) => np);
}

export function observeNps(root: Root, cfg: PortalConfig, instance: string): NpState[] {
  const owned = new Set(ownedNps(root, instance));
  const vip = { ip: cfg.ipText, port: cfg.port };
  return cfg.targets.map((target) => {
    const npRel = npDir(target, cfg.tpgt, vip);
    const np = absolute(npRel);
    const npExists = existsSync(root.path(np));
    const iserText = npExists && cfg.iser ? readOptional(root, absolute(npIserFile(npRel))) : undefined;
    const servedBy = npExists
      ? undefined
      : subdirs(root, absolute(npsDir(target, cfg.tpgt))).find((n) => {
          const l = npOfDirName(n);
          return l !== undefined && isWildcard(l.ip) && serves(l, vip);
        });
    return {
      target,
      tpgPath: tpgPath(cfg, target),
      npPath: np,
      npRel,
      tpgExists: existsSync(root.path(tpgPath(cfg, target))),
      npExists,
      ...(servedBy !== undefined ? { servedBy } : {}),
      owned: owned.has(npRel) || (servedBy !== undefined && owned.has(`${npsDir(target, cfg.tpgt)}/${servedBy}`)),
      ...(iserText !== undefined ? { iser: iserText.trim() === '1' } : {}),
    };
  });
}

/** A wildcard np anywhere on the node that would serve ip:port (start only: it reads every target). */
export function nodeWildcard(root: Root, cfg: PortalConfig): string | undefined {
  const vip = { ip: cfg.ipText, port: cfg.port };
  for (const t of subdirs(root, absolute(ISCSI_DIR))) {
    for (const tpg of subdirs(root, absolute(targetDir(t))).filter((x) => TPGT_RE.test(x))) {
      for (const n of subdirs(root, absolute(npsOf(`${targetDir(t)}/${tpg}`)))) {
        const l = npOfDirName(n);
        if (l && isWildcard(l.ip) && serves(l, vip)) return n;
      }
    }
  }
  return undefined;
}
