/** The IET ddmap backend: /proc/net/iet/volume for the LUN list, /proc/net/iet/ddmap/<target>.<lun> for maps. */
import { constants } from 'node:fs';
import { closeAsync, openAsync, readAtAsync, readTextAsync, realpathAsync, statAsync } from '../../../sys/fs-callback.js';
import type { Root } from '../../../sys/root.js';
import { type BackendOptions, BackendUnavailableError, type Capture, CaptureError, type ChangeMapBackend, type MapLun } from '../../backend.js';
import { DdmapFormatError, HEADER_SIZE, decodeHeader, decodeImage, imageBytes, mapSizeForVolume, nameSum } from '../../format.js';
import { lvFromDevicePath, splitDmName, type LvName } from '../../lvm-path.js';
import { fsProcEntryIo, type ProcEntryHandle, type ProcEntryIo } from './proc-entry.js';
import { clearSuspendIntent, recordSuspendIntent, SUSPEND_INTENT_DIR } from '../../suspend-intent.js';
import { parseIetVolume } from './volume.js';

export const IET_VOLUME = '/proc/net/iet/volume';
export const IET_DDMAP_DIR = '/proc/net/iet/ddmap';
/** mapresume gets at least this long even when the capture budget is spent: a suspended map blocks the target's writes. */
const RESUME_MIN_MS = 2000;

export class IetBackend implements ChangeMapBackend {
  readonly name = 'iet' as const;
  private readonly root: Root;
  private readonly io: ProcEntryIo;

  constructor(opts: BackendOptions & { io?: ProcEntryIo }) {
    this.root = opts.root;
    this.io = opts.io ?? fsProcEntryIo;
  }

  entryPath(id: string): string {
    if (id.includes('/') || id === '.' || id === '..') throw new Error(`invalid ddmap entry name ${JSON.stringify(id)}`);
    return this.root.path(`${IET_DDMAP_DIR}/${id}`);
  }

  async unavailable(): Promise<string | null> {
    if (!(await isFile(this.root.path(IET_VOLUME)))) return `${IET_VOLUME} is missing (IET iscsi_trgt module not loaded)`;
    if (!(await isDir(this.root.path(IET_DDMAP_DIR)))) return `${IET_DDMAP_DIR} is missing (IET built without the ddmap patch)`;
    return null;
  }

  async listLuns(vg: string): Promise<MapLun[]> {
    let text: string;
    try {
      text = await readTextAsync(this.root.path(IET_VOLUME));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BackendUnavailableError(`${IET_VOLUME} is missing (IET iscsi_trgt module not loaded)`);
      throw e;
    }
    const out: MapLun[] = [];
    for (const t of parseIetVolume(text)) {
      for (const v of t.luns) {
        const name = await this.lvOf(v.path);
        if (!name || name.vg !== vg) continue;
        const lun: MapLun = { id: `${t.name}.${v.lun}`, target: t.name, lun: v.lun, vg: name.vg, lv: name.lv, device: v.path };
        if (v.sizeBytes !== undefined) lun.sizeBytes = v.sizeBytes;
        out.push(lun);
      }
    }
    return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : a.lun - b.lun));
  }

  async hasMap(lun: MapLun): Promise<boolean> {
    return isFile(this.entryPath(lun.id));
  }

  /** A consistent image of the LUN's map (see captureProcEntry). */
  async capture(lun: MapLun, timeoutMs: number): Promise<Capture> {
    return captureProcEntry(this.entryPath(lun.id), { id: lun.id, target: lun.target, timeoutMs, io: this.io, intentDir: this.root.path(SUSPEND_INTENT_DIR) });
  }

  /**
   * Header of the live map (read without suspending: it does not change while the map exists) and
   * whether the map is as long as the header says. Read-only; bounded by `timeoutMs`.
   */
  async checkMap(lun: MapLun, timeoutMs: number): Promise<string | null> {
    const path = this.entryPath(lun.id);
    let fd: number;
    try {
      fd = await within(openAsync(path, constants.O_RDONLY), timeoutMs, `open ${path}`);
    } catch (e) {
      return `cannot open ${path}: ${msg(e)}`;
    }
    try {
      const head = Buffer.alloc(HEADER_SIZE);
      let header;
      try {
        const bytesRead = await within(readAtAsync(fd, head, HEADER_SIZE, 0), timeoutMs, `read header of ${path}`);
        header = decodeHeader(head.subarray(0, bytesRead));
      } catch (e) {
        return `live map header of ${lun.id} is corrupt: ${msg(e)}`;
      }
      if (lun.sizeBytes !== undefined && header.mapSize !== mapSizeForVolume(lun.sizeBytes)) {
        return `live map of ${lun.id} has ${header.mapSize} words, its ${lun.sizeBytes}-byte volume needs ${mapSizeForVolume(lun.sizeBytes)}`;
      }
      const end = imageBytes(header);
      const bytesRead = await within(readAtAsync(fd, Buffer.alloc(1), 1, end - 1), timeoutMs, `read ${path}`);
      if (bytesRead !== 1) return `live map of ${lun.id} is shorter than the ${end} bytes its header declares (truncated)`;
      return null;
    } catch (e) {
      return `cannot read the live map of ${lun.id}: ${msg(e)}`;
    } finally {
      void closeAsync(fd).catch(() => undefined);
    }
  }

  async resume(id: string, timeoutMs: number): Promise<'resumed' | 'gone'> {
    const path = this.entryPath(id);
    if (!(await isFile(path))) return 'gone';
    const h = await within(this.io.open(path), timeoutMs, `open ${path}`);
    try {
      await within(h.command('mapresume'), Math.max(RESUME_MIN_MS, timeoutMs), `mapresume ${id}`);
    } finally {
      await h.close().catch(() => undefined);
    }
    return 'resumed';
  }

  /** VG/LV of a LUN's backing path: /dev/<vg>/<lv>, /dev/mapper/<vg>-<lv>, or via the dm name in sysfs. */
  private async lvOf(devicePath: string): Promise<LvName | null> {
    const direct = lvFromDevicePath(devicePath);
    if (direct) return direct;
    try {
      const real = await realpathAsync(this.root.path(devicePath));
      const dm = /\/(dm-\d+)$/.exec(real);
      if (!dm) return null;
      const name = (await readTextAsync(this.root.path(`/sys/block/${dm[1]}/dm/name`))).trim();
      return splitDmName(name);
    } catch {
      return null;
    }
  }
}

