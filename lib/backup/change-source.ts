/**
 * Where a backup learns which segments changed since the last one. The saved dumps in the
 * VG's store are always merged; a ChangeSource adds the live part (writes since the last
 * dump or backup) and decides how the snapshot is taken so map and snapshot agree.
 *
 * The contract, for every write W to the volume:
 *   - W is in the snapshot  =>  W's segment is in changes() of this run (or in a dump);
 *   - W is not in the snapshot  =>  W's segment is in the next run's changes (after commit).
 * A write on both sides is copied twice, never missed.
 */
import type { DdmapImage } from '../ddmap/format.js';
import { readImageFile } from '../ddmap/merge-files.js';

export interface ChangeSource {
  /** For the report and the record: "era", "map-file", "none", ... */
  readonly name: string;
  /**
   * Take the snapshot (`take`) at a point the map agrees with. Returns the snapshot and
   * the point (JSON text) that becomes the base of the next backup once this one commits.
   */
  bracket<T>(take: () => Promise<T>): Promise<{ value: T; point: string | null }>;
  /** Segments written since the last committed point, up to at least the snapshot; null when unknown (a full read). */
  changes(): Promise<DdmapImage | null>;
  /** The backup finished and verified: `point` (from bracket, possibly of an earlier, resumed run) is the new base. */
  commit(point: string | null): Promise<void>;
}

/**
 * No live map (LIO without the era backend): only the dumps are known. They are complete
 * when the ddmap state is CLEAN (the agent saved the map at its stop); otherwise the caller
 * reads everything.
 */
export const noLiveChanges: ChangeSource = {
  name: 'none',
  bracket: async (take) => ({ value: await take(), point: null }),
  changes: async () => null,
  commit: async () => undefined,
};

/**
 * Maps the operator merged (`--map`), e.g. with `lioha ddmap merge --live` on IET after the
 * seed's mapsuspend / lvcreate -s / mapzap / mapresume recipe: the operator answers for their
 * agreement with the snapshot.
 */
export function mapFileChanges(paths: readonly string[]): ChangeSource {
  return {
    name: 'map-file',
    bracket: async (take) => ({ value: await take(), point: null }),
    changes: async () => {
      const images = await Promise.all(paths.map((p) => readImageFile(p)));
      if (images.length === 0) return null;
      const words = new Uint32Array(Math.max(...images.map((i) => i.words.length)));
      for (const i of images) for (let k = 0; k < i.words.length; k++) words[k]! |= i.words[k]!;
      return { header: { ...images[0]!.header, mapSize: words.length }, words };
    },
    commit: async () => undefined,
  };
}
