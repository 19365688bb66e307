/**
 * The resume journal of a run, next to the checksum file (<checksums>.journal), replaced
 * atomically at every checkpoint. Before a batch of segments is touched the journal names it
 * (cursor .. inflightEnd); after the batch the destination and the checksum file are synced
 * and the cursor moves past it. So after SIGKILL or a power cut:
 *   segments < cursor             copied, synced, their checksums written
 *   cursor <= s < inflightEnd     maybe half written: rewritten unconditionally on resume
 *   segments >= inflightEnd       untouched
 * A resume with the same snapshot continues at the cursor; when the snapshot is gone, a new
 * run starts from a new snapshot and still rewrites the old in-flight window.
 */
import { unlink } from 'node:fs/promises';
import { readTextIfPresent } from '../sys/read-if-present.js';
import { writeFileAtomic } from '../ddmap/atomic.js';
import type { DdmapState } from '../ddmap/state.js';
import { BackupError } from './errors.js';

export const JOURNAL_VERSION = 1;

export interface Journal {
  version: number;
  vg: string;
  lv: string;
  destination: string;
  checksums: string;
  setId: string;
  volumeBytes: string;
  /** The snapshot the run reads; null for a run without one (--source). */
  snapshot: { name: string; device: string } | null;
  mode: 'full' | 'incremental';
  reason: string;
  /** The change source's point taken with the snapshot (the next backup's base), JSON. */
  point: string | null;
  source: string;
  /** Dump files merged into the plan: removed after success. */
  dumps: string[];
  /** State and log length at the snapshot: a DIRTY logged during the run is not overwritten. */
  stateAtStart: DdmapState;
  logBytesAtStart: number;
  phase: 'copy' | 'verify';
  cursor: number;
  inflightEnd: number;
  /** Segments to rewrite whatever their checksum (an earlier run's in-flight window). */
  forced: { from: number; to: number } | null;
  counters: CopyCounters;
  startedAt: string;
}

export interface CopyCounters {
  /** Planned segments processed. */
  segmentsDone: number;
  bytesRead: number;
  segmentsWritten: number;
  bytesWritten: number;
}

export const zeroCounters = (): CopyCounters => ({ segmentsDone: 0, bytesRead: 0, segmentsWritten: 0, bytesWritten: 0 });

export const journalPath = (checksums: string): string => `${checksums}.journal`;
export const planPath = (checksums: string): string => `${checksums}.plan`;

export async function readJournal(checksums: string): Promise<Journal | null> {
  const path = journalPath(checksums);
  const text = await readTextIfPresent(path);
  if (text === null) return null;
  let j: Journal;
  try {
    j = JSON.parse(text) as Journal;
  } catch (e) {
    throw new BackupError('input', `resume journal ${path} is not JSON (${(e as Error).message}); remove it to start over`);
  }
  if (j.version !== JOURNAL_VERSION || typeof j.cursor !== 'number' || typeof j.lv !== 'string' || !j.counters) {
    throw new BackupError('input', `resume journal ${path} is not a version ${JOURNAL_VERSION} journal; remove it to start over`);
  }
  return j;
}

export async function writeJournal(j: Journal): Promise<void> {
  await writeFileAtomic(journalPath(j.checksums), `${JSON.stringify(j)}\n`, { mode: 0o600 });
}

export async function removeJournal(checksums: string): Promise<void> {
  for (const p of [journalPath(checksums), planPath(checksums)]) {
    await unlink(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
