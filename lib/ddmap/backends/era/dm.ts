/**
 * The era layer of one LV as the kernel shows it, and the dmsetup / era_invalidate / lvm
 * commands that change or read it. Device presence, numbers and sizes come from sysfs (file
 * reads, no fork); only the era device's own state (status, table, open count) and every change
 * go through commands, each bounded by the caller's time limit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Exec } from '../../../lvm/lvm.js';
import { buildLvmConfig, type LvmConfigOptions } from '../../../lvm/config.js';
import { dmName } from '../../../lvm/names.js';
import type { Root } from '../../../sys/root.js';
import { ERA_BLOCK_SECTORS, eraDeviceName, eraDeviceUuid, eraMetadataLvName } from './names.js';

/** One block device as sysfs shows it. */
export interface DmNode {
  /** dm-N */
  kernel: string;
  /** major:minor */
  dev: string;
  sectors: bigint;
  uuid: string;
  suspended: boolean;
  holders: string[];
}

/** What exists of vg/lv's era layer on this node. */
export interface EraLayer {
  vg: string;
  lv: string;
  eraName: string;
  metadataLv: string;
  /** The data LV, when active. */
  data?: DmNode;
  /** The era metadata LV, when active. */
  meta?: DmNode;
  /** The era device, when it exists. */
  era?: DmNode;
}

/** dmsetup status of an era target: "<start> <len> era <md block size> <used>/<total> <current era> <held root|->". */
export interface EraStatus {
  usedBlocks: number;
  totalBlocks: number;
  era: number;
  /** Metadata snapshot held (a capture in progress or left by a killed one). */
  snapHeld: boolean;
}

/** dmsetup table of an era target: "<start> <len> era <md M:m> <origin M:m> <block sectors>". */
export interface EraTable {
  sectors: bigint;
  metaDev: string;
  originDev: string;
  blockSectors: number;
}

export class EraCommandError extends Error {
  override name = 'EraCommandError';
}

const SEP = /\s+/;

/** Parse `dmsetup status <era dev>`. Pure; throws on anything but one era line. */
export function parseEraStatus(text: string): EraStatus {
  const line = text.trim();
  const f = line.split(SEP);
  if (f.length < 7 || f[2] !== 'era') throw new EraCommandError(`not an era status line: ${JSON.stringify(line.slice(0, 80))}`);
  const used = /^(\d+)\/(\d+)$/.exec(f[4]!);
  if (!used || !/^\d+$/.test(f[5]!)) throw new EraCommandError(`era status has no metadata usage or era: ${JSON.stringify(line.slice(0, 80))}`);
  return { usedBlocks: Number(used[1]), totalBlocks: Number(used[2]), era: Number(f[5]), snapHeld: f[6] !== '-' };
}

/** Parse `dmsetup table <era dev>`. Pure. */
export function parseEraTable(text: string): EraTable {
  const line = text.trim();
  const f = line.split(SEP);
  if (f.length !== 6 || f[2] !== 'era' || f[0] !== '0' || !/^\d+$/.test(f[1]!)) throw new EraCommandError(`not a one-target era table: ${JSON.stringify(line.slice(0, 80))}`);
  return { sectors: BigInt(f[1]!), metaDev: f[3]!, originDev: f[4]!, blockSectors: Number(f[5]) };
}

/** The table lioha loads: the whole origin, 16 KiB era blocks. */
export const eraTableLine = (sectors: bigint, metaDev: string, originDev: string): string =>
  `0 ${sectors} era ${metaDev} ${originDev} ${ERA_BLOCK_SECTORS}`;

/**
 * Size of a new era metadata LV for an origin of `sectors`: the era array (a u32 per 16 KiB
 * block) twice (a held metadata snapshot keeps the old copy while the digest rewrites it), a few
 * write sets (a bit per block each), and 4 MiB for superblock, space map and btree nodes.
 */
export function metadataBytesFor(sectors: bigint): bigint {
  const blocks = (sectors + BigInt(ERA_BLOCK_SECTORS) - 1n) / BigInt(ERA_BLOCK_SECTORS);
  const arrayBytes = ((blocks + 999n) / 1000n) * 4096n;
  const bitsetBytes = ((blocks + 31_999n) / 32_000n) * 4096n;
  return 2n * arrayBytes + 8n * bitsetBytes + 4n * 1024n * 1024n;
}

/** dm-era counts blocks in 31 bits and its metadata space map tops out near 16 GiB: stay well inside both. */
export const MAX_ORIGIN_SECTORS = (16n << 40n) >> 9n; // 16 TiB

const readTrim = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const list = (p: string): string[] => {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
};

/** Every dm device by name, read from <root>/sys/block/dm-N. */
export function dmNodesByName(root: Root): Map<string, DmNode> {
  const sysBlock = root.path('/sys/block');
  const out = new Map<string, DmNode>();
  for (const kernel of list(sysBlock)) {
    if (!/^dm-\d+$/.test(kernel)) continue;
    const base = `${sysBlock}/${kernel}`;
    const name = readTrim(`${base}/dm/name`);
    if (name === undefined) continue; // removed while we looked
    out.set(name, {
      kernel,
      dev: readTrim(`${base}/dev`) ?? '',
      sectors: BigInt(/^\d+$/.test(readTrim(`${base}/size`) ?? '') ? readTrim(`${base}/size`)! : '0'),
      uuid: readTrim(`${base}/dm/uuid`) ?? '',
      suspended: readTrim(`${base}/dm/suspended`) === '1',
      holders: list(`${base}/holders`),
    });
  }
  return out;
}

