/**
 * `lioha backup`, ddless-style: copy the segments the change maps flag (all of them when the
 * rules of plan.ts say so) from a snapshot of the LV to a destination file or block device,
 * writing only segments whose checksum changed; verify; record; set the ddmap state.
 *
 * Order of one run (the map and the snapshot must agree; see change-source.ts):
 *   1. check every input; nothing is changed before all checks pass
 *   2. take the destination's lock (<checksums>.lock, flock: dies with the process)
 *   3. read the state, the log length, the record and the list of saved dumps
 *   4. the change source brackets the snapshot (era: checkpoint, hold writes, lvcreate -s)
 *   5. decide full or incremental; merge dumps and the live map; write plan and journal
 *   6. copy in durable batches (journal.ts); verify; then commit: record, state, consumed
 *      dumps removed, change source's point made the base
 *   7. remove the snapshot, on success, failure and interruption alike (SIGKILL leaves it,
 *      and the journal: the rerun resumes with it)
 */
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../ddmap/atomic.js';
import { type DdmapImage, encodeImage, FORMAT_VERSION } from '../ddmap/format.js';
import { readImageFile } from '../ddmap/merge-files.js';
import type { DdmapState } from '../ddmap/state.js';
import type { DdmapStore } from '../ddmap/store.js';
import { isLvmName } from '../names.js';
import { describeHolder, withLock, LockBusyError } from '../sys/lock.js';
import type { Root } from '../sys/root.js';
import type { ChangeSource } from './change-source.js';
import { failoverMessage, withRegistration } from './registration.js';
import { liveFence } from './registry.js';
import { ALGORITHM_CRC32_XXH32 } from './checksum.js';
import { ChecksumFile, readChecksumHeader, segmentsOf, type ChecksumHeader } from './checksum-file.js';
import { copySegments } from './copy.js';
import { sizeOf } from './device.js';
import { BackupError } from './errors.js';
import { type CopyCounters, type Journal, JOURNAL_VERSION, planPath, readJournal, removeJournal, writeJournal, zeroCounters } from './journal.js';
import { fullReadReason, mapReason } from './plan.js';
import type { ProgressSink } from './progress.js';
import { readRecord, writeRecord } from './record.js';
import { countPlanned, unionOf, type SegmentSet } from './segments.js';
import type { Snapshot, SnapshotProvider } from './snapshot.js';
import { markBackedUp, markDirty, stateAtStart } from './state-commit.js';
import { Throttle } from './throttle.js';
import { verifySegments, type VerifyResult } from './verify.js';
import { SEGMENT_SIZE } from '../ddmap/format.js';

export type VerifyScope = 'plan' | 'all' | 'none';

export interface BackupOptions {
  vg: string;
  lv: string;
  /** Absolute paths. */
  destination: string;
  checksums: string;
  full: boolean;
  verify: VerifyScope;
  throttleBytesPerSecond?: number;
}

export interface BackupDeps {
  store: DdmapStore;
  snapshots: SnapshotProvider;
  changes: ChangeSource;
  root: Root;
  progress: ProgressSink;
  /** One informational line (stderr). */
  say(line: string): void;
  signal?: AbortSignal;
  now?(): Date;
  newSetId(): string;
  /**
   * Register the run for the vg agent (registry.ts): one backup per volume on this node, found
   * and interrupted by a vg stop (a failover), refused while one is in progress. Set for runs
   * that read an LVM snapshot in the VG.
   */
  register?: boolean;
  /** Drop the destination's cached pages before verifying (dd iflag=nocache), so the check reads the medium. */
  dropCache?(path: string): Promise<void>;
  /** Test seams. */
  chunkSegments?: number;
  afterBatch?(cursor: number): Promise<void> | void;
  beforeVerify?(): Promise<void> | void;
}

