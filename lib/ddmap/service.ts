/**
 * What the ddmap agent does, independent of the OCF plumbing: start applies the
 * start transitions, stop saves every LUN's map and applies the stop
 * transitions, monitor checks that the maps are being tracked.
 *
 * "Running" is a node-local marker under /run (gone after a reboot, as the
 * maps are), holding the LUNs the agent took charge of. States and dumps live
 * in the store on the VG's filesystem and move with the VG.
 */
import { Failure, failureOf } from '../failure.js';
import { promises as fsp } from 'node:fs'; // node:fs/promises loaded on first write, not by monitors
import { readTextIfPresent } from '../sys/read-if-present.js';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { LvmConfigOptions } from '../lvm/config.js';
import type { Exec } from '../lvm/lvm.js';
import type { Root } from '../sys/root.js';
import { writeFileAtomic } from './atomic.js';
import { type Attached, CaptureError, type ChangeMapBackend, type MapLun } from './backend.js';
import type { BackendName } from './backends/names.js';
import { loadBackend } from './backends/registry.js';
import { type DdmapState, RUNNING_STATES, afterStart, afterStop } from './state.js';
import { DdmapStore, StoreError } from './store.js';
import { clearSuspendIntent, leftSuspendIntents, SUSPEND_INTENT_DIR } from './suspend-intent.js';

export interface DdmapSettings {
  vg: string;
  /** Host path (resolved under the root here). */
  stateDir: string;
  backend: BackendName;
  /** Only these targets / LVs; empty = all of the VG. */
  targets: readonly string[];
  lvs: readonly string[];
  mapTimeoutMs: number;
  instance: string;
  /** LVM --config options for the era backend's lvm commands (DRBD filter, extra devices). */
  lvm?: LvmConfigOptions;
}

export interface ServiceEnv {
  root: Root;
  log: Logger;
  /** Time a step may take (the action deadline's budget). */
  budget(maxMs: number): number;
  /** Injected backend (tests); otherwise loaded by name. */
  backend?: ChangeMapBackend;
  /** Runs external commands (era backend), bounded by the action's deadline. */
  exec?: Exec;
  /** Environment whose PATH / LIOHA_PATH locate the commands. */
  toolEnv?: NodeJS.ProcessEnv;
  now?: () => Date;
}

interface Marker {
  vg: string;
  backend: BackendName;
  startedAt: string;
  luns: Array<{ id: string; lv: string }>;
}

export interface StopReport {
  saved: Array<{ lv: string; id: string; dump: string; suspendMs: number; state: DdmapState }>;
  lost: string[];
  failed: Array<{ lv: string; id: string; reason: string; resumed: boolean }>;
  /** Map devices removed (era). */
  detached: string[];
}

export const markerPath = (root: Root, instance: string): string =>
  root.path(`/run/lioha/ddmap/${instance.replace(/[^A-Za-z0-9_.:-]/g, '_')}.json`);


export class DdmapService {
  private backendP: Promise<ChangeMapBackend> | undefined;
  readonly store: DdmapStore;

  constructor(
    readonly settings: DdmapSettings,
    private readonly env: ServiceEnv,
  ) {
    this.store = new DdmapStore(env.root.path(settings.stateDir), settings.vg);
  }

  private get log(): Logger {
    return this.env.log;
  }

  backend(): Promise<ChangeMapBackend> {
    this.backendP ??= this.env.backend
      ? Promise.resolve(this.env.backend)
      : loadBackend(this.settings.backend, {
          root: this.env.root,
          lvs: this.settings.lvs,
          store: this.store,
          ...(this.env.exec && { exec: this.env.exec }),
          ...(this.env.toolEnv && { toolEnv: this.env.toolEnv }),
          ...(this.settings.lvm && { lvm: this.settings.lvm }),
        });
    return this.backendP;
  }

  /** The selected LUNs of the VG that the backend exports now. */
  async selectedLuns(): Promise<MapLun[]> {
    const { targets, lvs } = this.settings;
    const all = await (await this.backend()).listLuns(this.settings.vg);
    return all.filter((l) => (targets.length === 0 || targets.includes(l.target)) && (lvs.length === 0 || lvs.includes(l.lv)));
  }

