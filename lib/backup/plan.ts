/**
 * Full read or incremental: the seed's rules (DIRTY, new and resized volumes are read
 * whole) plus what a checksum-skipping copy needs to be safe. Pure.
 */
import type { DdmapState } from '../ddmap/state.js';
import type { ChecksumHeader } from './checksum-file.js';
import type { BackupRecord } from './record.js';

export interface PlanFacts {
  forceFull: boolean;
  state: DdmapState;
  record: BackupRecord | null;
  /** Null: no checksum file (or it was reset because the destination is new). */
  checksums: ChecksumHeader | null;
  checksumsPath: string;
  volumeBytes: bigint;
}

/** Why this run must read the whole volume, judged before any map is read; null when a map may do. */
export function fullReadReason(f: PlanFacts): string | null {
  if (f.forceFull) return '--full given';
  if (f.state === 'DIRTY') return 'the ddmap state is DIRTY (a map was lost or a check failed)';
  if (f.state === 'UNKNOWN') return 'the ddmap state is UNKNOWN (writes were never tracked)';
  if (!f.checksums) return 'new backup: no checksum file';
  if (!f.record) return 'no earlier backup of this volume is recorded';
  if (f.record.checksums !== f.checksumsPath || f.record.setId !== f.checksums.setId) {
    return `the last backup of this volume went to ${f.record.destination}: the change maps since were consumed there`;
  }
  if (BigInt(f.record.volumeBytes) !== f.volumeBytes) return `the volume was resized (${f.record.volumeBytes} -> ${f.volumeBytes} bytes)`;
  if (f.checksums.volumeBytes !== f.volumeBytes) return `the checksum file describes ${f.checksums.volumeBytes} bytes, the volume has ${f.volumeBytes}`;
  return null;
}

/** Why the maps at hand cannot drive the run, or null. `live` is null when the change source cannot tell. */
export function mapReason(state: DdmapState, sourceName: string, haveLive: boolean, badDumps: readonly string[]): string | null {
  if (badDumps.length) return `saved map ${badDumps[0]} is unreadable`;
  if (!haveLive && state !== 'CLEAN') {
    return sourceName === 'none'
      ? `no live change map (no change source) while the ddmap state is ${state}: writes since the last save are unknown`
      : `the ${sourceName} change source cannot tell what changed since the last backup`;
  }
  return null;
}