/**
 * Read the header before suspending (validates the entry and sizes the buffer),
 * then mapsuspend, one read of the whole image, mapresume - the resume runs
 * whatever happened in between. Only the suspended read sits in the window.
 */
/**
 * Capture one proc entry: read the header before suspending (validates the
 * entry and sizes the buffer), then mapsuspend, one read of the whole image,
 * mapresume - the resume runs whatever happened in between. Only the
 * suspended read sits in the window.
 */
export async function captureProcEntry(
  path: string,
  o: { id: string; target?: string; timeoutMs: number; io?: ProcEntryIo; intentDir?: string },
): Promise<Capture> {
  const lun = { id: o.id, target: o.target ?? o.id.replace(/\.\d+$/, '') };
  const io = o.io ?? fsProcEntryIo;
  const timeoutMs = o.timeoutMs;
  const endsAt = performance.now() + timeoutMs;
  const left = (): number => Math.max(1, endsAt - performance.now());
  const h = await within(io.open(path), left(), `open ${path}`).catch((e: unknown) => {
    throw new CaptureError(`cannot open ${path}: ${msg(e)}`, true);
  });
  let abandoned = false;
  try {
    const head = new Uint8Array(HEADER_SIZE);
    let header;
    try {
      const n = await within(h.read(head, HEADER_SIZE), left(), `read header of ${path}`);
      header = decodeHeader(head.subarray(0, n));
    } catch (e) {
      abandoned = e instanceof TimeoutError;
      throw new CaptureError(`cannot read the map header of ${lun.id}: ${msg(e)}`, true);
    }
    const buf = new Uint8Array(imageBytes(header));

    // Recorded before the suspend: a process killed from here on leaves the intent for the next action.
    const intent = o.intentDir ? await recordSuspendIntent(o.intentDir, lun.id) : undefined;
    let failure: unknown = null;
    const t0 = performance.now();
    try {
      await within(h.command('mapsuspend'), left(), 'mapsuspend');
      const got = await within(h.read(buf, buf.length), left(), `read map of ${lun.id}`);
      if (got !== buf.length) failure = new Error(`map read returned ${got} of ${buf.length} bytes`);
    } catch (e) {
      failure = e;
      abandoned = e instanceof TimeoutError;
    }
    try {
      await within(h.command('mapresume'), Math.max(RESUME_MIN_MS, left()), 'mapresume');
    } catch (e) {
      abandoned ||= e instanceof TimeoutError;
      const cause = failure ? ` (after: ${msg(failure)})` : '';
      throw new CaptureError(`mapresume failed on ${lun.id}: ${msg(e)}${cause}; writes to ${lun.target} may be blocked`, false);
    }
    const suspendMs = performance.now() - t0;
    if (intent) await clearSuspendIntent(intent);
    if (failure) throw new CaptureError(`capture of ${lun.id} failed: ${msg(failure)} (map resumed)`, true);

    const warnings: string[] = [];
    try {
      const img = decodeImage(buf);
      if (img.header.mapSize !== header.mapSize || img.header.nameSum !== header.nameSum) {
        throw new DdmapFormatError('header changed between the first read and the suspended read');
      }
    } catch (e) {
      throw new CaptureError(`map of ${lun.id} is not a valid ddmap image: ${msg(e)}`, true);
    }
    const expect = nameSum(lun.id);
    if (header.nameSum !== expect) {
      warnings.push(`name_sum 0x${header.nameSum.toString(16)} differs from the byte sum of "${lun.id}" (0x${expect.toString(16)})`);
    }
    return { image: buf, suspendMs, warnings };
  } finally {
    // A handle with an abandoned (hung) operation is left to the process exit.
    if (!abandoned) await h.close().catch(() => undefined);
  }
}

/** Operations of a handle, for callers that drive commands directly (lioha ddmap merge --live). */
export type { ProcEntryHandle };

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${Math.round(ms)} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function isFile(p: string): Promise<boolean> {
  return (await statAsync(p).catch(() => null))?.isFile() ?? false;
}
async function isDir(p: string): Promise<boolean> {
  return (await statAsync(p).catch(() => null))?.isDirectory() ?? false;
}
