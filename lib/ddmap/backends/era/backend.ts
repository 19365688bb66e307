/**
 * The dm-era backend. Per tracked LV the agent owns one era device between the LV and LIO:
 *
 *   LIO backstore udev_path=/dev/mapper/era-<vg>-<lv>  ->  era  ->  /dev/<vg>/<lv>
 *                                                         |
 *                                                         +-> /dev/<vg>/<lv>_eramd (metadata, same VG)
 *
 * attach (start): create the metadata LV when missing, then the era device (dm-era formats new
 * metadata and starts a new era on every load). capture (stop): the blocks written since the
 * LV's mark, from a metadata snapshot; the mark moves past them once the dump is durable.
 * detach (stop): remove the era device, never while it is open (LIO must have let go first).
 */
import { findTool } from '../../../exec/tools.js';
import type { Exec } from '../../../lvm/lvm.js';
import type { LvmConfigOptions } from '../../../lvm/config.js';
import { deviceOpeners, describeOpeners } from '../../../sys/openers.js';
import type { Root } from '../../../sys/root.js';
import { type Attached, type BackendOptions, type Capture, CaptureError, type ChangeMapBackend, type MapLun } from '../../backend.js';
import { encodeImage } from '../../format.js';
import { heldSuspendIntent, SUSPEND_INTENT_DIR } from '../../suspend-intent.js';
import type { DdmapStore } from '../../store.js';
import { activeLayer, changedSince, EraMismatchError, metadataUuid } from './changes.js';
import { EraCommands, type EraLayer, eraTableLine, MAX_ORIGIN_SECTORS, metadataBytesFor, readEraLayer } from './dm.js';
import { advanceEraMark, readEraMark, writeEraMark } from './mark.js';
import { ERA_BLOCK_SECTORS, eraDevicePath, parseEraDeviceName } from './names.js';

/** Metadata usage at which monitor fails: dm-era fails writes when its metadata is full. */
const METADATA_FULL_PERCENT = 95;
/** A holder's bound when its intent names none (older writers), and slack for clocks and scheduling. */
const DEFAULT_HOLD_MS = 60_000;
const HOLD_SLACK_MS = 5_000;

export class EraBackend implements ChangeMapBackend {
  readonly name = 'era' as const;
  readonly ownsDevices = true;
  private readonly root: Root;
  private readonly lvs: readonly string[];
  private readonly store: DdmapStore | undefined;
  private readonly cmds: EraCommands;
  private readonly haveExec: boolean;
  private readonly toolEnv: NodeJS.ProcessEnv;

  constructor(opts: BackendOptions) {
    this.root = opts.root;
    this.lvs = opts.lvs ?? [];
    this.store = opts.store;
    this.haveExec = opts.exec !== undefined;
    this.toolEnv = opts.toolEnv ?? process.env;
    const exec: Exec = opts.exec ?? (() => Promise.reject(new Error('era backend: no command runner given')));
    const lvm: LvmConfigOptions = opts.lvm ?? {};
    this.cmds = new EraCommands({ root: this.root, exec, lvm });
  }

  private layer(lun: Pick<MapLun, 'vg' | 'lv'>): EraLayer {
    return readEraLayer(this.root, lun.vg, lun.lv);
  }

  private needStore(): DdmapStore {
    if (!this.store) throw new Error('era backend: no ddmap store given');
    return this.store;
  }

  async unavailable(): Promise<string | null> {
    if (!this.haveExec) return 'era backend: no command runner';
    const missing = [
      ['dmsetup', 'dmsetup package'],
      ['era_invalidate', 'thin-provisioning-tools package'],
      ['lvm', 'lvm2 package'],
    ].filter(([cmd]) => !findTool(cmd!, this.toolEnv)).map(([cmd, pkg]) => `${cmd} (${pkg})`);
    if (missing.length) return `era backend needs ${missing.join(', ')}: not installed`;
    return null;
  }

  /** The configured LVs of `vg`, whether or not their era device exists yet. */
  async listLuns(vg: string): Promise<MapLun[]> {
    return this.lvs.map((lv) => {
      const l = this.layer({ vg, lv });
      const lun: MapLun = { id: l.eraName, target: '', lun: 0, vg, lv, device: eraDevicePath(vg, lv) };
      if (l.data) lun.sizeBytes = l.data.sectors << 9n;
      return lun;
    });
  }

