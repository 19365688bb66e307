/** One statistics scrape under a root: files only, nothing spawned. */
import { join } from 'node:path';
import { TARGET_ROOT } from '../configfs/layout.js';
import { readDdmapStates } from './ddmap-states.js';
import { readDrbd } from './drbd.js';
import { readLio, type CounterSet } from './lio.js';
import type { StatsSnapshot } from './snapshot.js';
import { openTreeReader } from './tree-reader.js';

export { TARGET_ROOT };
/** ietd_ddmap.sh's VGMETA_DIR, the ddmap agent's default state_dir. */
export const DEFAULT_DDMAP_STATE_DIR = '/mnt/iscsi-target';

export interface CollectOptions {
  /** Filesystem root every path resolves under ('/' in production). */
  root: string;
  ddmapStateDir?: string;
  targets?: readonly string[];
  backstores?: boolean;
  /** Which LIO counters (lib/stats/lio.ts; default all). */
  counters?: CounterSet;
}

export function resolveUnder(root: string, abs: string): string {
  return root === '/' || root === '' ? abs : join(root, abs);
}

export function collect(o: CollectOptions): StatsSnapshot {
  const path = (abs: string) => resolveUnder(o.root, abs);
  return {
    lio: readLio(openTreeReader(path(TARGET_ROOT)), { ...(o.targets ? { targets: o.targets } : {}), backstores: o.backstores ?? true, counters: o.counters ?? 'all' }),
    drbd: readDrbd(path),
    ddmap: readDdmapStates(path(o.ddmapStateDir ?? DEFAULT_DDMAP_STATE_DIR)),
  };
}
