/**
 * LVM snapshots for backups: `lvcreate --snapshot` of the origin LV, read-only, tagged
 * lioha-backup and named <lv>-bksnap, so a snapshot a killed run left is found and reused
 * (resume) or removed, and nothing else is ever removed: remove() checks name, tag and
 * origin first, as the seed's lvm_snap_remove made sure it removed a snapshot and not the
 * origin. Every lvm call carries the vg agent's DRBD-only device filter and a time limit.
 */
import { buildLvmConfig, type LvmConfigOptions } from '../lvm/config.js';
import type { Exec } from '../lvm/lvm.js';
import { isLvmName } from '../names.js';
import type { Root } from '../sys/root.js';
import { BackupError } from './errors.js';
import type { Snapshot, SnapshotProvider } from './snapshot.js';

export const SNAPSHOT_TAG = 'lioha-backup';
export const SNAPSHOT_SUFFIX = '-bksnap';

export interface LvmSnapshotOptions {
  vg: string;
  lv: string;
  root: Root;
  exec: Exec;
  config: LvmConfigOptions;
  /** lvcreate size: "-L 10G" style ("10G") or extents ("20%ORIGIN"); default 20%ORIGIN below 100 GB, 15% above (the seed's lvm_snap_create). */
  size?: string;
  maxMs: number;
}

interface LvReport {
  name: string;
  attr: string;
  /** What the LV's device holds: lv_size, or for a snapshot origin_size (its lv_size is the copy-on-write space). */
  sizeBytes: bigint;
  origin: string;
  tags: string[];
}

export function snapshotNameFor(lv: string): string {
  const name = `${lv}${SNAPSHOT_SUFFIX}`;
  if (!isLvmName(name)) throw new BackupError('input', `logical volume name ${lv} is too long for a snapshot name (${name})`);
  return name;
}

/** Checked before any command runs: LVM's own size syntax, nothing that could become another option. */
export function parseSnapshotSize(size: string): string[] {
  if (/^\d+(\.\d+)?[bBsSkKmMgGtTpPeE]?$/.test(size)) return ['--size', size];
  if (/^\d{1,3}%(ORIGIN|VG|FREE)$/.test(size)) return ['--extents', size];
  throw new BackupError('input', `--snapshot-size wants an LVM size (10G, 512M) or extents (20%ORIGIN), got ${JSON.stringify(size)}`);
}

export class LvmSnapshots implements SnapshotProvider {
  readonly snapshotName: string;
  readonly origin: string;

  constructor(private readonly o: LvmSnapshotOptions) {
    if (!isLvmName(o.vg) || !isLvmName(o.lv)) throw new BackupError('input', `invalid volume ${o.vg}/${o.lv} (LVM names: letters, digits, + _ . -)`);
    this.snapshotName = snapshotNameFor(o.lv);
    this.origin = `${o.vg}/${o.lv}`;
    if (o.size !== undefined) parseSnapshotSize(o.size);
  }

  originDevice(): string {
    return this.o.root.path(`/dev/${this.o.vg}/${this.o.lv}`);
  }

  async originBytes(): Promise<bigint> {
    const r = await this.lv(this.o.lv);
    if (!r) throw new BackupError('input', `logical volume ${this.origin} not found (is the VG active on this node?)`);
    if (r.origin) throw new BackupError('input', `${this.origin} is itself a snapshot (of ${r.origin}); back up the origin`);
    return r.sizeBytes;
  }

  async create(): Promise<Snapshot> {
    const originBytes = await this.originBytes();
    const size = this.o.size ?? (originBytes < 100n * 10n ** 9n ? '20%ORIGIN' : '15%ORIGIN');
    try {
      await this.lvm(['lvcreate', '--config', this.cfg(), '--snapshot', '--name', this.snapshotName, '--addtag', SNAPSHOT_TAG, '--permission', 'r', ...parseSnapshotSize(size), this.origin]);
    } catch (e) {
      throw new BackupError('snapshot', `cannot create snapshot ${this.o.vg}/${this.snapshotName}: ${(e as Error).message}`);
    }
    const s = await this.find(this.snapshotName);
    if (!s) throw new BackupError('snapshot', `lvcreate succeeded but ${this.o.vg}/${this.snapshotName} is not listed`);
    return s;
  }

