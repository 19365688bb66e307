/**
 * Verify a destination against its checksum file: read the segments back, checksum them,
 * compare. A segment that differs gets the checksum of what the destination really holds
 * written into the checksum file, so the file describes the destination again and the next
 * (full) run rewrites exactly the bad segments.
 */
import type { FileHandle } from 'node:fs/promises';
import { checksumSegments, CHECKSUM_WORDS } from './checksum.js';
import type { ChecksumFile } from './checksum-file.js';
import { readFully } from './copy.js';
import { BackupError } from './errors.js';
import { nextRun, type SegmentSet } from './segments.js';

export interface VerifyResult {
  segmentsChecked: number;
  bytesChecked: number;
  mismatches: number;
  /** The first few differing segments, for the report. */
  firstMismatches: number[];
}

export async function verifySegments(o: {
  dest: FileHandle;
  destName: string;
  checksums: ChecksumFile;
  volumeBytes: bigint;
  set: SegmentSet;
  signal?: AbortSignal;
  onProgress?(r: VerifyResult): void;
  chunkSegments?: number;
}): Promise<VerifyResult> {
  const seg = o.checksums.header.segmentSize;
  const segments = o.checksums.segments;
  const chunk = o.chunkSegments ?? 64;
  const bufs = [Buffer.allocUnsafeSlow(chunk * seg), Buffer.allocUnsafeSlow(chunk * seg)];
  const have = new Uint32Array(chunk * CHECKSUM_WORDS);
  const want = new Uint32Array(chunk * CHECKSUM_WORDS);
  const r: VerifyResult = { segmentsChecked: 0, bytesChecked: 0, mismatches: 0, firstMismatches: [] };
  const bytesOf = (run: { start: number; len: number }) => Math.min(run.len * seg, Number(o.volumeBytes - BigInt(run.start) * BigInt(seg)));

  let run = nextRun(o.set, segments, 0, chunk);
  let k = 0;
  let pending = run ? readFully(o.dest, bufs[0]!, bytesOf(run), BigInt(run.start) * BigInt(seg), o.destName) : null;
  while (run && pending) {
    if (o.signal?.aborted) {
      await pending.catch(() => undefined);
      throw new BackupError('interrupted', 'interrupted while verifying');
    }
    await pending;
    const cur = run;
    const buf = bufs[k % 2]!;
    const bytes = bytesOf(cur);
    run = nextRun(o.set, segments, cur.start + cur.len, chunk);
    k++;
    pending = run ? readFully(o.dest, bufs[k % 2]!, bytesOf(run), BigInt(run.start) * BigInt(seg), o.destName) : null;
    pending?.catch(() => undefined);
    checksumSegments(buf, bytes, seg, have);
    await o.checksums.readRange(cur.start, cur.len, want);
    let bad = false;
    for (let i = 0; i < cur.len; i++) {
      if (have[2 * i] !== want[2 * i] || have[2 * i + 1] !== want[2 * i + 1]) {
        r.mismatches++;
        if (r.firstMismatches.length < 10) r.firstMismatches.push(cur.start + i);
        bad = true;
      }
    }
    if (bad) await o.checksums.writeRange(cur.start, cur.len, have);
    r.segmentsChecked += cur.len;
    r.bytesChecked += bytes;
    o.onProgress?.(r);
  }
  if (r.mismatches) await o.checksums.sync();
  return r;
}
