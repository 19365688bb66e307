import {
  asConn, asDisk, asRole, DrbdParseError,
  type DiskState, type DrbdResource, type DrbdRole, type ConnectionState,
} from './drbd-types.js';

/**
 * Pure parsers for `drbdadm role|dstate|cstate <res>`. drbd-utils 8.4 prints one
 * `local/peer` line per volume (`Primary/Secondary`, `UpToDate/UpToDate`,
 * `Connected`); drbd-utils 9 prints the local role alone (`Primary`) and one
 * `local/peer` disk line per volume and peer.
 */
const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

export interface RolePair { local: DrbdRole; peer?: DrbdRole }
export interface DiskPair { local: DiskState; peer?: DiskState }

export function parseDrbdadmRole(text: string): RolePair[] {
  const ls = lines(text);
  if (ls.length === 0) throw new DrbdParseError('drbdadm role: empty output');
  return ls.map((l) => {
    const [local, peer] = l.split('/');
    return { local: asRole(local!), peer: peer === undefined ? undefined : asRole(peer) };
  });
}

export function parseDrbdadmDstate(text: string): DiskPair[] {
  const ls = lines(text);
  if (ls.length === 0) throw new DrbdParseError('drbdadm dstate: empty output');
  return ls.map((l) => {
    const [local, peer] = l.split('/');
    return { local: asDisk(local!), peer: peer === undefined ? undefined : asDisk(peer) };
  });
}

export function parseDrbdadmCstate(text: string): ConnectionState[] {
  const ls = lines(text);
  if (ls.length === 0) throw new DrbdParseError('drbdadm cstate: empty output');
  return ls.map((l) => asConn(l));
}

/** `drbdadm sh-minor <res>`: one minor per volume. */
export function parseShMinor(text: string): number[] {
  const ls = lines(text);
  if (ls.length === 0 || ls.some((l) => !/^\d+$/.test(l))) throw new DrbdParseError(`drbdadm sh-minor: unexpected output "${text.trim()}"`);
  return ls.map(Number);
}

/**
 * A DrbdResource from drbdadm's answers. Minors come from `sh-minor` (drbdadm
 * role/dstate do not print them); volumes are numbered in output order.
 */
export function resourceFromDrbdadm(
  name: string, minors: readonly number[], role: string, dstate: string, cstate?: string,
): DrbdResource {
  const roles = parseDrbdadmRole(role);
  const disks = parseDrbdadmDstate(dstate);
  const conns = cstate === undefined ? [] : parseDrbdadmCstate(cstate);
  const local = roles[0]!.local;
  const peerRole = roles[0]!.peer ?? 'Unknown';
  if (disks.length < minors.length) {
    throw new DrbdParseError(`drbdadm dstate ${name}: ${disks.length} line(s) for ${minors.length} volume(s)`);
  }
  return {
    name,
    role: local,
    volumes: minors.map((minor, i) => ({ volume: i, minor, device: `/dev/drbd${minor}`, disk: disks[i]!.local })),
    connections: conns.length === 0
      ? []
      : [{
          connection: conns[0]!,
          peerRole,
          volumes: minors.map((_, i) => ({ volume: i, peerDisk: disks[i]!.peer ?? 'DUnknown', replication: conns[i] ?? conns[0] })),
        }],
  };
}
