/**
 * The copy: read the planned segments of the snapshot, checksum each 16 KiB segment, and
 * write to the destination only the segments whose checksum differs from the one the
 * checksum file holds for them (ddless: an unchanged segment is not rewritten). Reads run a
 * few chunks ahead of the checksumming so the device queue stays busy; progress becomes
 * durable in batches of about a second (see journal.ts for the crash rules).
 */
import type { FileHandle } from 'node:fs/promises';
import { checksumSegments, CHECKSUM_WORDS } from './checksum.js';
import type { ChecksumFile } from './checksum-file.js';
import { BackupError } from './errors.js';
import type { CopyCounters } from './journal.js';
import { nextRun, type SegmentSet } from './segments.js';
import type { Throttle } from './throttle.js';

export interface CopyJob {
  source: FileHandle;
  sourceName: string;
  dest: FileHandle;
  destName: string;
  checksums: ChecksumFile;
  volumeBytes: bigint;
  set: SegmentSet;
  /** First segment not yet done. */
  cursor: number;
  forced: { from: number; to: number } | null;
  counters: CopyCounters;
  throttle?: Throttle;
  signal?: AbortSignal;
  /** Persist progress: called with the batch about to start (cursor, inflightEnd) and at the end (cursor = inflightEnd = segments). */
  checkpoint(cursor: number, inflightEnd: number, counters: CopyCounters): Promise<void>;
  onProgress?(counters: CopyCounters): void;
  /** Segments per read (default 64 = 1 MiB). */
  chunkSegments?: number;
  /** Chunks read ahead (default 4). */
  depth?: number;
  /** Test seam: runs after each batch is synced. */
  afterBatch?(cursor: number): Promise<void> | void;
}

interface Chunk {
  start: number;
  len: number;
  bytes: number;
  buf: Buffer;
  read: Promise<void>;
}

const BATCH_MIN = 256; // 4 MiB
const BATCH_MAX = 16384; // 256 MiB
const BATCH_TARGET_MS = 1000;

export async function copySegments(job: CopyJob): Promise<CopyCounters> {
  const seg = job.checksums.header.segmentSize;
  const segments = job.checksums.segments;
  const chunkSegs = job.chunkSegments ?? 64;
  const depth = job.depth ?? 4;
  const c = job.counters;
  const pool: Buffer[] = Array.from({ length: depth + 1 }, () => Buffer.allocUnsafeSlow(chunkSegs * seg));
  const newCk = new Uint32Array(chunkSegs * CHECKSUM_WORDS);
  const oldCk = new Uint32Array(chunkSegs * CHECKSUM_WORDS);
  const forced = job.forced;
  const isForced = (s: number) => forced !== null && s >= forced.from && s < forced.to;

  let cursor = job.cursor;
  let batchSegs = BATCH_MIN;
  while (cursor < segments) {
    // The batch: planned segments from the cursor up to batchSegs of them (its end is where the next batch starts).
    let inflightEnd = cursor;
    let planned = 0;
    const runs: Array<{ start: number; len: number }> = [];
    for (let r = nextRun(job.set, segments, cursor, chunkSegs); r && planned < batchSegs; r = nextRun(job.set, segments, r.start + r.len, chunkSegs)) {
      runs.push(r);
      planned += r.len;
      inflightEnd = r.start + r.len;
    }
    if (runs.length === 0) break;
    await job.checkpoint(cursor, inflightEnd, c);
    const t0 = performance.now();

    let free = 0;
    const queue: Chunk[] = [];
    let next = 0;
    const issue = () => {
      while (queue.length < depth && next < runs.length) {
        const r = runs[next++]!;
        const bytes = Math.min(r.len * seg, Number(job.volumeBytes - BigInt(r.start) * BigInt(seg)));
        const buf = pool[free++ % pool.length]!;
        const chunk: Chunk = { ...r, bytes, buf, read: Promise.resolve() };
        // Interrupted while throttled: skip the read (the loop below throws before using the chunk).
        chunk.read = (job.throttle ? job.throttle.take(bytes, job.signal) : Promise.resolve())
          .then(() => (job.signal?.aborted ? undefined : readFully(job.source, buf, bytes, BigInt(r.start) * BigInt(seg), job.sourceName)));
        chunk.read.catch(() => undefined); // awaited below; never an unhandled rejection while queued
        queue.push(chunk);
      }
    };
    issue();
    const stopIfAborted = async (at: number) => {
      if (!job.signal?.aborted) return;
      await Promise.allSettled(queue.map((q) => q.read));
      throw new BackupError('interrupted', `interrupted at segment ${at} of ${segments}`);
    };
    while (queue.length) {
      await stopIfAborted(queue[0]!.start);
      const ch = queue.shift()!;
      await ch.read;
      // An abort during the read may have skipped it: this chunk's buffer is not its data.
      await stopIfAborted(ch.start);
      issue();
      checksumSegments(ch.buf, ch.bytes, seg, newCk);
      await job.checksums.readRange(ch.start, ch.len, oldCk);
      // Write the segments whose checksum changed, coalescing neighbours into one write.
      let i = 0;
      while (i < ch.len) {
        if (!differs(i)) {
          i++;
          continue;
        }
        let j = i + 1;
        while (j < ch.len && differs(j)) j++;
        const from = i * seg;
        const to = Math.min(j * seg, ch.bytes);
        await writeFully(job.dest, ch.buf, from, to - from, BigInt(ch.start) * BigInt(seg) + BigInt(from), job.destName);
        c.segmentsWritten += j - i;
        c.bytesWritten += to - from;
        i = j;
      }
      await job.checksums.writeRange(ch.start, ch.len, newCk);
      c.segmentsDone += ch.len;
      c.bytesRead += ch.bytes;
      job.onProgress?.(c);

      function differs(k: number): boolean {
        return isForced(ch.start + k) || newCk[2 * k] !== oldCk[2 * k] || newCk[2 * k + 1] !== oldCk[2 * k + 1];
      }
    }
    await job.dest.datasync();
    await job.checksums.sync();
    cursor = inflightEnd;
    await job.afterBatch?.(cursor);
    // Size the next batch to about a second of work at the rate just seen.
    const ms = performance.now() - t0;
    batchSegs = Math.max(BATCH_MIN, Math.min(BATCH_MAX, Math.round((planned * BATCH_TARGET_MS) / Math.max(ms, 1))));
  }
  await job.checkpoint(segments, segments, c);
  return c;
}

export async function readFully(fh: FileHandle, buf: Buffer, len: number, pos: bigint, name: string): Promise<void> {
  let got = 0;
  while (got < len) {
    let n: number;
    try {
      n = (await fh.read(buf, got, len - got, Number(pos) + got)).bytesRead;
    } catch (e) {
      throw new BackupError('io', `reading ${name} at byte ${Number(pos) + got} failed: ${(e as Error).message}`);
    }
    if (n === 0) throw new BackupError('io', `${name} ended at byte ${Number(pos) + got}, expected ${len - got} more bytes (shrunk while reading?)`);
    got += n;
  }
}

async function writeFully(fh: FileHandle, buf: Buffer, off: number, len: number, pos: bigint, name: string): Promise<void> {
  let put = 0;
  while (put < len) {
    try {
      put += (await fh.write(buf, off + put, len - put, Number(pos) + put)).bytesWritten;
    } catch (e) {
      throw new BackupError('io', `writing ${name} at byte ${Number(pos) + put} failed: ${(e as Error).message}`);
    }
  }
}