export interface BackupReport {
  volume: string;
  mode: 'full' | 'incremental';
  reason: string;
  resumed: boolean;
  volumeBytes: bigint;
  segments: number;
  segmentsPlanned: number;
  counters: CopyCounters;
  verify: VerifyResult | null;
  state: DdmapState;
  keptDirty?: string;
  dumpsConsumed: number;
  seconds: number;
}

export async function runBackup(o: BackupOptions, d: BackupDeps): Promise<BackupReport> {
  await checkInputs(o, d);
  try {
    return await withLock(`${o.checksums}.lock`, 0, () => {
      if (!d.register) return locked(o, d);
      const reg = { vg: o.vg, lv: o.lv, snapshot: d.snapshots.snapshotName, destination: o.destination };
      return withRegistration(d.root, reg, () => locked(o, d));
    });
  } catch (e) {
    if (e instanceof LockBusyError) {
      throw new BackupError('busy', `another backup to ${o.destination} is running${e.holder ? ` (${describeHolder(e.holder, e.host)})` : ''}`);
    }
    // The signal came from the vg agent's stop (its fence is up): say so, with what to do next.
    if (e instanceof BackupError && e.kind === 'interrupted' && d.register && (await liveFence(d.root, o.vg))) {
      throw new BackupError('failover', failoverMessage(o.vg, o.lv));
    }
    throw e;
  }
}

/** Every check that needs no change: names, store, destination, checksum file, journal. */
async function checkInputs(o: BackupOptions, d: BackupDeps): Promise<void> {
  if (!isLvmName(o.vg) || !isLvmName(o.lv)) throw new BackupError('input', `invalid volume ${o.vg}/${o.lv} (LVM names: letters, digits, + _ . -)`);
  for (const [what, p] of [['destination', o.destination], ['checksum file', o.checksums]] as const) {
    if (!p.startsWith('/')) throw new BackupError('input', `${what} path must be absolute: ${p}`);
    if (/[\0\n]/.test(p)) throw new BackupError('input', `${what} path holds a NUL or newline`);
    const dir = await stat(dirname(p)).catch(() => null);
    if (!dir?.isDirectory()) throw new BackupError('input', `${what} directory ${dirname(p)} does not exist`);
  }
  if (o.destination === o.checksums) throw new BackupError('input', 'the checksum file cannot be the destination');
  if (!(await d.store.available())) throw new BackupError('input', `${d.store.vgDir} does not exist (is the VG metadata filesystem mounted on this node?)`);

  const dest = await stat(o.destination).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new BackupError('input', `cannot read ${o.destination}: ${e.message}`);
  });
  if (dest && !dest.isFile() && !dest.isBlockDevice()) throw new BackupError('input', `destination ${o.destination} is neither a regular file nor a block device`);
  if (dest?.isBlockDevice()) {
    const origin = await stat(d.snapshots.originDevice()).catch(() => null);
    if (origin && origin.rdev === dest.rdev) throw new BackupError('input', `destination ${o.destination} is the volume being backed up`);
    const snap = await stat(d.root.path(`/dev/${o.vg}/${d.snapshots.snapshotName}`)).catch(() => null);
    if (snap && snap.rdev === dest.rdev) throw new BackupError('input', `destination ${o.destination} is the backup snapshot`);
  }
  const ck = await stat(o.checksums).catch(() => null);
  if (ck && !ck.isFile()) throw new BackupError('input', `checksum file ${o.checksums} is not a regular file`);
  if (ck) await readChecksumHeader(o.checksums); // throws a clear error for a foreign or torn file
  const j = await readJournal(o.checksums);
  if (j && (j.vg !== o.vg || j.lv !== o.lv || j.destination !== o.destination)) {
    throw new BackupError('input', `${o.checksums}.journal belongs to a backup of ${j.vg}/${j.lv} to ${j.destination}; finish that one or remove the journal`);
  }
}

