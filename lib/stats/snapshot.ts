/** Everything one statistics scrape reads, from files only. */
import type { DdmapLunState } from './ddmap-states.js';
import type { DrbdSnapshot } from './drbd.js';
import type { LioSnapshot } from './lio.js';

export interface GroupPlacement {
  group: string;
  /** Node the group runs on, undefined when stopped. */
  node?: string;
}

export interface StatsSnapshot {
  lio: LioSnapshot;
  drbd: DrbdSnapshot;
  ddmap: DdmapLunState[];
  /** Only when asked for (one crm_mon call): where each group runs. */
  groups?: GroupPlacement[];
}