  async hasMap(lun: MapLun): Promise<boolean> {
    return this.layer(lun).era !== undefined;
  }

  async attach(lun: MapLun, timeoutMs: number): Promise<Attached> {
    let l = this.layer(lun);
    const data = l.data;
    if (!data) throw new Error(`logical volume ${lun.vg}/${lun.lv} is not active (is the volume group started?)`);
    if (data.sectors > MAX_ORIGIN_SECTORS) throw new Error(`${lun.vg}/${lun.lv} is larger than the 16 TiB dm-era supports at 16 KiB blocks`);
    let fresh = false;
    if (l.era) {
      const t = await this.cmds.table(l.eraName, timeoutMs);
      const want = { metaDev: l.meta?.dev, originDev: data.dev };
      const ok = t.metaDev === want.metaDev && t.originDev === want.originDev && t.blockSectors === ERA_BLOCK_SECTORS && t.sectors === data.sectors;
      if (!ok) {
        // Left by an interrupted start or stop for an LV that changed since: rebuild it, unless something uses it.
        const held = await this.holders(lun, timeoutMs);
        if (held) throw new Error(`era device ${l.eraName} does not match ${lun.vg}/${lun.lv} (resized?) and is in use: ${held}`);
        await this.cmds.remove(l.eraName, timeoutMs);
        l = this.layer(lun);
      }
    }
    if (!l.era) {
      if (!l.meta) {
        const st = await this.cmds.lvState(lun.vg, l.metadataLv, timeoutMs);
        if (st) await this.cmds.activateLv(lun.vg, l.metadataLv, timeoutMs);
        else {
          await this.cmds.createLv(lun.vg, l.metadataLv, metadataBytesFor(data.sectors), timeoutMs);
          fresh = true;
        }
        l = this.layer(lun);
        if (!l.meta) throw new Error(`era metadata volume ${lun.vg}/${l.metadataLv} is not active after ${fresh ? 'lvcreate' : 'lvchange -ay'}`);
      }
      await this.cmds.create(lun.vg, lun.lv, eraTableLine(data.sectors, l.meta.dev, data.dev), timeoutMs);
      l = this.layer(lun);
      if (!l.era) throw new Error(`era device ${l.eraName} is missing after dmsetup create`);
    }
    const st = await this.cmds.status(l.eraName, timeoutMs);
    const point = { era: st.era, metadataUuid: metadataUuid(l) };
    const store = this.needStore();
    let mark = null;
    let why: string | null = null;
    try {
      mark = await readEraMark(store, lun.lv);
    } catch (e) {
      why = `era mark unreadable (${(e as Error).message})`;
    }
    if (!why) {
      if (fresh) why = `new era metadata volume ${lun.vg}/${l.metadataLv}`;
      else if (!mark) why = 'no era mark yet (volume never tracked here)';
      else if (mark.metadataUuid !== point.metadataUuid) why = `era metadata volume ${lun.vg}/${l.metadataLv} was recreated`;
      else if (mark.era > point.era) why = `era mark ${mark.era} is ahead of the device's era ${point.era}`;
    }
    if (!why) return { newHistory: null };
    return { newHistory: why, begin: async () => void (await writeEraMark(store, lun.lv, point, 'start')) };
  }

  async capture(lun: MapLun, timeoutMs: number): Promise<Capture> {
    const store = this.needStore();
    const l = this.layer(lun);
    try {
      activeLayer(l);
    } catch (e) {
      throw new CaptureError((e as Error).message, true);
    }
    const mark = await readEraMark(store, lun.lv).catch(() => null);
    let untracked = mark ? null : `no readable era mark for ${lun.vg}/${lun.lv}`;
    if (mark) {
      try {
        const r = await changedSince(this.cmds, this.root, l, mark, timeoutMs);
        return {
          image: encodeImage(r.image),
          suspendMs: 0, // dm-era never holds writes for a capture
          warnings: [],
          saved: async () => void (await advanceEraMark(store, lun.lv, r.next, 'stop')),
        };
      } catch (e) {
        if (!(e instanceof EraMismatchError)) throw new CaptureError((e as Error).message, true);
        untracked = e.message;
      }
    }
    // The history is unknown: no dump; the LUN becomes DIRTY and a new history starts at the next era.
    await this.cmds.message(l.eraName, 'checkpoint', timeoutMs);
    const st = await this.cmds.status(l.eraName, timeoutMs);
    const point = { era: st.era, metadataUuid: metadataUuid(l) };
    return {
      image: new Uint8Array(0),
      suspendMs: 0,
      warnings: [],
      untracked: untracked!,
      saved: async () => void (await writeEraMark(store, lun.lv, point, 'stop')),
    };
  }