async function locked(o: BackupOptions, d: BackupDeps): Promise<BackupReport> {
  // A signal while waiting for the locks: stop before a snapshot is taken at all.
  if (d.signal?.aborted) throw new BackupError('interrupted', 'interrupted before the snapshot was taken');
  const t0 = performance.now();
  const now = () => d.now?.() ?? new Date();
  await d.store.ensure();
  let j = await readJournal(o.checksums);
  let snap: Snapshot | null = null;
  let resumed = false;
  let failure: unknown = null;
  const files: Array<FileHandle | ChecksumFile> = [];
  try {
    let forced: Journal['forced'] = null;
    if (j) {
      const s = j.snapshot ? await d.snapshots.find(j.snapshot.name) : null;
      const why = s ? await d.snapshots.invalid(s) : 'gone';
      if (s && why === null) {
        snap = s;
        resumed = true;
        d.say(`resuming the ${j.mode} backup at segment ${j.cursor} (${j.phase}) with snapshot ${s.name}`);
      } else {
        if (s) await d.snapshots.remove(s.name);
        // Its in-flight window may be half written: rewrite it whatever the checksums say.
        forced = j.inflightEnd > j.cursor ? { from: j.cursor, to: j.inflightEnd } : null;
        if (j.forced) forced = forced ? { from: Math.min(forced.from, j.forced.from), to: Math.max(forced.to, j.forced.to) } : j.forced;
        d.say(`the snapshot of the interrupted run is ${why === 'gone' ? 'gone' : 'unusable'}; starting over from a new snapshot`);
        j = null;
      }
    }
    if (!j) {
      const leftover = await d.snapshots.find(d.snapshots.snapshotName);
      if (leftover) {
        d.say(`removing snapshot ${leftover.name} left by an interrupted run`);
        await d.snapshots.remove(leftover.name);
      }
      const fresh = await startRun(o, d, forced, now);
      j = fresh.journal;
      snap = fresh.snapshot;
    }
    const journal = j;
    const volumeBytes = BigInt(journal.volumeBytes);
    const set: SegmentSet = journal.mode === 'incremental' ? (await readImageFile(planPath(o.checksums))).words : null;

    const ckf = await ChecksumFile.openForRun(o.checksums, { algorithm: ALGORITHM_CRC32_XXH32, segmentSize: SEGMENT_SIZE, volumeBytes, setId: journal.setId });
    files.push(ckf);
    const dest = await openDestination(o.destination, volumeBytes, d.root);
    files.push(dest);
    const src = await open(snap!.device, 'r');
    files.push(src);
    const segments = ckf.segments;
    const planned = countPlanned(set, segments);
    const plannedBytes = Math.min(planned * SEGMENT_SIZE, Number(volumeBytes));

    if (journal.phase === 'copy') {
      d.say(`${journal.mode} backup of ${o.vg}/${o.lv} (${journal.reason}): ${planned} of ${segments} segments to read`);
      d.progress.begin({ phase: 'copy', doneBytes: journal.counters.bytesRead, totalBytes: plannedBytes, written: journal.counters.segmentsWritten });
      await copySegments({
        source: src, sourceName: snap!.device, dest, destName: o.destination, checksums: ckf, volumeBytes, set,
        cursor: journal.cursor, forced: journal.forced, counters: journal.counters,
        throttle: o.throttleBytesPerSecond ? new Throttle(o.throttleBytesPerSecond) : undefined,
        signal: d.signal,
        chunkSegments: d.chunkSegments,
        afterBatch: d.afterBatch,
        checkpoint: async (cursor, inflightEnd, c) => {
          journal.cursor = cursor;
          journal.inflightEnd = inflightEnd;
          journal.counters = c;
          await writeJournal(journal);
        },
        onProgress: (c) => d.progress.update({ phase: 'copy', doneBytes: c.bytesRead, totalBytes: plannedBytes, written: c.segmentsWritten }),
      });
      d.progress.done({ phase: 'copy', doneBytes: journal.counters.bytesRead, totalBytes: plannedBytes, written: journal.counters.segmentsWritten });
      journal.phase = 'verify';
      await writeJournal(journal);
    }

    let verify: VerifyResult | null = null;
    if (o.verify !== 'none') {
      await d.beforeVerify?.();
      await d.dropCache?.(o.destination);
      const vset = o.verify === 'all' ? null : set;
      const vBytes = Math.min(countPlanned(vset, segments) * SEGMENT_SIZE, Number(volumeBytes));
      d.progress.begin({ phase: 'verify', doneBytes: 0, totalBytes: vBytes, written: 0 });
      verify = await verifySegments({
        dest, destName: o.destination, checksums: ckf, volumeBytes, set: vset, signal: d.signal, chunkSegments: d.chunkSegments,
        onProgress: (r) => d.progress.update({ phase: 'verify', doneBytes: r.bytesChecked, totalBytes: vBytes, written: r.mismatches }),
      });
      d.progress.done({ phase: 'verify', doneBytes: verify.bytesChecked, totalBytes: vBytes, written: verify.mismatches });
      if (verify.mismatches) {
        const first = verify.firstMismatches.map((s) => `${s * SEGMENT_SIZE}`).join(', ');
        await markDirty(d.store, o.lv, `verify failed: ${verify.mismatches} segments differ from their checksums (first at bytes ${first})`, now());
        await removeJournal(o.checksums);
        throw new BackupError('verify', `verify failed: ${verify.mismatches} of ${verify.segmentsChecked} segments of ${o.destination} differ from their checksums (first at byte ${first.split(',')[0]}); ${o.vg}/${o.lv} marked DIRTY, the next backup reads the whole volume`);
      }
    }

    // Commit: each step idempotent, so a kill in between is finished by the rerun (phase 'verify').
    await writeRecord(d.store, {
      version: 1, vg: o.vg, lv: o.lv, destination: o.destination, checksums: o.checksums, setId: journal.setId,
      volumeBytes: journal.volumeBytes, mode: journal.mode, source: journal.source, finishedAt: now().toISOString(),
      segmentsRead: journal.counters.segmentsDone, segmentsWritten: journal.counters.segmentsWritten,
    });
    const note = `${journal.mode} to ${o.destination}: ${journal.counters.segmentsDone} segments read, ${journal.counters.segmentsWritten} written`;
    const outcome = await markBackedUp(d.store, o.lv, { state: journal.stateAtStart, logBytes: journal.logBytesAtStart }, note, now());
    for (const dump of journal.dumps) await unlink(dump).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    await d.changes.commit(journal.point);
    await removeJournal(o.checksums);
    return {
      volume: `${o.vg}/${o.lv}`, mode: journal.mode, reason: journal.reason, resumed, volumeBytes, segments, segmentsPlanned: planned,
      counters: journal.counters, verify, state: outcome.change.to, keptDirty: outcome.keptDirty, dumpsConsumed: journal.dumps.length,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    for (const f of files.reverse()) await f.close().catch(() => undefined);
    if (snap) {
      try {
        await d.snapshots.remove(snap.name);
      } catch (e) {
        // Do not hide the original failure behind the cleanup's.
        if (!failure) throw e;
        d.say(`also: ${(e as Error).message}`);
      }
    }
  }
}

/** Steps 3-5 of a fresh run: facts, snapshot, plan, journal. */
async function startRun(o: BackupOptions, d: BackupDeps, forced: Journal['forced'], now: () => Date): Promise<{ journal: Journal; snapshot: Snapshot }> {
  const at = await stateAtStart(d.store, o.lv);
  const record = await readRecord(d.store, o.lv);
  const dumps = await d.store.listDumps(o.lv);
  let ck: ChecksumHeader | null = await readChecksumHeader(o.checksums);
  const destSt = await stat(o.destination).catch(() => null);
  // A checksum file describes a destination: without that destination (new, or a shorter file) it describes nothing.
  if (ck && (!destSt || (destSt.isFile() && BigInt(destSt.size) < ck.volumeBytes))) {
    d.say(`${o.destination} is new or shorter than its checksums describe: starting a new checksum file`);
    await unlink(o.checksums);
    ck = null;
  }
  if (d.signal?.aborted) throw new BackupError('interrupted', 'interrupted before the snapshot was taken');
  const { value: snapshot, point } = await d.changes.bracket(() => d.snapshots.create());
  try {
    const volumeBytes = snapshot.sizeBytes;
    if (destSt?.isBlockDevice()) {
      const size = (await sizeOf(o.destination, d.root)).bytes;
      if (size < volumeBytes) throw new BackupError('input', `destination ${o.destination} has ${size} bytes, the volume ${volumeBytes}`);
    }
    const segments = segmentsOf(volumeBytes, SEGMENT_SIZE);
    let reason = fullReadReason({ forceFull: o.full, state: at.state, record, checksums: ck, checksumsPath: o.checksums, volumeBytes });
    let set: Uint32Array | null = null;
    const used: string[] = [];
    if (reason === null) {
      const images: DdmapImage[] = [];
      const bad: string[] = [];
      for (const dump of dumps) {
        try {
          images.push(await readImageFile(dump.path));
          used.push(dump.path);
        } catch {
          bad.push(dump.path);
        }
      }
      const live = await d.changes.changes();
      if (live) images.push(live);
      reason = mapReason(at.state, d.changes.name, live !== null, bad);
      if (reason === null) set = unionOf(segments, images);
    }
    // An earlier run's half-written window is rewritten even where no map flags it now.
    if (set && forced) for (let s = forced.from; s < Math.min(forced.to, segments); s++) set[s >>> 5]! |= 1 << (s & 31);
    const mode = set ? 'incremental' : 'full';
    if (!reason) reason = `${used.length} saved map${used.length === 1 ? '' : 's'}${d.changes.name !== 'none' ? ` and the ${d.changes.name} live map` : ''}`;
    // A full run reads every segment: all dumps present are covered by it.
    if (mode === 'full') used.push(...dumps.map((x) => x.path).filter((p) => !used.includes(p)));
    if (set) await writeFileAtomic(planPath(o.checksums), encodeImage({ header: { version: FORMAT_VERSION, nameSum: 0, mapSize: set.length }, words: set }), { mode: 0o600 });
    const journal: Journal = {
      version: JOURNAL_VERSION, vg: o.vg, lv: o.lv, destination: o.destination, checksums: o.checksums,
      setId: ck?.setId ?? d.newSetId(), volumeBytes: volumeBytes.toString(), snapshot: { name: snapshot.name, device: snapshot.device },
      mode, reason, point, source: d.changes.name, dumps: used, stateAtStart: at.state, logBytesAtStart: at.logBytes,
      phase: 'copy', cursor: 0, inflightEnd: 0, forced, counters: zeroCounters(), startedAt: now().toISOString(),
    };
    await writeJournal(journal);
    return { journal, snapshot };
  } catch (e) {
    await d.snapshots.remove(snapshot.name).catch(() => undefined);
    throw e;
  }
}

/** Open (creating a missing file) and size the destination: a file takes the volume's size exactly. */
async function openDestination(path: string, volumeBytes: bigint, root: Root): Promise<FileHandle> {
  const st = await stat(path).catch(() => null);
  if (!st) {
    const fh = await open(path, 'wx+', 0o600);
    await fh.truncate(Number(volumeBytes));
    return fh;
  }
  const { kind, bytes } = await sizeOf(path, root);
  const fh = await open(path, 'r+');
  if (kind === 'file' && bytes !== volumeBytes) await fh.truncate(Number(volumeBytes));
  if (kind === 'block' && bytes < volumeBytes) {
    await fh.close();
    throw new BackupError('input', `destination ${path} has ${bytes} bytes, the volume ${volumeBytes}`);
  }
  return fh;
}
