/**
 * The per-LUN ddmap state machine of ietd_ddmap.sh.
 *
 *   state     on stop (shutdown)   on start (startup)
 *   UNKNOWN   DIRTY                DIRTY            initial: nothing known, full read needed
 *   ACTIVE    CLEAN                DIRTY            running; found at startup = unclean shutdown
 *   CLEAN     CLEAN                ACTIVE           maps saved; dumps are complete
 *   DIRTY     DIRTY                DIRTY            the next backup reads the whole volume
 *
 * A backup tool sets ACTIVE after a finished backup and DIRTY after a failed
 * integrity check. A failed save sets DIRTY.
 */

export const STATES = ['UNKNOWN', 'ACTIVE', 'CLEAN', 'DIRTY'] as const;
export type DdmapState = (typeof STATES)[number];

/** What caused a state change; goes into <lv>.log. */
export type StateEvent = 'start' | 'stop' | 'stop-failed' | 'lost' | 'backup' | 'admin';

const ON_STOP: Record<DdmapState, DdmapState> = { UNKNOWN: 'DIRTY', ACTIVE: 'CLEAN', CLEAN: 'CLEAN', DIRTY: 'DIRTY' };
const ON_START: Record<DdmapState, DdmapState> = { UNKNOWN: 'DIRTY', ACTIVE: 'DIRTY', CLEAN: 'ACTIVE', DIRTY: 'DIRTY' };

/** The state after a successful save of the map on stop. */
export const afterStop = (s: DdmapState): DdmapState => ON_STOP[s];
/** The state after start. */
export const afterStart = (s: DdmapState): DdmapState => ON_START[s];

/** States a backup tool may set: ACTIVE (backup done, maps consumed) or DIRTY (integrity check failed). */
export const BACKUP_STATES: readonly DdmapState[] = ['ACTIVE', 'DIRTY'];

/** States in which the map is tracked on a running node. */
export const RUNNING_STATES: readonly DdmapState[] = ['ACTIVE', 'DIRTY'];

/** File form, as ietd_ddmap.sh writes it: DDMAP_<STATE>. */
export const stateToText = (s: DdmapState): string => `DDMAP_${s}`;

/** Parse a state as written in a .state file or typed by an operator (with or without DDMAP_, any case). */
export function parseState(text: string): DdmapState | null {
  const t = text.trim().toUpperCase().replace(/^DDMAP_/, '');
  return (STATES as readonly string[]).includes(t) ? (t as DdmapState) : null;
}