  async start(): Promise<void> {
    await this.resumeInterrupted();
    const marker = await this.readMarker();
    if (marker) {
      // Already running: re-applying the start transitions would turn ACTIVE into DIRTY.
      await this.monitor();
      return;
    }
    await this.ensureStore();
    const backend = await this.backend();
    const why = await backend.unavailable();
    if (why) throw new Failure('installed', why);
    const luns = await this.selectedLuns();
    const attached = new Map<string, Attached>();
    if (backend.ownsDevices) {
      // The start transitions come before the devices. A start that fails after creating one leaves it
      // for the stop, which saves it and moves the state it finds: that must be this start's state (a
      // crashed node's ACTIVE already turned DIRTY), never the ACTIVE of a run that was not stopped,
      // which the stop would turn into a CLEAN that forgets the crash.
      for (const l of luns) await this.transition(l, 'start');
      // Independent per LV (a few forks each): side by side, so a VG of many LVs starts about as fast as one.
      await eachLimited(luns, PARALLEL_LUNS, async (l) => {
        try {
          attached.set(l.lv, await backend.attach!(l, this.env.budget(this.settings.mapTimeoutMs)));
        } catch (e) {
          throw failureOf(e, `setting up ${l.id}`) ?? e;
        }
      });
    }
    const noMap: string[] = [];
    for (const l of luns) if (!(await backend.hasMap(l))) noMap.push(l.id);
    if (noMap.length) throw new Failure('generic', `no change map for LUN ${noMap.join(', ')} (${backend.ownsDevices ? 'era device' : 'ddmap entry'} missing)`);
    for (const want of this.settings.lvs) {
      if (!luns.some((l) => l.lv === want)) this.log.warn(`logical volume ${this.settings.vg}/${want} is not exported; nothing to track for it`);
    }
    if (luns.length === 0) this.log.warn(`no exported LUN is backed by volume group ${this.settings.vg}`);
    // Transitions before the marker: a start that fails half way leaves states that are safe
    // (ACTIVE without a marker becomes DIRTY at the next start), never CLEAN over a running map.
    for (const l of luns) {
      const a = attached.get(l.lv);
      if (a?.newHistory) {
        // DIRTY before the new history's mark: a kill in between leaves DIRTY, never a CLEAN that lies.
        await this.store.setState(l.lv, 'DIRTY', 'lost', a.newHistory, this.now());
        this.log.warn(`${l.lv}: ${a.newHistory}; DIRTY (the next backup reads the whole volume)`);
        await a.begin?.();
      }
      if (!backend.ownsDevices) await this.transition(l, 'start');
    }
    await this.writeMarker(luns);
  }

