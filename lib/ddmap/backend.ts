/**
 * Where change maps come from. The agent and the CLI talk only to this
 * interface. IET's /proc/net/iet/ddmap reads maps the target keeps; the device-mapper
 * era backend (backends/era) owns a device per LV under LIO's backstore and reads what
 * it recorded (take_metadata_snap, era_invalidate). Both list the VG's LUNs, say whether
 * a LUN has a live map, and capture a consistent image of it.
 */
import type { LvmConfigOptions } from '../lvm/config.js';
import type { Exec } from '../lvm/lvm.js';
import type { Root } from '../sys/root.js';
import type { BackendName } from './backends/names.js';
import type { DdmapStore } from './store.js';

/** One exported LUN whose changes are tracked. */
export interface MapLun {
  /** The backend's name for the map; for IET the proc entry name "<target>.<lun>" (what name_sum sums). */
  id: string;
  target: string;
  lun: number;
  vg: string;
  /** The store keys dumps and states by LV name, as ietd_ddmap.sh does. */
  lv: string;
  /** Backing device as the target reports it. */
  device: string;
  /** Volume size in bytes, when the backend knows it. */
  sizeBytes?: bigint;
}

/** A consistent map image (header + words, the .ddmapdump bytes) and how long the LUN's writes were held. */
export interface Capture {
  image: Uint8Array;
  /** Time between the suspend request and the resume completing (ms); 0 when writes were never held. */
  suspendMs: number;
  /** Non-fatal observations (e.g. a name_sum that differs from the computed one). */
  warnings: string[];
  /**
   * Set when the backend cannot tell what changed (its history began anew): no dump is
   * written and the LUN becomes DIRTY (the next backup reads the whole volume).
   */
  untracked?: string;
  /** Runs once the dump is durable (era: move the mark past the captured eras). */
  saved?(): Promise<void>;
}

/** What attach found out about a LUN's history. */
export interface Attached {
  /** Null when the history goes on; otherwise why it begins anew (the LUN becomes DIRTY first). */
  newHistory: string | null;
  /** Runs after the DIRTY state is durable: record where the new history starts. */
  begin?(): Promise<void>;
}

/**
 * A capture failed. `resumed` tells whether the map (and the target's writes)
 * are known to be running again; false is an emergency the caller must report.
 */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(
    message: string,
    readonly resumed: boolean,
  ) {
    super(message);
  }
}

/** The backend is not usable on this node (module not loaded, no ddmap support). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export interface ChangeMapBackend {
  readonly name: BackendName;
  /** Null when usable here, otherwise why not (naming the missing interface). */
  unavailable(): Promise<string | null>;
  /** The LUNs backed by LVs of `vg`, in a stable order. */
  listLuns(vg: string): Promise<MapLun[]>;
  /** Whether the LUN's live map exists. */
  hasMap(lun: MapLun): Promise<boolean>;
  /** Read a consistent image of the LUN's map, holding writes as briefly as possible. */
  capture(lun: MapLun, timeoutMs: number): Promise<Capture>;
  /** Null when the live map's header (and length) are sound, otherwise what is wrong. */
  checkMap(lun: MapLun, timeoutMs: number): Promise<string | null>;
  /** Resume the map `id` (one a killed capture left suspended): 'gone' when the map no longer exists. */
  resume(id: string, timeoutMs: number): Promise<'resumed' | 'gone'>;

  /**
   * Backends whose map lives in a device the agent creates and removes (era): the LUNs are the
   * configured LVs, start attaches each (creates its device) before anything else, and stop
   * detaches each (removes its device) after saving its map.
   */
  readonly ownsDevices?: boolean;
  /** Create the LUN's map device, or check the one there. Idempotent. */
  attach?(lun: MapLun, timeoutMs: number): Promise<Attached>;
  /** Why the LUN's map device cannot be removed now (who holds it open), or null. */
  holders?(lun: MapLun, timeoutMs: number): Promise<string | null>;
  /** Remove the LUN's map device (never while it is open). Idempotent. */
  detach?(lun: MapLun, timeoutMs: number): Promise<void>;
}

export interface BackendOptions {
  root: Root;
  /** The LVs to track (era: the configured `lvs`). */
  lvs?: readonly string[];
  /** The store of the VG (era keeps its mark there). */
  store?: DdmapStore;
  /** Runs one external command, bounded (era); the agent passes one that honours its deadline. */
  exec?: Exec;
  /** Environment whose PATH (and LIOHA_PATH) locate the commands; default process.env. */
  toolEnv?: NodeJS.ProcessEnv;
  /** LVM --config options for lvm commands (era: the vg agent's DRBD filter plus extra devices). */
  lvm?: LvmConfigOptions;
}
