/**
 * DRBD state and counters from files only: /proc/drbd (8.x lists every minor
 * with its counters) and the resource names from the drbd configuration.
 * DRBD 9 lists no minors in /proc/drbd: `devices` is then empty and `version`
 * says why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseProcDrbd } from '../proc/drbd-proc.js';
import type { DrbdCounters, DrbdRole, DiskState, ConnectionState } from '../proc/drbd-types.js';
import { minorNamesFromConfig } from './drbd-names.js';
import { parseResyncProgress, type ResyncProgress } from './drbd-resync.js';

export interface DrbdDevice {
  minor: number;
  resource?: string;
  role: DrbdRole;
  peerRole?: DrbdRole;
  disk: DiskState;
  peerDisk?: DiskState;
  connection?: ConnectionState;
  protocol?: string;
  suspended?: boolean;
  counters: DrbdCounters;
  resync?: ResyncProgress;
}

export interface DrbdSnapshot {
  /** false: /proc/drbd is absent (module not loaded). */
  loaded: boolean;
  version?: string;
  devices: DrbdDevice[];
}

export function drbdFromText(procText: string | undefined, names: Map<number, string> = new Map()): DrbdSnapshot {
  if (procText === undefined) return { loaded: false, devices: [] };
  const st = parseProcDrbd(procText);
  const resync = new Map(parseResyncProgress(procText).map((r) => [r.minor, r]));
  const devices: DrbdDevice[] = [];
  for (const r of st.resources) {
    const v = r.volumes[0]!;
    const c = r.connections[0];
    const name = names.get(v.minor);
    const sync = resync.get(v.minor);
    devices.push({
      minor: v.minor,
      ...(name ? { resource: name } : {}),
      role: r.role,
      ...(c ? { peerRole: c.peerRole, peerDisk: c.volumes[0]?.peerDisk, connection: c.connection } : { connection: 'StandAlone' as ConnectionState }),
      disk: v.disk,
      ...(v.protocol ? { protocol: v.protocol } : {}),
      ...(v.suspended !== undefined ? { suspended: v.suspended } : {}),
      counters: v.counters ?? {},
      ...(sync ? { resync: sync } : {}),
    });
  }
  devices.sort((a, b) => a.minor - b.minor);
  return { loaded: true, ...(st.version ? { version: st.version } : {}), devices };
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Resource names from /etc/drbd.conf and /etc/drbd.d/*.res under the root. */
export function readDrbdNames(path: (abs: string) => string): Map<number, string> {
  let text = readOr(path('/etc/drbd.conf')) ?? '';
  try {
    for (const f of readdirSync(path('/etc/drbd.d')).sort()) if (f.endsWith('.res')) text += `\n${readOr(path(`/etc/drbd.d/${f}`)) ?? ''}`;
  } catch {
    /* no drbd.d */
  }
  return minorNamesFromConfig(text);
}

export function readDrbd(path: (abs: string) => string): DrbdSnapshot {
  const text = readOr(path('/proc/drbd'));
  return drbdFromText(text, text === undefined ? new Map() : readDrbdNames(path));
}
