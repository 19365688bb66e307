/**
 * The on-disk ddmap store of one volume group, laid out as ietd_ddmap.sh does:
 *
 *   <state_dir>/<vg>/ddmap/<lv>.<YYYYMMDD-HHMMSS.nnnnnnnnn>.ddmapdump   one per save
 *   <state_dir>/<vg>/ddmap/<lv>.state                                  DDMAP_<STATE>
 *   <state_dir>/<vg>/ddmap/<lv>.log                                    one line per state change
 *
 * <state_dir>/<vg> is the VG's metadata filesystem; it must exist (a missing
 * one means that filesystem is not mounted, and writing there would hide the
 * maps from the other node).
 */
import { promises as fsp } from 'node:fs';
import { readdirAsync, readTextAsync, statAsync } from '../sys/fs-callback.js';
import { join } from 'node:path';
import { isTempName, writeFileAtomic, type AtomicWriteOptions } from './atomic.js';
import { type DdmapState, type StateEvent, parseState, stateToText } from './state.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

export const DUMP_SUFFIX = '.ddmapdump';
const DUMP_RE = /^(.+)\.(\d{8}-\d{6}\.\d{9})\.ddmapdump$/;
const LV_RE = /^[A-Za-z0-9+_.-]+$/;

export class StoreError extends Error {
  override name = 'StoreError';
}

export interface DumpInfo {
  lv: string;
  timestamp: string;
  /** Parsed timestamp (ms precision), null if the name's date is impossible. */
  date: Date | null;
  path: string;
}

export interface StateChange {
  lv: string;
  from: DdmapState;
  to: DdmapState;
  event: StateEvent;
}

/** Parse a dump file name; null for anything else (states, logs, temp files). */
export function parseDumpName(name: string): { lv: string; timestamp: string } | null {
  if (isTempName(name)) return null;
  const m = DUMP_RE.exec(name);
  return m ? { lv: m[1]!, timestamp: m[2]! } : null;
}

export function dumpName(lv: string, timestamp: string): string {
  return `${lv}.${timestamp}${DUMP_SUFFIX}`;
}

export function assertLvName(lv: string): void {
  if (!LV_RE.test(lv) || lv === '.' || lv === '..') throw new StoreError(`invalid logical volume name ${JSON.stringify(lv)}`);
}

export class DdmapStore {
  /** <state_dir>/<vg>/ddmap */
  readonly dir: string;
  /** <state_dir>/<vg>: the VG metadata mount point. */
  readonly vgDir: string;

  constructor(stateDir: string, readonly vg: string) {
    assertLvName(vg);
    this.vgDir = join(stateDir, vg);
    this.dir = join(this.vgDir, 'ddmap');
  }

  statePath(lv: string): string {
    assertLvName(lv);
    return join(this.dir, `${lv}.state`);
  }

  logPath(lv: string): string {
    assertLvName(lv);
    return join(this.dir, `${lv}.log`);
  }

  /** Make sure the store can be written: the VG directory exists; create ddmap/ under it. */
  async ensure(): Promise<void> {
    const st = await statAsync(this.vgDir).catch(() => null);
    if (!st?.isDirectory()) throw new StoreError(`${this.vgDir} does not exist (is the VG metadata filesystem mounted?)`);
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o755 });
  }

  /** Whether the VG directory exists (without creating anything). */
  async available(): Promise<boolean> {
    return (await statAsync(this.vgDir).catch(() => null))?.isDirectory() ?? false;
  }

  /** Current state; UNKNOWN when no state file exists. An unreadable state is an error, never a guess. */
  async readState(lv: string): Promise<DdmapState> {
    let text: string;
    try {
      text = await readTextAsync(this.statePath(lv));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'UNKNOWN';
      throw new StoreError(`cannot read ${this.statePath(lv)}: ${(e as Error).message}`);
    }
    const s = parseState(text);
    if (!s) throw new StoreError(`${this.statePath(lv)} holds ${JSON.stringify(text.trim().slice(0, 40))}, not a ddmap state`);
    return s;
  }

  /**
   * Set the state (atomically) and append the change to <lv>.log, also when the
   * state does not change: the log is the history of every start and stop.
   */
  async setState(lv: string, to: DdmapState, event: StateEvent, note = '', now = new Date()): Promise<StateChange> {
    const from = await this.readState(lv).catch(() => 'UNKNOWN' as const);
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o755 });
    if (from !== to || !(await exists(this.statePath(lv)))) {
      await writeFileAtomic(this.statePath(lv), `${stateToText(to)}\n`);
    }
    const line = `${now.toISOString()} ${event} ${stateToText(from)} -> ${stateToText(to)}${note ? ` ${note.replace(/\s+/g, ' ')}` : ''}\n`;
    await appendDurably(this.logPath(lv), line);
    return { lv, from, to, event };
  }

  /** Write one dump atomically under a fresh timestamped name; returns its path. */
  async writeDump(lv: string, image: Uint8Array, now = new Date(), opts: AtomicWriteOptions = {}): Promise<string> {
    assertLvName(lv);
    let path = join(this.dir, dumpName(lv, formatTimestamp(now)));
    for (let bump = 1; await exists(path); bump++) path = join(this.dir, dumpName(lv, formatTimestamp(now, bump * 1000)));
    await writeFileAtomic(path, image, opts);
    return path;
  }

  /** Dumps, oldest first (names sort by time), optionally of one LV. Temp files and strangers are skipped. */
  async listDumps(lv?: string): Promise<DumpInfo[]> {
    const out: DumpInfo[] = [];
    for (const name of await this.names()) {
      const d = parseDumpName(name);
      if (!d || (lv !== undefined && d.lv !== lv)) continue;
      out.push({ lv: d.lv, timestamp: d.timestamp, date: parseTimestamp(d.timestamp), path: join(this.dir, name) });
    }
    return out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  }

  /** Every LV the store knows of (has a state, a log or a dump). */
  async listLvs(): Promise<string[]> {
    const lvs = new Set<string>();
    for (const name of await this.names()) {
      if (isTempName(name)) continue;
      const d = parseDumpName(name);
      if (d) lvs.add(d.lv);
      else if (name.endsWith('.state')) lvs.add(name.slice(0, -'.state'.length));
      else if (name.endsWith('.log')) lvs.add(name.slice(0, -'.log'.length));
    }
    return [...lvs].filter((lv) => LV_RE.test(lv)).sort();
  }

  /** Remove temp files a crashed writer left for `lv` (Pacemaker never runs two actions of one resource at once). */
  async removeStaleTemps(lv: string): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await this.names()) {
      if (isTempName(name) && name.startsWith(`.${lv}.`)) {
        await fsp.unlink(join(this.dir, name)).catch(() => undefined);
        removed.push(name);
      }
    }
    return removed;
  }

  private async names(): Promise<string[]> {
    try {
      return await readdirAsync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return statAsync(path).then(
    () => true,
    () => false,
  );
}

async function appendDurably(path: string, line: string): Promise<void> {
  const fh = await fsp.open(path, 'a', 0o644);
  try {
    await fh.appendFile(line);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