  async checkMap(lun: MapLun, timeoutMs: number): Promise<string | null> {
    const l = this.layer(lun);
    if (!l.era) return `era device ${l.eraName} is missing`;
    if (l.era.suspended) return this.suspendedVerdict(l, lun);
    let st;
    try {
      st = await this.cmds.status(l.eraName, timeoutMs);
    } catch (e) {
      return `era device ${l.eraName}: ${(e as Error).message}`;
    }
    if (st.totalBlocks > 0 && (st.usedBlocks * 100) / st.totalBlocks >= METADATA_FULL_PERCENT) {
      return `era metadata of ${lun.vg}/${lun.lv} is ${Math.floor((st.usedBlocks * 100) / st.totalBlocks)}% full (writes fail when full)`;
    }
    if (l.data && l.era.sectors !== l.data.sectors) {
      return `era device ${l.eraName} covers ${l.era.sectors} sectors, ${lun.vg}/${lun.lv} has ${l.data.sectors} (resized: restart ddmap)`;
    }
    return null;
  }

  /**
   * A suspended era device is fine while a running `lioha backup` holds it for its snapshot, within
   * the bound the holder recorded (dm-era answers no status meanwhile, so nothing more is checked).
   * Held past that bound, or suspended by nobody we know of, the LUN's writes are blocked: a failure.
   * A holder that died is resumed before this by the service (leftSuspendIntents).
   */
  private async suspendedVerdict(l: EraLayer, lun: MapLun): Promise<string | null> {
    const blocked = `writes to ${lun.vg}/${lun.lv} blocked`;
    const held = await heldSuspendIntent(this.root.path(SUSPEND_INTENT_DIR), l.eraName);
    if (!held) return `era device ${l.eraName} is suspended (${blocked})`;
    const heldMs = Date.now() - Date.parse(held.at);
    const limitMs = (held.maxMs ?? DEFAULT_HOLD_MS) + HOLD_SLACK_MS;
    if (!(heldMs > limitMs)) return null;
    return `era device ${l.eraName} held suspended by process ${held.pid} for ${Math.round(heldMs / 1000)} s, past its limit (${blocked})`;
  }

  /** Resume an era device a killed holdWrites (lioha backup) left suspended; `id` is its dm name. */
  async resume(id: string, timeoutMs: number): Promise<'resumed' | 'gone'> {
    const names = parseEraDeviceName(id);
    if (!names) return 'gone';
    const l = this.layer(names);
    if (!l.era) return 'gone';
    if (l.era.suspended) await this.cmds.resume(l.eraName, Math.max(timeoutMs, 2000));
    return 'resumed';
  }

  async holders(lun: MapLun, timeoutMs: number): Promise<string | null> {
    const l = this.layer(lun);
    if (!l.era) return null;
    const count = await this.cmds.openCount(l.eraName, timeoutMs);
    if (count === 0) return null;
    const who = await deviceOpeners(this.root, l.era.kernel, [eraDevicePath(lun.vg, lun.lv), `/dev/${l.era.kernel}`]);
    return `era device ${l.eraName} is open (${count}${who.length ? `: ${describeOpeners(who)}` : ''})`;
  }

  async detach(lun: MapLun, timeoutMs: number): Promise<void> {
    const l = this.layer(lun);
    if (!l.era) return;
    try {
      await this.cmds.remove(l.eraName, timeoutMs); // the kernel refuses while the device is open
    } catch (e) {
      const held = await this.holders(lun, timeoutMs).catch(() => null);
      throw held ? new Error(`${held}; stop the target first`) : e;
    }
    if (this.layer(lun).era) throw new Error(`era device ${l.eraName} still exists after dmsetup remove`);
  }
}
