/**
 * What went wrong in a backup, by what the operator does about it:
 *   input     bad arguments or files that are not what they claim; nothing was changed
 *   busy      another backup holds the destination
 *   io        reading the snapshot or writing the destination failed; rerun resumes
 *   verify    the destination does not match its checksums; the LV is marked DIRTY
 *   snapshot  creating, reading or removing the LVM snapshot failed
 *   interrupted  a signal stopped the copy; rerun resumes
 *   failover  the vg agent stopped the VG on this node (a switchover) and interrupted the run,
 *             or refused to let it start; rerun the same command on the new primary
 */
export type BackupErrorKind = 'input' | 'busy' | 'io' | 'verify' | 'snapshot' | 'interrupted' | 'failover';

export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    readonly kind: BackupErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Exit status of `lioha backup` per kind (1 = failed, 2 = usage, 3 = verify failed, 4 = busy,
 * 75 = interrupted by a failover: EX_TEMPFAIL, retry on the new primary, 130 = interrupted).
 */
export function exitCodeOf(kind: BackupErrorKind): number {
  return { input: 2, busy: 4, io: 1, verify: 3, snapshot: 1, interrupted: 130, failover: 75 }[kind];
}