  async find(name: string): Promise<Snapshot | null> {
    const r = await this.lv(name);
    if (!r) return null;
    this.assertOurs(r);
    return { name, device: this.o.root.path(`/dev/${this.o.vg}/${name}`), sizeBytes: r.sizeBytes };
  }

  async invalid(s: Snapshot): Promise<string | null> {
    const r = await this.lv(s.name);
    if (!r) return `snapshot ${this.o.vg}/${s.name} is gone`;
    // lv_attr[4] (state): 'I' invalid snapshot (COW space exhausted), 'S' invalid suspended.
    if (r.attr[4] === 'I' || r.attr[4] === 'S') return `snapshot ${this.o.vg}/${s.name} became invalid (its copy-on-write space ran out; use a larger --snapshot-size)`;
    return null;
  }

  async remove(name: string): Promise<void> {
    const r = await this.lv(name);
    if (!r) return;
    this.assertOurs(r);
    try {
      await this.lvm(['lvremove', '--config', this.cfg(), '--force', `${this.o.vg}/${name}`]);
    } catch (e) {
      throw new BackupError('snapshot', `cannot remove snapshot ${this.o.vg}/${name}: ${(e as Error).message}; remove it with lvremove`);
    }
  }

  private assertOurs(r: LvReport): void {
    if (r.origin !== this.o.lv || !r.tags.includes(SNAPSHOT_TAG)) {
      throw new BackupError('snapshot', `${this.o.vg}/${r.name} exists but is not a lioha backup snapshot of ${this.origin} (origin "${r.origin}", tags "${r.tags.join(',')}"); rename or remove it`);
    }
  }

  private cfg(): string {
    return buildLvmConfig(this.o.config);
  }

  private lvm(args: string[], okCodes = [0]) {
    return this.o.exec('lvm', args, { maxMs: this.o.maxMs, okCodes, env: this.o.config.noUdev ? { DM_DISABLE_UDEV: '1' } : {} });
  }

  private async lv(name: string): Promise<LvReport | null> {
    const r = await this.lvm(['lvs', '--config', this.cfg(), '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'lv_name,lv_attr,lv_size,origin,origin_size,lv_tags', `${this.o.vg}/${name}`], [0, 5]);
    if (r.exitCode !== 0) {
      if (/not found|Failed to find logical volume/i.test(r.stderr) || r.stdout.trim() === '') return null;
    }
    return parseLvsSnapshotJson(r.stdout, name);
  }
}

/**
 * The one row named `name` of `lvs --reportformat json -o lv_name,lv_attr,lv_size,origin,origin_size,lv_tags`;
 * null when absent. A snapshot's lv_size is its copy-on-write space, not what its device holds: the size
 * of a snapshot is its origin_size (the lab found a backup that copied only the first 8 of 16 MiB). Pure.
 */
export function parseLvsSnapshotJson(text: string, name: string): LvReport | null {
  let doc: { report?: Array<{ lv?: Array<Record<string, string>> }> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new BackupError('snapshot', `lvs printed no JSON report (${(e as Error).message})`);
  }
  const row = (doc.report ?? []).flatMap((s) => s.lv ?? []).find((l) => l.lv_name === name);
  if (!row) return null;
  const origin = (row.origin ?? '').trim();
  const field = origin ? 'origin_size' : 'lv_size';
  const size = (row[field] ?? '').trim();
  if (!/^\d+$/.test(size)) throw new BackupError('snapshot', `lvs reported ${field} ${JSON.stringify(size)} for ${name}`);
  return {
    name,
    attr: row.lv_attr ?? '',
    sizeBytes: BigInt(size),
    origin,
    tags: (row.lv_tags ?? '').split(',').map((t) => t.trim()).filter(Boolean),
  };
}
