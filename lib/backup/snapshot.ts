/** The point-in-time copy a backup reads: an LVM snapshot in production, a file copy in tests. */

export interface Snapshot {
  /** The snapshot's name (an LV name for LVM), recorded in the journal to resume with it. */
  name: string;
  /** Path to read (resolved under the root). */
  device: string;
  sizeBytes: bigint;
}

export interface SnapshotProvider {
  /** What is being backed up, for messages ("vg0/lun1"). */
  readonly origin: string;
  /** The origin's device path (a destination there is refused). */
  originDevice(): string;
  originBytes(): Promise<bigint>;
  /** The name create() uses: one per origin, so a leftover of a killed run is found again. */
  readonly snapshotName: string;
  create(): Promise<Snapshot>;
  /** Our snapshot `name` if it exists; null when gone. Throws when an LV of that name is not our snapshot of the origin. */
  find(name: string): Promise<Snapshot | null>;
  /** Null while the snapshot is usable, otherwise why not (e.g. its COW space ran out). */
  invalid(s: Snapshot): Promise<string | null>;
  /** Remove our snapshot; a no-op when it is gone. Never removes anything that is not our snapshot of the origin. */
  remove(name: string): Promise<void>;
}
