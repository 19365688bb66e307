/**
 * Network portals (np/<ip>:<port>) as the kernel binds them, and who owns which.
 *
 * LIO binds one listening socket per distinct ip:port, shared by every TPG that lists it. A
 * wildcard (0.0.0.0:P, or [::]:P which is dual-stack) and a specific address on the same port
 * exclude each other across all targets of the node: the second mkdir fails with EINVAL
 * (kernel_bind() -98), measured on 6.1. A wildcard listener serves every address of its family.
 *
 * Ownership: the target resource owns the portals its saveconfig.json lists; a portal resource
 * owns the ones it created, and records that as a claim under /run/lioha/np-claims (intent first,
 * so a SIGKILL between claim and mkdir leaves a claim without an np, which the next stop or
 * start settles). The target neither removes nor flags a claimed np it does not list.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePortalDirName, type DesiredState, type LiveState } from './model.js';
import { npDir } from './layout.js';

export interface NpAddress { ip: string; port: number }

const isV6 = (ip: string) => ip.includes(':');
export const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || /^(0*:)*:?0*$/.test(ip) && isV6(ip);

/** Whether a listener on `listener` accepts connections to `addr` (same port; itself or a wildcard of a family that covers it). */
export function serves(listener: NpAddress, addr: NpAddress): boolean {
  if (listener.port !== addr.port) return false;
  if (listener.ip === addr.ip) return true;
  if (listener.ip === '0.0.0.0') return !isV6(addr.ip);
  return isWildcard(listener.ip); // [::] is dual-stack
}

/** Whether the kernel refuses to bind `b` while `a` is bound (or the reverse). */
export function excludes(a: NpAddress, b: NpAddress): boolean {
  if (a.port !== b.port || a.ip === b.ip) return false;
  const aw = isWildcard(a.ip);
  const bw = isWildcard(b.ip);
  if (!aw && !bw) return false;
  // [::] collides with everything on the port; 0.0.0.0 with IPv4 addresses and with [::].
  if ((aw && isV6(a.ip)) || (bw && isV6(b.ip))) return true;
  return aw ? !isV6(b.ip) : !isV6(a.ip);
}

export function npOfDirName(name: string): NpAddress | undefined {
  return parsePortalDirName(name);
}

export const CLAIMS_DIR = '/run/lioha/np-claims';

/** One file per claimed np (relative configfs path), named by its hash; the content names it and the claimant. */
function claimFile(hostDir: string, npRel: string): string {
  return join(hostDir, createHash('sha1').update(npRel).digest('hex'));
}

/** `hostDir`: CLAIMS_DIR resolved under the agent's root. */
export function claimNp(hostDir: string, npRel: string, claimant: string): void {
  mkdirSync(hostDir, { recursive: true, mode: 0o755 });
  writeFileSync(claimFile(hostDir, npRel), `${npRel}\n${claimant}\n`);
}

export function releaseNp(hostDir: string, npRel: string): void {
  rmSync(claimFile(hostDir, npRel), { force: true });
}

/** Claimed nps (relative configfs paths) -> claimant. Missing directory: none. */
export function readClaims(hostDir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(hostDir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const [np, who] = readFileSync(join(hostDir, n), 'utf8').split('\n');
      if (np) out.set(np, who ?? '');
    } catch {
      /* removed concurrently */
    }
  }
  return out;
}

/**
 * Hides from `live` the network portals a portal resource claimed and the target's
 * configuration does not list, so the target neither removes nor flags them. Mutates `live`.
 */
export function hideClaimedNps(live: LiveState, desired: DesiredState, claims: ReadonlyMap<string, string>): void {
  if (claims.size === 0) return;
  for (const [iqn, t] of live.targets) {
    const want = desired.targets.get(iqn);
    for (const tpg of t.tpgs) {
      const listed = want?.tpgs.find((x) => x.tag === tpg.tag)?.portals ?? [];
      tpg.portals = tpg.portals.filter(
        (p) => listed.some((l) => l.ip === p.ip && l.port === p.port) || !claims.has(npDir(iqn, tpg.tag, p)),
      );
    }
  }
}
