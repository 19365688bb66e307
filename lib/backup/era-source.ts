/**
 * The dm-era backend as a ChangeSource (issue 20; API in lib/ddmap/backends/era/api.ts).
 * The era functions are passed in, so this module depends on the API's shape only.
 *
 * Order (the point is that map and snapshot agree):
 *   1. checkpoint: a new era starts; every later write is in eras >= the new point
 *   2. hold writes on the era device (when the API offers it) and take the snapshot of the
 *      origin LV below it. Holding drains writes dm-era marked in the old era but had not
 *      yet handed to the LV; without it such a write could land after the snapshot and be
 *      in neither this backup nor the next one's eras. lvcreate itself suspends the origin
 *      LV, so holding costs the initiators no more than the snapshot does.
 *   3. changes = the segments written in eras >= the stored mark, read after the snapshot
 *      (writes between 1 and the snapshot are in both maps: copied twice, never missed).
 *   4. after success the mark advances to the point of step 1.
 */
import type { DdmapImage } from '../ddmap/format.js';
import type { DdmapStore } from '../ddmap/store.js';
import type { ChangeSource } from './change-source.js';

export interface EraPointLike {
  era: number;
  metadataUuid: string;
}

/** The slice of the era API a backup uses (lib/ddmap/backends/era/api.ts). */
export interface EraFunctions<Env> {
  checkpoint(vg: string, lv: string, env: Env): Promise<EraPointLike>;
  liveChangedSince(vg: string, lv: string, since: EraPointLike, env: Env): Promise<DdmapImage>;
  readEraMark(store: DdmapStore, lv: string): Promise<(EraPointLike & { at: string }) | null>;
  advanceEraMark(store: DdmapStore, lv: string, point: EraPointLike, by: 'backup'): Promise<unknown>;
  /** Hold the era device's writes (drained) while `f` runs, resuming whatever happens. Optional. */
  holdWrites?<T>(vg: string, lv: string, env: Env, f: () => Promise<T>): Promise<T>;
  /** Errors that mean "the map is unknown: read everything" (metadata recreated). */
  isMismatch(e: unknown): boolean;
}

export function eraChanges<Env>(api: EraFunctions<Env>, env: Env, store: DdmapStore, vg: string, lv: string): ChangeSource {
  let mark: EraPointLike | null = null;
  return {
    name: 'era',
    async bracket(take) {
      mark = await api.readEraMark(store, lv);
      const point = await api.checkpoint(vg, lv, env);
      const value = api.holdWrites ? await api.holdWrites(vg, lv, env, take) : await take();
      return { value, point: JSON.stringify({ era: point.era, metadataUuid: point.metadataUuid }) };
    },
    async changes() {
      if (!mark) return null;
      try {
        return await api.liveChangedSince(vg, lv, mark, env);
      } catch (e) {
        if (api.isMismatch(e)) return null;
        throw e;
      }
    },
    async commit(point) {
      if (point === null) return;
      const p = JSON.parse(point) as EraPointLike;
      await api.advanceEraMark(store, lv, p, 'backup');
    },
  };
}
