/**
 * lioha backup figures on host files (no LVM: the volume is a file read in place).
 *
 *   1. segment checksum speed: CRC32+XXH32 (ours) against SHA-256, SHA-1, MD5 (node:crypto),
 *      anchor: a 16 KiB memcpy loop over the same buffer.
 *   2. backup time against plain `dd bs=1M conv=fsync` of the whole volume (the anchor,
 *      measured in the same interleaved rounds): a first (full) backup to a new file, a full
 *      re-read of an up-to-date destination (nothing to write), incremental backups with 1 %
 *      and 10 % of the segments changed. Every case starts with the volume's and the
 *      destination's pages dropped (dd iflag=nocache count=0, i.e. posix_fadvise DONTNEED).
 *
 * Usage: npm run bench:backup [MiB=256] [rounds=3]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBackup } from '../lib/backup/backup.js';
import type { ChangeSource } from '../lib/backup/change-source.js';
import { checksumSegments } from '../lib/backup/checksum.js';
import { directSource } from '../lib/backup/direct-source.js';
import { silentProgress } from '../lib/backup/progress.js';
import { markWrite } from '../lib/ddmap/bits.js';
import { emptyImage } from '../lib/ddmap/format.js';
import { DdmapStore } from '../lib/ddmap/store.js';
import { Root } from '../lib/sys/root.js';
import { loadLine, median } from './measure.js';

const MIB = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const BYTES = MIB * 2 ** 20;
const SEG = 16384;
const SEGS = BYTES / SEG;
const dir = mkdtempSync(join(tmpdir(), 'lioha-bench-backup-'));
const out = (s: string) => void process.stdout.write(`${s}\n`);
const stats = (xs: number[]) => `median ${median(xs).toFixed(2)} (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
const dropCache = (p: string) => sh('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);

function checksumFigures(): void {
  const buf = randomBytes(64 * 2 ** 20);
  const n = buf.length / SEG;
  const out32 = new Uint32Array(2 * n);
  const scratch = Buffer.allocUnsafe(SEG);
  const cases: Record<string, () => void> = {
    memcpy: () => { for (let i = 0; i < n; i++) buf.copy(scratch, 0, i * SEG, (i + 1) * SEG); },
    'crc32+xxh32': () => { checksumSegments(buf, buf.length, SEG, out32); },
    sha256: () => { for (let i = 0; i < n; i++) createHash('sha256').update(buf.subarray(i * SEG, (i + 1) * SEG)).digest(); },
    sha1: () => { for (let i = 0; i < n; i++) createHash('sha1').update(buf.subarray(i * SEG, (i + 1) * SEG)).digest(); },
    md5: () => { for (let i = 0; i < n; i++) createHash('md5').update(buf.subarray(i * SEG, (i + 1) * SEG)).digest(); },
  };
  const t: Record<string, number[]> = {};
  for (const k of Object.keys(cases)) { t[k] = []; cases[k]!(); }
  for (let r = 0; r < 5; r++) {
    for (const [k, f] of Object.entries(cases)) {
      const t0 = performance.now();
      f();
      t[k]!.push(performance.now() - t0);
    }
  }
  out(`segment checksums over 64 MiB in 16 KiB segments (5 interleaved rounds; ${loadLine()})`);
  for (const k of Object.keys(cases)) {
    const mbps = t[k]!.map((ms) => buf.length / ms / 1e3);
    const ratio = t[k]!.map((ms, i) => ms / t.memcpy![i]!);
    out(`  ${k.padEnd(12)} ${median(mbps).toFixed(0).padStart(6)} MB/s   time vs memcpy ${stats(ratio)}`);
  }
}

/** A change source for the bench: the segments changed since the last run. */
function benchChanges(words: () => Uint32Array): ChangeSource {
  return {
    name: 'bench',
    bracket: async (take) => ({ value: await take(), point: null }),
    changes: async () => ({ header: { version: 1, nameSum: 0, mapSize: words().length }, words: words() }),
    commit: async () => undefined,
  };
}

