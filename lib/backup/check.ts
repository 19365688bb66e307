/**
 * `lioha backup check`: the integrity check of a destination (ddless -c into a temporary
 * file and compare, iet_luncopy -i): read every segment, compare with the checksum file.
 * A mismatch marks the volume DIRTY (the seed: a failed integrity check sets DIRTY) and the
 * checksum file is corrected to what the destination holds, so the next full run repairs it.
 */
import { open } from 'node:fs/promises';
import type { DdmapStore } from '../ddmap/store.js';
import type { Root } from '../sys/root.js';
import { ChecksumFile } from './checksum-file.js';
import { sizeOf } from './device.js';
import { BackupError } from './errors.js';
import type { ProgressSink } from './progress.js';
import { markDirty } from './state-commit.js';
import { verifySegments, type VerifyResult } from './verify.js';

export async function checkDestination(o: {
  destination: string;
  checksums: string;
  root: Root;
  store: { store: DdmapStore; lv: string } | null;
  progress: ProgressSink;
  signal?: AbortSignal;
}): Promise<VerifyResult> {
  if (o.store && !(await o.store.store.available())) throw new BackupError('input', `${o.store.store.vgDir} does not exist (is the VG metadata filesystem mounted?)`);
  const ck = await ChecksumFile.openExisting(o.checksums, true);
  try {
    const { bytes } = await sizeOf(o.destination, o.root);
    const volumeBytes = ck.header.volumeBytes;
    if (bytes < volumeBytes) throw new BackupError('input', `${o.destination} has ${bytes} bytes, its checksums describe ${volumeBytes}`);
    const dest = await open(o.destination, 'r');
    let r: VerifyResult;
    o.progress.begin({ phase: 'verify', doneBytes: 0, totalBytes: Number(volumeBytes), written: 0 });
    try {
      r = await verifySegments({
        dest, destName: o.destination, checksums: ck, volumeBytes, set: null, signal: o.signal,
        onProgress: (v) => o.progress.update({ phase: 'verify', doneBytes: v.bytesChecked, totalBytes: Number(volumeBytes), written: v.mismatches }),
      });
    } finally {
      await dest.close();
    }
    o.progress.done({ phase: 'verify', doneBytes: r.bytesChecked, totalBytes: Number(volumeBytes), written: r.mismatches });
    if (r.mismatches) {
      const first = r.firstMismatches[0]! * ck.header.segmentSize;
      let marked = '';
      if (o.store) {
        await markDirty(o.store.store, o.store.lv, `check of ${o.destination} failed: ${r.mismatches} segments differ (first at byte ${first})`);
        marked = `; ${o.store.store.vg}/${o.store.lv} marked DIRTY, the next backup reads the whole volume`;
      }
      throw new BackupError('verify', `check failed: ${r.mismatches} of ${r.segmentsChecked} segments of ${o.destination} differ from their checksums (first at byte ${first})${marked}`);
    }
    return r;
  } finally {
    await ck.close();
  }
}
