/**
 * ddmap figures: merging 10 dumps of a 2 TiB LUN (16 MiB maps), and the
 * suspend window of the agent's stop for one such LUN.
 * Usage: npm run bench:ddmap [rounds]   (goals: merge >= 1 GB/s, window < 50 ms)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markWrite } from '../lib/ddmap/bits.js';
import { emptyImage, encodeImage, mapSizeForVolume, type DdmapImage } from '../lib/ddmap/format.js';
import { mergeAll, orInto } from '../lib/ddmap/merge.js';
import { writeFileAtomic } from '../lib/ddmap/atomic.js';
import { mergeIntoFile } from '../lib/ddmap/merge-files.js';
import { DdmapService } from '../lib/ddmap/service.js';
import { Root } from '../lib/sys/root.js';
import { memoryLogger } from '../test/helpers/context.js';
import { buildIetProc, makeVgDir, type FixtureTarget } from '../test/ddmap/iet-fixture.js';
import { median } from './measure.js';

const rounds = Number(process.argv[2] ?? 7);
const LUN = 2n ** 41n; // 2 TiB
const WORDS = mapSizeForVolume(LUN);
const MAP_BYTES = WORDS * 4;
const DUMPS = 10;
const ENTRY = 'iqn.2026-11.bench:big.0';
const dir = mkdtempSync(join(tmpdir(), 'lioha-bench-ddmap-'));
const gbps = (bytes: number, ms: number): string => (bytes / ms / 1e6).toFixed(2);
const line = (k: string, v: string): void => void process.stdout.write(`${k.padEnd(46)} ${v}\n`);

/** A day of writes: 20000 random writes of 4 KiB..1 MiB plus a few long sequential runs. */
function dayOfWrites(seed: number): DdmapImage {
  const img = emptyImage(ENTRY, WORDS);
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < 20000; i++) markWrite(img.words, BigInt(Math.floor(rnd() * Number(LUN - 2n ** 20n))), 4096 + Math.floor(rnd() * 2 ** 20));
  for (let i = 0; i < 5; i++) markWrite(img.words, BigInt(Math.floor(rnd() * 2 ** 40)), 2 ** 30);
  return img;
}

try {
  process.stdout.write(`ddmap benchmark: 2 TiB LUN, map ${WORDS} words (${MAP_BYTES / 2 ** 20} MiB), ${DUMPS} dumps, ${rounds} rounds, node ${process.version}\n`);
  const images = Array.from({ length: DUMPS }, (_, i) => dayOfWrites(i + 1));
  const files: string[] = [];
  for (let i = 0; i < DUMPS; i++) {
    const f = join(dir, `lv_big.2026112${i}-000000.000000000.ddmapdump`);
    await writeFile(f, encodeImage(images[i]!));
    files.push(f);
  }
  const total = DUMPS * MAP_BYTES;

  // 1. OR kernel in memory: the unrolled loop against the plain one.
  const plain = (t: Uint32Array, s: Uint32Array): void => {
    for (let i = 0; i < t.length; i++) t[i]! |= s[i]!;
  };
  const orTimes: number[] = [];
  const plainTimes: number[] = [];
  for (let r = -2; r < rounds; r++) {
    const acc = new Uint32Array(WORDS);
    let t0 = performance.now();
    for (const im of images) orInto(acc, im.words);
    if (r >= 0) orTimes.push(performance.now() - t0);
    const acc2 = new Uint32Array(WORDS);
    t0 = performance.now();
    for (const im of images) plain(acc2, im.words);
    if (r >= 0) plainTimes.push(performance.now() - t0);
  }
  const mOr = median(orTimes);
  const mPlain = median(plainTimes);
  line('OR in memory, unrolled (10 x 16 MiB)', `median ${mOr.toFixed(1)} ms  ${gbps(total, mOr)} GB/s`);
  line('OR in memory, plain loop', `median ${mPlain.toFixed(1)} ms  ${gbps(total, mPlain)} GB/s  (unrolled x${(mPlain / mOr).toFixed(2)} faster)`);

  // 2. mergeAll over decoded images (checks + OR, no I/O).
  const maTimes: number[] = [];
  for (let r = -1; r < rounds; r++) {
    const t0 = performance.now();
    mergeAll(null, images);
    if (r >= 0) maTimes.push(performance.now() - t0);
  }
  line('mergeAll (checks + copy + OR, no I/O)', `median ${median(maTimes).toFixed(1)} ms  ${gbps(total, median(maTimes))} GB/s`);

  // 3. lioha ddmap merge end to end: read 10 files, check, OR, write the target atomically with fsync.
  const e2e: number[] = [];
  for (let r = -1; r < rounds; r++) {
    const out = join(dir, `merged-${r}.ddmap`);
    const t0 = performance.now();
    await mergeIntoFile(out, files.map((f) => ({ label: f, path: f })));
    if (r >= 0) e2e.push(performance.now() - t0);
    rmSync(out);
  }
  const wr: number[] = [];
  const result = encodeImage(images[0]!);
  for (let r = -1; r < rounds; r++) {
    const out = join(dir, `w-${r}.ddmap`);
    const t0 = performance.now();
    await writeFileAtomic(out, result);
    if (r >= 0) wr.push(performance.now() - t0);
    rmSync(out);
  }
  line('  of which: atomic write of the result (fsync)', `median ${median(wr).toFixed(1)} ms`);
  line('merge files end to end (read+OR+fsync write)', `median ${median(e2e).toFixed(1)} ms  ${gbps(total, median(e2e))} GB/s of source maps`);

  // 4. Suspend window of stop for one 2 TiB LUN: mapsuspend -> read 16 MiB -> mapresume.
  const root = join(dir, 'root');
  const target: FixtureTarget = { tid: 1, name: 'iqn.2026-11.bench:big', luns: [{ lun: 0, vg: 'vg_bench', lv: 'lv_big', sizeBytes: LUN }] };
  await buildIetProc(root, [target]);
  await writeFile(join(root, 'proc/net/iet/ddmap', ENTRY), encodeImage(images[0]!));
  await makeVgDir(root, '/mnt/iscsi-target', 'vg_bench');
  const svc = new DdmapService(
    { vg: 'vg_bench', stateDir: '/mnt/iscsi-target', backend: 'iet', targets: [], lvs: [], mapTimeoutMs: 5000, instance: 'bench' },
    { root: new Root(root), log: memoryLogger(), budget: (ms) => ms },
  );
  const windows: number[] = [];
  const stops: number[] = [];
  for (let r = -1; r < rounds; r++) {
    await svc.start();
    const t0 = performance.now();
    const rep = await svc.stop();
    if (r >= 0) {
      stops.push(performance.now() - t0);
      windows.push(rep.saved[0]!.suspendMs);
    }
  }
  line('stop: suspend window, one 2 TiB LUN', `median ${median(windows).toFixed(2)} ms  max ${Math.max(...windows).toFixed(2)} ms  (goal < 50 ms)`);
  line('stop: whole action in-process (incl. fsync dump)', `median ${median(stops).toFixed(1)} ms`);
  line('merge goal (>= 1 GB/s, end to end)', Number(gbps(total, median(e2e))) >= 1 ? 'met' : 'NOT met');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
