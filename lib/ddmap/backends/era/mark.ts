/**
 * The era mark of one LV in the ddmap store: <state_dir>/<vg>/ddmap/<lv>.era, one JSON object,
 * replaced atomically. Writes in eras >= `era` are in no dump and no finished backup yet.
 * Kept beside <lv>.state rather than in it, so the state file stays the seed's one-line
 * DDMAP_<STATE> that other tools read.
 */
import { readTextAsync } from '../../../sys/fs-callback.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic.js';
import { assertLvName, type DdmapStore } from '../../store.js';

/** A position in one era device's history; era numbers restart with new metadata, hence the uuid. */
export interface EraPoint {
  era: number;
  /** LVM uuid of the era metadata LV the number belongs to. */
  metadataUuid: string;
}

export interface EraMark extends EraPoint {
  at: string;
  by: 'start' | 'stop' | 'backup';
}

export class EraMarkError extends Error {
  override name = 'EraMarkError';
}

export function eraMarkPath(store: DdmapStore, lv: string): string {
  assertLvName(lv);
  return join(store.dir, `${lv}.era`);
}

const isEra = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** The mark, or null when there is none. A mark that cannot be read or parsed is an error, never a guess. */
export async function readEraMark(store: DdmapStore, lv: string): Promise<EraMark | null> {
  const p = eraMarkPath(store, lv);
  let text: string;
  try {
    text = await readTextAsync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EraMarkError(`cannot read ${p}: ${(e as Error).message}`);
  }
  let m: Partial<EraMark>;
  try {
    m = JSON.parse(text) as Partial<EraMark>;
  } catch {
    throw new EraMarkError(`${p} is not JSON`);
  }
  if (!isEra(m.era) || typeof m.metadataUuid !== 'string' || !m.metadataUuid || typeof m.at !== 'string' || !['start', 'stop', 'backup'].includes(m.by as string)) {
    throw new EraMarkError(`${p} is not an era mark (era, metadataUuid, at, by)`);
  }
  return m as EraMark;
}

/** Replace the mark unconditionally (the agent, when the history starts anew). */
export async function writeEraMark(store: DdmapStore, lv: string, point: EraPoint, by: EraMark['by'], now = new Date()): Promise<EraMark> {
  if (!isEra(point.era) || !point.metadataUuid) throw new EraMarkError(`invalid era point ${JSON.stringify(point)}`);
  const mark: EraMark = { era: point.era, metadataUuid: point.metadataUuid, at: now.toISOString(), by };
  await writeFileAtomic(eraMarkPath(store, lv), `${JSON.stringify(mark)}\n`);
  return mark;
}

/**
 * Record that everything before `point.era` is covered. Never moves backwards for the same
 * metadata (a ddmap stop that ran during a backup may already have advanced it further), and
 * never replaces the mark of newer metadata with a point of older metadata (the agent wrote that
 * mark when the history began anew, and the LV is DIRTY until a full read).
 */
export async function advanceEraMark(store: DdmapStore, lv: string, point: EraPoint, by: EraMark['by'], now = new Date()): Promise<EraMark> {
  const cur = await readEraMark(store, lv).catch(() => null);
  if (cur && (cur.metadataUuid !== point.metadataUuid || cur.era >= point.era)) return cur;
  return writeEraMark(store, lv, point, by, now);
}