  async stop(): Promise<StopReport> {
    const report: StopReport = { saved: [], lost: [], failed: [], detached: [] };
    await this.resumeInterrupted();
    let marker: Marker | null;
    try {
      marker = await this.readMarker();
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      // Stop must work from the kernel's state alone: save every selected LUN exported now.
      this.log.warn(`${e.message}; saving the maps of the LUNs exported now`);
      marker = { vg: this.settings.vg, backend: this.settings.backend, startedAt: '', luns: [] };
    }
    if (!marker) {
      // Not running here: nothing to save, states untouched. A backend that owns devices converges
      // from the kernel's state: devices without a marker were left by an interrupted start.
      if (this.settings.backend !== 'era') return report;
      const left = await this.devicesPresent();
      if (!left.length) return report;
      this.log.warn(`${left.map((l) => l.id).join(', ')} exist(s) without a run marker (interrupted start?); saving and removing`);
      marker = { vg: this.settings.vg, backend: this.settings.backend, startedAt: '', luns: [] };
    }
    await this.ensureStore();
    const backend = await this.backend();
    const why = await backend.unavailable();
    let current: MapLun[] = [];
    if (why && backend.ownsDevices) {
      // The devices this backend created must go before the VG can: without its tools it cannot remove them.
      throw new Failure('installed', `cannot save or remove the era devices: ${why}`);
    }
    if (why) this.log.warn(`maps cannot be saved: ${why}`);
    else current = await this.selectedLuns();
    if (backend.ownsDevices) {
      // Refuse before changing anything while LIO (or anyone) still holds a map device open.
      const held: string[] = [];
      await eachLimited(current, PARALLEL_LUNS, async (l) => {
        const h = (await backend.hasMap(l)) ? await backend.holders!(l, this.env.budget(this.settings.mapTimeoutMs)) : null;
        if (h) held.push(h);
      });
      held.sort();
      if (held.length) throw new Failure('generic', `${held.join('; ')}; stop the target first`);
    }

    const detachFailed: string[] = [];
    const currentLvs = new Set(current.map((l) => l.lv));
    for (const m of marker.luns) {
      if (!currentLvs.has(m.lv)) {
        await this.markLost(m.lv, `LUN ${m.id} no longer exported; its map is gone`);
        report.lost.push(m.lv);
      }
    }
    // IET captures one LUN at a time (each holds the target's writes); era's are independent and hold nothing.
    await eachLimited(current, backend.ownsDevices ? PARALLEL_LUNS : 1, async (l) => {
      await this.store.removeStaleTemps(l.lv);
      if (!(await backend.hasMap(l))) {
        if (backend.ownsDevices && (await this.readStateOrFail(l.lv)) === 'CLEAN') {
          // A stop killed after saving and removing: the map is saved, nothing was written since.
          this.log.info(`${l.lv}: ${l.id} already saved and removed`);
          return;
        }
        await this.markLost(l.lv, `${backend.ownsDevices ? 'era device' : 'ddmap entry of'} ${l.id} is gone`);
        report.lost.push(l.lv);
        return;
      }
      try {
        const cap = await backend.capture(l, this.env.budget(this.settings.mapTimeoutMs));
        for (const w of cap.warnings) this.log.warn(`${l.id}: ${w}`);
        if (cap.untracked) {
          await this.markLost(l.lv, cap.untracked);
          await cap.saved?.();
          report.lost.push(l.lv);
        } else {
          const dump = await this.store.writeDump(l.lv, cap.image, this.now());
          await cap.saved?.();
          const name = dump.slice(dump.lastIndexOf('/') + 1);
          const from = await this.store.readState(l.lv);
          const change = await this.store.setState(l.lv, afterStop(from), 'stop', `dump=${name} suspend_ms=${cap.suspendMs.toFixed(2)}`, this.now());
          this.log.info(`${l.lv}: map saved, ${change.from} -> ${change.to}`, { target: l.target, lun: l.lun, dump: name, suspendMs: round(cap.suspendMs) });
          report.saved.push({ lv: l.lv, id: l.id, dump, suspendMs: cap.suspendMs, state: change.to });
        }
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const resumed = !(e instanceof CaptureError) || e.resumed;
        this.log.error(`${l.lv}: saving the map failed: ${reason}`, { target: l.target, lun: l.lun, resumed });
        const marked = await this.store.setState(l.lv, 'DIRTY', 'stop-failed', reason, this.now()).then(
          () => true,
          (se: unknown) => {
            this.log.error(`${l.lv}: cannot even mark DIRTY: ${String(se)}`);
            return false;
          },
        );
        // era: a map that could not be saved but is recorded as DIRTY costs one full backup, not the
        // node (a failed stop gets it fenced): the device is still removed and the stop succeeds.
        if (backend.ownsDevices && marked) report.lost.push(l.lv);
        else report.failed.push({ lv: l.lv, id: l.id, reason, resumed });
      }
      if (backend.ownsDevices) {
        try {
          await backend.detach!(l, this.env.budget(this.settings.mapTimeoutMs));
          report.detached.push(l.id);
        } catch (e) {
          detachFailed.push(`${l.id}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    });
    detachFailed.sort();
    report.failed.sort((a, b) => (a.lv < b.lv ? -1 : a.lv > b.lv ? 1 : 0));
    if (detachFailed.length) throw new Failure('generic', `map device not removed: ${detachFailed.join('; ')}`);
    if (report.failed.length) {
      const stuck = report.failed.filter((f) => !f.resumed);
      const what = report.failed.map((f) => `${f.lv}: ${f.reason}`).join('; ');
      throw new Failure(
        'generic',
        stuck.length
          ? `map of ${stuck.map((f) => f.id).join(', ')} may still be suspended (target writes blocked): ${what}`
          : `saving the change map failed (marked DIRTY): ${what}`,
      );
    }
    await fsp.unlink(markerPath(this.env.root, this.settings.instance)).catch(() => undefined);
    return report;
  }

  /** 'running' | 'stopped'; throws Failure on an inconsistency. */
  async monitor(): Promise<'running' | 'stopped'> {
    await this.resumeInterrupted();
    const marker = await this.readMarker();
    if (!marker) {
      if (this.settings.backend !== 'era') return 'stopped';
      const left = await this.devicesPresent();
      if (left.length) {
        throw new Failure('generic', `${left.map((l) => l.id).join(', ')} exist(s) but ddmap is not started here (interrupted start or stop)`);
      }
      return 'stopped';
    }
    if (marker.vg !== this.settings.vg) {
      throw new Failure('generic', `run marker ${markerPath(this.env.root, this.settings.instance)} is for VG ${marker.vg}, not ${this.settings.vg}`);
    }
    if (!(await this.store.available())) throw new Failure('generic', `${this.store.vgDir} is gone (VG metadata filesystem unmounted?)`);
    const backend = await this.backend();
    const why = await backend.unavailable();
    if (why) throw new Failure('generic', `maps are not tracked: ${why}`);
    const luns = await this.selectedLuns();
    let changed = false;
    const known = new Set(marker.luns.map((m) => m.lv));
    for (const l of luns) {
      if (!(await backend.hasMap(l))) throw new Failure('generic', `${backend.ownsDevices ? 'era device' : 'ddmap entry of'} ${l.id} (${l.vg}/${l.lv}) is missing`);
      const bad = await backend.checkMap(l, this.env.budget(this.settings.mapTimeoutMs));
      if (bad) throw new Failure('generic', bad);
      const s = await this.readStateOrFail(l.lv);
      if (RUNNING_STATES.includes(s)) continue;
      if (s === 'UNKNOWN' || !known.has(l.lv)) {
        // A LUN exported after start: new volumes need a full read, then it is tracked like the rest.
        await this.transition(l, 'start');
        changed = true;
        continue;
      }
      throw new Failure('generic', `${l.vg}/${l.lv} is ${s} while its map is tracked (saved by another stop?)`);
    }
    const nowLvs = new Set(luns.map((l) => l.lv));
    for (const m of marker.luns) {
      if (!nowLvs.has(m.lv)) {
        await this.markLost(m.lv, `LUN ${m.id} no longer exported; its map is gone`);
        changed = true;
      }
    }
    if (changed) await this.writeMarker(luns, marker.startedAt);
    return 'running';
  }

  /**
   * Resume every map a killed capture left suspended (its writes blocked), and say so. Costs one
   * readdir when there is none. Fails only when a left-suspended map cannot be resumed.
   */
  private async resumeInterrupted(): Promise<void> {
    const left = await leftSuspendIntents(this.env.root.path(SUSPEND_INTENT_DIR));
    if (!left.length) return;
    const backend = await this.backend();
    const failed: string[] = [];
    for (const { id, file, intent } of left) {
      const by = intent ? ` by process ${intent.pid} at ${intent.at}` : '';
      try {
        const r = await backend.resume(id, this.env.budget(this.settings.mapTimeoutMs));
        await clearSuspendIntent(file);
        if (r === 'resumed') this.log.warn(`${id}: map was left suspended by an interrupted capture${by} (target writes blocked); resumed it`);
        else this.log.warn(`${id}: an interrupted capture${by} left a suspend intent, but the map is gone`);
      } catch (e) {
        failed.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (failed.length) throw new Failure('generic', `map left suspended by an interrupted capture, target writes blocked; resume failed: ${failed.join('; ')}`);
  }

  /** Selected LUNs whose map device exists (backends that own devices). */
  private async devicesPresent(): Promise<MapLun[]> {
    const backend = await this.backend();
    const out: MapLun[] = [];
    for (const l of await this.selectedLuns()) if (await backend.hasMap(l)) out.push(l);
    return out;
  }

  private async transition(l: MapLun, event: 'start'): Promise<void> {
    const from = await this.readStateOrFail(l.lv);
    const change = await this.store.setState(l.lv, afterStart(from), event, l.target ? `target=${l.target} lun=${l.lun}` : `device=${l.device}`, this.now());
    this.log.info(`${l.lv}: ${change.from} -> ${change.to} (${event})`, { target: l.target, lun: l.lun });
  }

  private async markLost(lv: string, why: string): Promise<void> {
    this.log.warn(`${lv}: ${why}; marking DIRTY (next backup reads the whole volume)`);
    await this.store.setState(lv, 'DIRTY', 'lost', why, this.now());
  }

  private async readStateOrFail(lv: string): Promise<DdmapState> {
    try {
      return await this.store.readState(lv);
    } catch (e) {
      throw new Failure('generic', e instanceof Error ? e.message : String(e));
    }
  }

  private async ensureStore(): Promise<void> {
    try {
      await this.store.ensure();
    } catch (e) {
      if (e instanceof StoreError) throw new Failure('generic', e.message);
      throw e;
    }
  }

  private async readMarker(): Promise<Marker | null> {
    const p = markerPath(this.env.root, this.settings.instance);
    const text = await readTextIfPresent(p);
    if (text === null) return null;
    try {
      const m = JSON.parse(text) as Marker;
      if (typeof m.vg !== 'string' || !Array.isArray(m.luns)) throw new Error('missing fields');
      return m;
    } catch (e) {
      throw new Failure('generic', `run marker ${p} is corrupt: ${(e as Error).message}`);
    }
  }

  private async writeMarker(luns: MapLun[], startedAt = this.now().toISOString()): Promise<void> {
    const p = markerPath(this.env.root, this.settings.instance);
    await fsp.mkdir(dirname(p), { recursive: true, mode: 0o755 });
    const m: Marker = { vg: this.settings.vg, backend: this.settings.backend, startedAt, luns: luns.map((l) => ({ id: l.id, lv: l.lv })) };
    await writeFileAtomic(p, `${JSON.stringify(m)}\n`);
  }

  private now(): Date {
    return this.env.now?.() ?? new Date();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** How many LUNs an owning backend sets up or saves at once. */
const PARALLEL_LUNS = 8;

/** Run `f` over `items`, at most `limit` at a time; the first error is thrown after all started ones settle. */
async function eachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await f(item);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.e;
}
