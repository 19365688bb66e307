/**
 * The record of the last finished backup of an LV, in the VG's ddmap store
 * (<state_dir>/<vg>/ddmap/<lv>.backup.json), so it moves with the VG like the maps do.
 * The change maps are consumed by one destination: a backup to another destination, or
 * after the volume's size changed, must read everything.
 */

import { join } from 'node:path';
import { readTextIfPresent } from '../sys/read-if-present.js';
import { writeFileAtomic } from '../ddmap/atomic.js';
import type { DdmapStore } from '../ddmap/store.js';
import { assertLvName } from '../ddmap/store.js';
import { BackupError } from './errors.js';

export interface BackupRecord {
  version: 1;
  vg: string;
  lv: string;
  destination: string;
  checksums: string;
  setId: string;
  volumeBytes: string;
  mode: 'full' | 'incremental';
  source: string;
  finishedAt: string;
  segmentsRead: number;
  segmentsWritten: number;
}

export function recordPath(store: DdmapStore, lv: string): string {
  assertLvName(lv);
  return join(store.dir, `${lv}.backup.json`);
}

export async function readRecord(store: DdmapStore, lv: string): Promise<BackupRecord | null> {
  const p = recordPath(store, lv);
  const text = await readTextIfPresent(p);
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as BackupRecord;
    if (r.version !== 1 || typeof r.checksums !== 'string' || typeof r.volumeBytes !== 'string') throw new Error('missing fields');
    return r;
  } catch (e) {
    throw new BackupError('input', `backup record ${p} is unreadable (${(e as Error).message}); remove it and the next backup reads everything`);
  }
}

export async function writeRecord(store: DdmapStore, r: BackupRecord): Promise<void> {
  await writeFileAtomic(recordPath(store, r.lv), `${JSON.stringify(r, null, 2)}\n`);
}