export function readEraLayer(root: Root, vg: string, lv: string, nodes = dmNodesByName(root)): EraLayer {
  const eraName = eraDeviceName(vg, lv);
  const metadataLv = eraMetadataLvName(lv);
  const layer: EraLayer = { vg, lv, eraName, metadataLv };
  const data = nodes.get(dmName(vg, lv));
  const meta = nodes.get(dmName(vg, metadataLv));
  const era = nodes.get(eraName);
  if (data) layer.data = data;
  if (meta) layer.meta = meta;
  if (era) layer.era = era;
  return layer;
}

/** LVM's identity of an active LV from its dm uuid (LVM-<vg uuid><lv uuid>): the LV uuid part. */
export function lvUuidOf(node: DmNode): string {
  return node.uuid.startsWith('LVM-') ? node.uuid.slice(4 + 32, 4 + 64) || node.uuid : node.uuid;
}

export interface EraCommandsOptions {
  root: Root;
  exec: Exec;
  /** LVM --config options (the vg agent's DRBD filter and extra devices). */
  lvm?: LvmConfigOptions;
}

/** The commands. Every call takes its own time limit (ms). */
export class EraCommands {
  constructor(private readonly o: EraCommandsOptions) {}

  /** udev is not running: libdevmapper and LVM must make the /dev nodes themselves. */
  private env(): Record<string, string> {
    return existsSync(this.o.root.path('/run/udev/control')) ? {} : { DM_DISABLE_UDEV: '1' };
  }

  private async dmsetup(args: string[], maxMs: number, okCodes = [0]) {
    return this.o.exec('dmsetup', args, { maxMs, okCodes, env: this.env() });
  }

  async status(name: string, maxMs: number): Promise<EraStatus> {
    return parseEraStatus((await this.dmsetup(['status', name], maxMs)).stdout);
  }

  async table(name: string, maxMs: number): Promise<EraTable> {
    return parseEraTable((await this.dmsetup(['table', name], maxMs)).stdout);
  }

  /** Open count of a dm device (how many openers: LIO's backstore, a process, a stacked device). */
  async openCount(name: string, maxMs: number): Promise<number> {
    const out = (await this.dmsetup(['info', '-c', '--noheadings', '-o', 'open', name], maxMs)).stdout.trim();
    if (!/^\d+$/.test(out)) throw new EraCommandError(`dmsetup info gave no open count for ${name}: ${JSON.stringify(out.slice(0, 40))}`);
    return Number(out);
  }

  async message(name: string, msg: 'checkpoint' | 'take_metadata_snap' | 'drop_metadata_snap', maxMs: number): Promise<void> {
    await this.dmsetup(['message', name, '0', msg], maxMs);
  }

  async create(vg: string, lv: string, table: string, maxMs: number): Promise<void> {
    await this.dmsetup(['create', eraDeviceName(vg, lv), '-u', eraDeviceUuid(vg, lv), '--table', table], maxMs);
  }

  /** Hold the device's I/O: in-flight writes drain to the origin first. Nothing may query it until resume. */
  async suspend(name: string, maxMs: number): Promise<void> {
    await this.dmsetup(['suspend', name], maxMs);
  }

  async resume(name: string, maxMs: number): Promise<void> {
    await this.dmsetup(['resume', name], maxMs);
  }

  async remove(name: string, maxMs: number): Promise<void> {
    await this.dmsetup(['remove', name], maxMs);
  }

  /** The blocks written since `era`, read from the held metadata snapshot (or, with `snapshot` false, the idle metadata). */
  async writtenSince(metaPath: string, era: number, snapshot: boolean, maxMs: number): Promise<string> {
    const args = ['--written-since', String(era), ...(snapshot ? ['--metadata-snapshot'] : []), metaPath];
    return (await this.o.exec('era_invalidate', args, { maxMs, env: this.env() })).stdout;
  }

  private lvmConfig(): string {
    return buildLvmConfig({ ...this.o.lvm, noUdev: !existsSync(this.o.root.path('/run/udev/control')) });
  }

  /** Whether vg/name exists in LVM and is active (null: no such LV). */
  async lvState(vg: string, name: string, maxMs: number): Promise<{ active: boolean } | null> {
    const r = await this.o.exec('lvm', ['lvs', '--config', this.lvmConfig(), '--reportformat', 'json', '-o', 'lv_name,lv_active', vg],
      { maxMs, env: this.env() });
    let rows: Array<{ lv_name?: string; lv_active?: string }> = [];
    try {
      rows = (JSON.parse(r.stdout) as { report?: Array<{ lv?: typeof rows }> }).report?.[0]?.lv ?? [];
    } catch {
      throw new EraCommandError(`lvm lvs printed no JSON report for ${vg}`);
    }
    const row = rows.find((x) => x.lv_name === name);
    return row ? { active: row.lv_active === 'active' } : null;
  }

  async activateLv(vg: string, name: string, maxMs: number): Promise<void> {
    await this.o.exec('lvm', ['lvchange', '--config', this.lvmConfig(), '-ay', `${vg}/${name}`], { maxMs, env: this.env() });
  }

  /** A new metadata LV, its first 4 KiB zeroed (dm-era formats a device whose superblock is all zeroes). */
  async createLv(vg: string, name: string, bytes: bigint, maxMs: number): Promise<void> {
    const mib = (bytes + (1n << 20n) - 1n) >> 20n;
    await this.o.exec('lvm', ['lvcreate', '--config', this.lvmConfig(), '-y', '-Zy', '-Wn', '-n', name, '-L', `${mib}m`, vg], { maxMs, env: this.env() });
  }
}
