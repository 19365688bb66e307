/**
 * Where change maps come from. The agent and the CLI talk only to this
 * interface; IET's /proc/net/iet/ddmap is the first implementation, and a
 * device-mapper era backend (dmsetup message ... take_metadata_snap, era_invalidate)
 * fits the same shape: list the VG's LUNs, say whether a LUN has a live map,
 * capture a consistent image of it.
 */
import type { Root } from '../sys/root.js';
import type { BackendName } from './backends/names.js';

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
  /** Time between the suspend request and the resume completing (ms). */
  suspendMs: number;
  /** Non-fatal observations (e.g. a name_sum that differs from the computed one). */
  warnings: string[];
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
}

export interface BackendOptions {
  root: Root;
}
