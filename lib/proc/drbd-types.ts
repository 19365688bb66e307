/**
 * One model of DRBD state, whatever it was read from: /proc/drbd (8.0 `st:`,
 * 8.4 `ro:`), `drbdsetup status --json` (9), or `drbdadm role/dstate/cstate`.
 * Sources that do not know a field leave it undefined rather than guessing.
 */
export type DrbdRole = 'Primary' | 'Secondary' | 'Unknown';

export type DiskState =
  | 'Diskless' | 'Attaching' | 'Detaching' | 'Failed' | 'Negotiating' | 'Inconsistent'
  | 'Outdated' | 'DUnknown' | 'Consistent' | 'UpToDate';

/** 8.x `cs:` values, and DRBD 9 connection-state plus replication-state values. */
export type ConnectionState =
  | 'Unconfigured' | 'StandAlone' | 'Disconnecting' | 'Unconnected' | 'Timeout' | 'BrokenPipe'
  | 'NetworkFailure' | 'ProtocolError' | 'TearDown' | 'WFConnection' | 'WFReportParams' | 'Connecting'
  | 'Connected' | 'StartingSyncS' | 'StartingSyncT' | 'WFBitMapS' | 'WFBitMapT' | 'WFSyncUUID'
  | 'SyncSource' | 'SyncTarget' | 'PausedSyncS' | 'PausedSyncT' | 'VerifyS' | 'VerifyT' | 'Ahead' | 'Behind'
  | 'Established' | 'Off';

/** Per-device I/O counters, in bytes where DRBD reports KiB (ns nr dw dr oos), else counts. */
export interface DrbdCounters {
  networkSendBytes?: number; // ns
  networkReceiveBytes?: number; // nr
  diskWriteBytes?: number; // dw
  diskReadBytes?: number; // dr
  activityLogUpdates?: number; // al
  bitmapUpdates?: number; // bm
  localCount?: number; // lo
  pending?: number; // pe
  unacknowledged?: number; // ua
  applicationPending?: number; // ap
  epochs?: number; // ep
  writeOrdering?: string; // wo: b(arrier) f(lush) d(rain) n(one)
  outOfSyncBytes?: number; // oos
}

export interface DrbdVolume {
  volume: number;
  minor: number;
  /** /dev/drbd<minor> */
  device: string;
  disk: DiskState;
  counters?: DrbdCounters;
  /** 8.x protocol letter (A/B/C). */
  protocol?: string;
  /** 8.x I/O flags column, e.g. `r-----`. */
  ioFlags?: string;
  suspended?: boolean;
}

export interface DrbdPeerVolume {
  volume: number;
  peerDisk: DiskState;
  /** 9: replication-state; 8.x: the same as the connection state. */
  replication?: ConnectionState;
  outOfSyncBytes?: number;
}

export interface DrbdConnection {
  peerName?: string;
  peerNodeId?: number;
  connection: ConnectionState;
  peerRole: DrbdRole;
  volumes: DrbdPeerVolume[];
}

export interface DrbdResource {
  /** Unknown (undefined) when read from /proc/drbd, which lists minors only. */
  name?: string;
  role: DrbdRole;
  volumes: DrbdVolume[];
  connections: DrbdConnection[];
  suspended?: boolean;
}

export interface DrbdProcStatus {
  /** Kernel module version, e.g. 8.4.5 or 9.2.8. */
  version?: string;
  api?: string;
  proto?: string;
  gitHash?: string;
  srcversion?: string;
  /** One entry per configured minor (8.x). Always empty for DRBD 9, whose /proc/drbd has no minors. */
  resources: DrbdResource[];
}

const ROLES: ReadonlySet<string> = new Set(['Primary', 'Secondary', 'Unknown']);
const DISKS: ReadonlySet<string> = new Set([
  'Diskless', 'Attaching', 'Detaching', 'Failed', 'Negotiating', 'Inconsistent', 'Outdated', 'DUnknown',
  'Consistent', 'UpToDate',
]);
const CONNS: ReadonlySet<string> = new Set([
  'Unconfigured', 'StandAlone', 'Disconnecting', 'Unconnected', 'Timeout', 'BrokenPipe', 'NetworkFailure',
  'ProtocolError', 'TearDown', 'WFConnection', 'WFReportParams', 'Connecting', 'Connected', 'StartingSyncS',
  'StartingSyncT', 'WFBitMapS', 'WFBitMapT', 'WFSyncUUID', 'SyncSource', 'SyncTarget', 'PausedSyncS',
  'PausedSyncT', 'VerifyS', 'VerifyT', 'Ahead', 'Behind', 'Established', 'Off',
]);

export class DrbdParseError extends Error {}

export function asRole(s: string): DrbdRole {
  if (!ROLES.has(s)) throw new DrbdParseError(`unknown DRBD role "${s}"`);
  return s as DrbdRole;
}
export function asDisk(s: string): DiskState {
  if (!DISKS.has(s)) throw new DrbdParseError(`unknown DRBD disk state "${s}"`);
  return s as DiskState;
}
export function asConn(s: string): ConnectionState {
  if (!CONNS.has(s)) throw new DrbdParseError(`unknown DRBD connection state "${s}"`);
  return s as ConnectionState;
}

/** Every volume of the resource with its minor. */
export const minorsOf = (r: DrbdResource): number[] => r.volumes.map((v) => v.minor);
