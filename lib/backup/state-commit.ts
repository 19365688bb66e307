/**
 * What a backup does to the LV's ddmap state (the seed's table, lib/ddmap/state.ts):
 *   success       ACTIVE (the maps are consumed), but
 *                 - a DIRTY logged while the backup ran stays DIRTY (a failed map save
 *                   during the copy: its writes are in no map, the next backup reads all);
 *                 - CLEAN stays CLEAN (the ddmap agent is stopped; ACTIVE would read as an
 *                   unclean stop at its next start and force a needless full read);
 *   failed check  DIRTY (the destination does not match its checksums).
 * Other failures change nothing: the maps are not consumed and a rerun resumes.
 */
import { readFile, stat } from 'node:fs/promises';
import type { DdmapState } from '../ddmap/state.js';
import type { DdmapStore, StateChange } from '../ddmap/store.js';

export interface StateAtStart {
  state: DdmapState;
  logBytes: number;
}

export async function stateAtStart(store: DdmapStore, lv: string): Promise<StateAtStart> {
  const state = await store.readState(lv);
  const logBytes = (await stat(store.logPath(lv)).catch(() => null))?.size ?? 0;
  return { state, logBytes };
}

/** Lines the state log gained since the start of the run. */
async function logSince(store: DdmapStore, lv: string, bytes: number): Promise<string[]> {
  const text = await readFile(store.logPath(lv)).catch(() => Buffer.alloc(0));
  return text.subarray(Math.min(bytes, text.length)).toString('utf8').split('\n').filter(Boolean);
}

export type SuccessOutcome = { change: StateChange; keptDirty?: string };

export async function markBackedUp(store: DdmapStore, lv: string, start: StateAtStart, note: string, now = new Date()): Promise<SuccessOutcome> {
  const dirtied = (await logSince(store, lv, start.logBytes)).find((l) => /-> DDMAP_DIRTY\b/.test(l));
  const current = await store.readState(lv);
  if (dirtied && current === 'DIRTY') {
    const change = await store.setState(lv, 'DIRTY', 'backup', `${note} (kept DIRTY: marked during the backup)`, now);
    return { change, keptDirty: dirtied };
  }
  const to: DdmapState = current === 'CLEAN' ? 'CLEAN' : 'ACTIVE';
  return { change: await store.setState(lv, to, 'backup', note, now) };
}

export async function markDirty(store: DdmapStore, lv: string, note: string, now = new Date()): Promise<StateChange> {
  return store.setState(lv, 'DIRTY', 'backup', note, now);
}