async function main(): Promise<void> {
  out(`lioha backup benchmark: ${MIB} MiB volume in a file on ${dir}, ${rounds} rounds, node ${process.version}`);
  checksumFigures();

  const vol = join(dir, 'volume.img');
  const fd = openSync(vol, 'w');
  for (let off = 0; off < BYTES; off += 2 ** 20) writeSync(fd, randomBytes(2 ** 20), 0, 2 ** 20, off);
  closeSync(fd);
  mkdirSync(join(dir, 'state/vg'), { recursive: true });
  const store = new DdmapStore(join(dir, 'state'), 'vg');
  await store.ensure();
  const root = new Root('/');
  let map = new Uint32Array(SEGS / 32);
  let ids = 0;
  const backup = async (dest: string, full = false) => {
    const r = await runBackup(
      { vg: 'vg', lv: 'lv', destination: dest, checksums: `${dest}.checksums`, full, verify: 'plan' },
      { store, snapshots: directSource(vol, root, 'vg/lv'), changes: benchChanges(() => map), root, progress: silentProgress, say: () => undefined, newSetId: () => (++ids).toString(16).padStart(32, '0'), dropCache: async (p) => dropCache(p) },
    );
    map = new Uint32Array(SEGS / 32);
    return r;
  };
  const change = (fraction: number) => {
    const n = Math.round(SEGS * fraction);
    const picked = new Set<number>();
    while (picked.size < n) picked.add(Math.floor(Math.random() * SEGS));
    const f = openSync(vol, 'r+');
    for (const s of picked) {
      writeSync(f, randomBytes(SEG), 0, SEG, s * SEG);
      markWrite(map, s * SEG, SEG);
    }
    closeSync(f);
    return n;
  };
  const dest = join(dir, 'dest.img');
  const ddDest = join(dir, 'dd.img');
  await store.setState('lv', 'ACTIVE', 'start');
  await backup(dest); // the destination every incremental case starts from

  const cases = ['dd (anchor)', 'first backup (new file)', 'full re-read, up to date', 'incremental 1%', 'incremental 10%'] as const;
  const times = new Map<string, number[]>(cases.map((c) => [c, []]));
  const written = new Map<string, number[]>(cases.map((c) => [c, []]));
  const timed = async (name: (typeof cases)[number], f: () => Promise<number>) => {
    for (const p of [vol, dest, ddDest]) try { dropCache(p); } catch { /* not there yet */ }
    const t0 = performance.now();
    const w = await f();
    times.get(name)!.push((performance.now() - t0) / 1000);
    written.get(name)!.push(w);
  };
  for (let r = 0; r < rounds; r++) {
    await timed('dd (anchor)', async () => { sh('dd', [`if=${vol}`, `of=${ddDest}`, 'bs=1M', 'conv=fsync', 'status=none']); return SEGS; });
    await timed('incremental 1%', async () => { change(0.01); return (await backup(dest)).counters.segmentsWritten; });
    await timed('incremental 10%', async () => { change(0.1); return (await backup(dest)).counters.segmentsWritten; });
    await timed('full re-read, up to date', async () => (await backup(dest, true)).counters.segmentsWritten);
    await timed('first backup (new file)', async () => {
      const fresh = join(dir, 'fresh.img');
      rmSync(fresh, { force: true });
      rmSync(`${fresh}.checksums`, { force: true });
      const r2 = await backup(fresh);
      return r2.counters.segmentsWritten;
    });
    // The fresh destination consumed the maps; the next round's incremental cases need dest to be the last one again.
    await backup(dest);
  }
  out(`\nbackup of a ${MIB} MiB volume (${loadLine()}); time ratio to dd of the whole volume, same rounds`);
  const anchor = times.get('dd (anchor)')!;
  for (const c of cases) {
    const ts = times.get(c)!;
    const ratio = ts.map((t, i) => t / anchor[i]!);
    const mbps = ts.map((t) => BYTES / t / 1e6);
    out(`  ${c.padEnd(26)} ${median(ts).toFixed(2).padStart(7)} s  ${median(mbps).toFixed(0).padStart(5)} MB/s of volume   vs dd ${stats(ratio)}   segments written ${median(written.get(c)!)}`);
  }
  const inc = (c: string) => times.get(c)!.map((t, i) => t / times.get('first backup (new file)')![i]!);
  out(`  incremental vs full backup: 1% ${stats(inc('incremental 1%'))}, 10% ${stats(inc('incremental 10%'))}`);
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
