/**
 * Test doubles for lib/backup: a volume in a file whose writes are tracked in a live map
 * (what dm-era or IET keep), snapshots as file copies, and a change source with the era
 * semantics (the base moves only when a backup commits).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, writeSync, readFileSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeSource } from '../../lib/backup/change-source.js';
import type { Snapshot, SnapshotProvider } from '../../lib/backup/snapshot.js';
import { markWrite } from '../../lib/ddmap/bits.js';
import { type DdmapImage, emptyImage } from '../../lib/ddmap/format.js';

export const SEG = 16384;

/** A volume (a file) and the live change map of its writes. */
export class TrackedVolume {
  live: Uint32Array;
  constructor(readonly path: string, bytes: number, fill: 'random' | 'zero' = 'random') {
    const fd = openSync(path, 'w');
    if (fill === 'random') for (let off = 0; off < bytes; off += 1 << 20) writeSync(fd, randomBytes(Math.min(1 << 20, bytes - off)), 0, Math.min(1 << 20, bytes - off), off);
    closeSync(fd);
    truncateSync(path, bytes);
    this.live = new Uint32Array(Math.ceil(bytes / SEG / 32));
  }

  get bytes(): number {
    return statSync(this.path).size;
  }

  write(offset: number, data: Uint8Array): void {
    const fd = openSync(this.path, 'r+');
    writeSync(fd, data, 0, data.length, offset);
    closeSync(fd);
    markWrite(this.live, offset, data.length);
  }

  /** Random data into `n` distinct random segments; returns them sorted. */
  writeRandomSegments(n: number): number[] {
    const total = Math.floor(this.bytes / SEG);
    const picked = new Set<number>();
    while (picked.size < n) picked.add(Math.floor(Math.random() * total));
    for (const s of picked) this.write(s * SEG, randomBytes(SEG));
    return [...picked].sort((a, b) => a - b);
  }

  resize(bytes: number): void {
    truncateSync(this.path, bytes);
    const grown = new Uint32Array(Math.ceil(bytes / SEG / 32));
    grown.set(this.live.subarray(0, Math.min(grown.length, this.live.length)));
    this.live = grown;
  }

  read(): Buffer {
    return readFileSync(this.path);
  }
}

/** Snapshots as file copies next to the volume. */
export class FileSnapshots implements SnapshotProvider {
  readonly snapshotName = 'lv-bksnap';
  readonly origin = 'vg/lv';
  created = 0;
  removed = 0;
  constructor(readonly volume: TrackedVolume, readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  originDevice(): string {
    return this.volume.path;
  }
  async originBytes(): Promise<bigint> {
    return BigInt(this.volume.bytes);
  }
  private path(name: string): string {
    return join(this.dir, name);
  }
  async create(): Promise<Snapshot> {
    copyFileSync(this.volume.path, this.path(this.snapshotName));
    this.created++;
    return (await this.find(this.snapshotName))!;
  }
  async find(name: string): Promise<Snapshot | null> {
    const p = this.path(name);
    return existsSync(p) ? { name, device: p, sizeBytes: BigInt(statSync(p).size) } : null;
  }
  async invalid(): Promise<string | null> {
    return null;
  }
  async remove(name: string): Promise<void> {
    if (existsSync(this.path(name))) {
      unlinkSync(this.path(name));
      this.removed++;
    }
  }
  exists(): boolean {
    return existsSync(this.path(this.snapshotName));
  }
}

/**
 * The era semantics in memory: bracket() starts a new generation (the live map's bits so far
 * belong to the generations before it); changes() answers everything since the committed
 * base; commit() moves the base.
 */
export class FakeEraSource implements ChangeSource {
  readonly name = 'fake-era';
  private gens: Uint32Array[] = [];
  private base = 0;
  constructor(private readonly volume: TrackedVolume) {}

  async bracket<T>(take: () => Promise<T>): Promise<{ value: T; point: string | null }> {
    this.gens.push(this.volume.live.slice());
    this.volume.live.fill(0);
    const point = this.gens.length; // writes from now on are in generations >= point
    return { value: await take(), point: JSON.stringify(point) };
  }

  async changes(): Promise<DdmapImage | null> {
    const img = emptyImage('fake', this.volume.live.length);
    for (const g of [...this.gens.slice(this.base), this.volume.live]) for (let i = 0; i < Math.min(g.length, img.words.length); i++) img.words[i]! |= g[i]!;
    return img;
  }

  async commit(point: string | null): Promise<void> {
    if (point !== null) this.base = Math.max(this.base, JSON.parse(point) as number);
  }
}
