import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBackup, type BackupDeps, type BackupOptions } from '../../lib/backup/backup.js';
import { noLiveChanges } from '../../lib/backup/change-source.js';
import { checkDestination } from '../../lib/backup/check.js';
import { readChecksumHeader } from '../../lib/backup/checksum-file.js';
import { BackupError } from '../../lib/backup/errors.js';
import { readJournal } from '../../lib/backup/journal.js';
import { silentProgress } from '../../lib/backup/progress.js';
import { readRecord } from '../../lib/backup/record.js';
import { emptyImage, encodeImage } from '../../lib/ddmap/format.js';
import { markWrite } from '../../lib/ddmap/bits.js';
import { DdmapStore } from '../../lib/ddmap/store.js';
import { Root } from '../../lib/sys/root.js';
import { FakeEraSource, FileSnapshots, SEG, TrackedVolume } from './fakes.js';

const MiB = 1 << 20;

let dir: string;
let vol: TrackedVolume;
let snaps: FileSnapshots;
let store: DdmapStore;
let era: FakeEraSource;
let opts: BackupOptions;
let said: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lioha-backup-'));
  mkdirSync(join(dir, 'state/vg'), { recursive: true });
  mkdirSync(join(dir, 'dst'));
  vol = new TrackedVolume(join(dir, 'origin.img'), 8 * MiB);
  snaps = new FileSnapshots(vol, join(dir, 'snaps'));
  store = new DdmapStore(join(dir, 'state'), 'vg');
  era = new FakeEraSource(vol);
  opts = { vg: 'vg', lv: 'lv', destination: join(dir, 'dst/lv.img'), checksums: join(dir, 'dst/lv.img.checksums'), full: false, verify: 'plan' };
  said = [];
  await store.ensure();
  await store.setState('lv', 'ACTIVE', 'start');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let ids = 0;
function deps(over: Partial<BackupDeps> = {}): BackupDeps {
  return {
    store, snapshots: snaps, changes: era, root: new Root('/'), progress: silentProgress,
    say: (l) => said.push(l), newSetId: () => (++ids).toString(16).padStart(32, '0'), chunkSegments: 8, ...over,
  };
}

/** The bytes of the snapshot the last run read: the volume as it was when the run started. */
const dest = () => readFileSync(opts.destination);

describe('lioha backup (engine, file-backed volume)', () => {
  it('first run reads everything; an incremental run copies exactly the flagged segments and the destination equals the source', async () => {
    const first = await runBackup(opts, deps());
    expect(first.mode).toBe('full');
    expect(first.counters.segmentsDone).toBe(512);
    expect(first.counters.segmentsWritten).toBe(512);
    expect(dest().equals(vol.read())).toBe(true);
    expect(await store.readState('lv')).toBe('ACTIVE');
    expect(snaps.exists()).toBe(false);

    const changed = vol.writeRandomSegments(26); // ~5 %
    const second = await runBackup(opts, deps());
    expect(second.mode).toBe('incremental');
    expect(second.counters.segmentsDone).toBe(26);
    expect(second.counters.segmentsWritten).toBe(26);
    expect(second.verify?.segmentsChecked).toBe(26);
    expect(dest().equals(vol.read())).toBe(true);
    expect(changed.length).toBe(26);
    expect(snaps.created).toBe(2);
    expect(snaps.removed).toBe(2);
    const record = await readRecord(store, 'lv');
    expect(record).toMatchObject({ destination: opts.destination, mode: 'incremental', volumeBytes: String(8 * MiB) });

    // Nothing written since: nothing to read.
    const third = await runBackup(opts, deps());
    expect(third.mode).toBe('incremental');
    expect(third.counters.segmentsDone).toBe(0);
  });

  it('a flagged segment whose checksum is unchanged is not rewritten', async () => {
    await runBackup(opts, deps());
    // Rewrite segment 7 of the volume with the same bytes (flagged, unchanged) and change segment 9.
    const same = vol.read().subarray(7 * SEG, 8 * SEG);
    vol.write(7 * SEG, Buffer.from(same));
    vol.write(9 * SEG, randomBytes(SEG));
    // Mark the destination's segment 7 so a rewrite would show; the checksum file still says "as the source".
    const fd = openSync(opts.destination, 'r+');
    writeSync(fd, Buffer.from('not rewritten'), 0, 13, 7 * SEG);
    closeSync(fd);
    const r = await runBackup(opts, deps()).catch((e: unknown) => e);
    // verify=plan reads segment 7 back: the mark is caught as a mismatch, proving it was not rewritten.
    expect(r).toBeInstanceOf(BackupError);
    expect((r as BackupError).kind).toBe('verify');
    expect(dest().subarray(7 * SEG, 7 * SEG + 13).toString()).toBe('not rewritten');
    expect(dest().subarray(9 * SEG, 10 * SEG).equals(vol.read().subarray(9 * SEG, 10 * SEG))).toBe(true);
  });

  it('counts skipped writes: same bytes rewritten on the volume cost a read, not a write', async () => {
    await runBackup(opts, deps());
    for (const s of [1, 2, 3]) vol.write(s * SEG, Buffer.from(vol.read().subarray(s * SEG, (s + 1) * SEG)));
    vol.write(4 * SEG, randomBytes(100));
    const r = await runBackup(opts, deps());
    expect(r.counters.segmentsDone).toBe(4);
    expect(r.counters.segmentsWritten).toBe(1);
    expect(r.counters.bytesWritten).toBe(SEG);
    expect(dest().equals(vol.read())).toBe(true);
  });

  it('a failed verify marks DIRTY and fails; the next run reads everything and repairs exactly the bad segment', async () => {
    await runBackup(opts, deps());
    vol.writeRandomSegments(10);
    vol.write(100 * SEG, randomBytes(SEG));
    const err = await runBackup(opts, deps({
      beforeVerify: () => {
        // A destination that lost a write after the copy (a cache that lied, a concurrent writer).
        const fd = openSync(opts.destination, 'r+');
        writeSync(fd, Buffer.alloc(SEG, 0xee), 0, SEG, 100 * SEG);
        closeSync(fd);
      },
    })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect(await store.readState('lv')).toBe('DIRTY');
    expect(snaps.exists()).toBe(false);
    expect(existsSync(`${opts.checksums}.journal`)).toBe(false);

    const again = await runBackup(opts, deps());
    expect(again.mode).toBe('full');
    expect(again.reason).toMatch(/DIRTY/);
    expect(again.counters.segmentsDone).toBe(512);
    expect(again.counters.segmentsWritten).toBe(1);
    expect(dest().equals(vol.read())).toBe(true);
    expect(await store.readState('lv')).toBe('ACTIVE');
  });

  it('DIRTY, UNKNOWN, a new destination and --full read the whole volume', async () => {
    await runBackup(opts, deps());
    vol.writeRandomSegments(3);
    await store.setState('lv', 'DIRTY', 'stop-failed', 'test');
    const dirty = await runBackup(opts, deps());
    expect([dirty.mode, dirty.counters.segmentsDone, dirty.counters.segmentsWritten]).toEqual(['full', 512, 3]);
    expect(dest().equals(vol.read())).toBe(true);
    expect(await store.readState('lv')).toBe('ACTIVE');

    const forced = await runBackup({ ...opts, full: true }, deps());
    expect([forced.mode, forced.reason, forced.counters.segmentsWritten]).toEqual(['full', '--full given', 0]);

    const other = { ...opts, destination: join(dir, 'dst/other.img'), checksums: join(dir, 'dst/other.img.checksums') };
    const fresh = await runBackup(other, deps());
    expect([fresh.mode, fresh.reason]).toEqual(['full', 'new backup: no checksum file']);
    // The maps since went to `other`: the first destination must read everything next time.
    vol.writeRandomSegments(2);
    const back = await runBackup(opts, deps());
    expect(back.mode).toBe('full');
    expect(back.reason).toMatch(/went to .*other\.img/);
    expect(dest().equals(vol.read())).toBe(true);
  });

  it('a resized volume is read whole; the destination file follows the size', async () => {
    await runBackup(opts, deps());
    vol.resize(10 * MiB + 5000); // not a multiple of a segment
    vol.write(9 * MiB, randomBytes(MiB + 5000));
    const r = await runBackup(opts, deps());
    expect(r.mode).toBe('full');
    expect(r.reason).toMatch(/resized \(8388608 -> 10490760 bytes\)/);
    expect(r.segments).toBe(641);
    expect(statSync(opts.destination).size).toBe(10 * MiB + 5000);
    expect(dest().equals(vol.read())).toBe(true);
    expect((await readChecksumHeader(opts.checksums))?.volumeBytes).toBe(BigInt(10 * MiB + 5000));
    // Unchanged first 8 MiB: their checksums survived the resize, so they were not rewritten.
    expect(r.counters.segmentsWritten).toBeLessThanOrEqual(641 - 512 + 1);
    vol.resize(4 * MiB);
    const shrunk = await runBackup(opts, deps());
    expect([shrunk.mode, shrunk.counters.segmentsWritten]).toEqual(['full', 0]);
    expect(dest().equals(vol.read())).toBe(true);
  });

  it('without a live change source the maps count only when the state is CLEAN (dumps complete)', async () => {
    await runBackup(opts, deps({ changes: noLiveChanges }));
    vol.writeRandomSegments(4);
    const active = await runBackup(opts, deps({ changes: noLiveChanges }));
    expect(active.mode).toBe('full');
    expect(active.reason).toMatch(/no live change map/);

    // The ddmap agent stopped and saved a dump: CLEAN, and the dump names exactly what changed.
    const changed = vol.writeRandomSegments(5);
    const img = emptyImage('t.0', 16);
    for (const s of changed) markWrite(img.words, s * SEG, SEG);
    const dump = await store.writeDump('lv', encodeImage(img));
    await store.setState('lv', 'CLEAN', 'stop');
    const clean = await runBackup(opts, deps({ changes: noLiveChanges }));
    expect([clean.mode, clean.counters.segmentsDone, clean.counters.segmentsWritten, clean.dumpsConsumed]).toEqual(['incremental', 5, 5, 1]);
    expect(dest().equals(vol.read())).toBe(true);
    expect(existsSync(dump)).toBe(false); // consumed
    expect(await store.readState('lv')).toBe('CLEAN'); // the agent is stopped: ACTIVE would read as an unclean stop
  });

  it('a DIRTY logged while the backup runs stays DIRTY', async () => {
    await runBackup(opts, deps());
    vol.writeRandomSegments(40);
    const r = await runBackup(opts, deps({ afterBatch: async () => { if ((await store.readState('lv')) !== 'DIRTY') await store.setState('lv', 'DIRTY', 'stop-failed', 'test'); } }));
    expect(r.state).toBe('DIRTY');
    expect(r.keptDirty).toMatch(/DDMAP_DIRTY/);
  });

  it('interrupted (signal): the snapshot is removed, the journal stays; the rerun starts over and ends equal', async () => {
    await runBackup(opts, deps());
    vol.writeRandomSegments(60);
    const ac = new AbortController();
    let batches = 0;
    const err = await runBackup(opts, deps({ signal: ac.signal, afterBatch: () => { if (++batches === 1) ac.abort(); } })).catch((e: unknown) => e);
    expect((err as BackupError).kind).toBe('interrupted');
    expect(snaps.exists()).toBe(false);
    expect((await readJournal(opts.checksums))?.cursor).toBeGreaterThan(0);
    const r = await runBackup(opts, deps());
    expect(r.resumed).toBe(false);
    expect(said.join('\n')).toMatch(/starting over from a new snapshot/);
    expect(dest().equals(vol.read())).toBe(true);
    expect(await readJournal(opts.checksums)).toBeNull();
  });

  it('bad input is refused before anything changes', async () => {
    const before = () => [existsSync(opts.destination), existsSync(opts.checksums), snaps.created];
    const attempt = async (o: Partial<BackupOptions>, d: Partial<BackupDeps> = {}) => {
      const e = await runBackup({ ...opts, ...o }, deps(d)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BackupError);
      expect(before()).toEqual([false, false, 0]);
      return (e as BackupError).message;
    };
    expect(await attempt({ lv: '../etc' })).toMatch(/invalid volume/);
    expect(await attempt({ destination: 'relative.img' })).toMatch(/absolute/);
    expect(await attempt({ destination: join(dir, 'nope/x.img'), checksums: join(dir, 'nope/x.ck') })).toMatch(/does not exist/);
    expect(await attempt({ checksums: opts.destination })).toMatch(/cannot be the destination/);
    expect(await attempt({}, { store: new DdmapStore(join(dir, 'state'), 'othervg') })).toMatch(/VG metadata filesystem/);
    expect(await attempt({ destination: join(dir, 'dst') })).toMatch(/neither a regular file nor a block device/);
    writeFileSync(join(dir, 'dst/garbage'), 'x'.repeat(100));
    const e = await runBackup({ ...opts, checksums: join(dir, 'dst/garbage') }, deps()).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/not a lioha checksum file/);
    expect(readFileSync(join(dir, 'dst/garbage'), 'utf8')).toBe('x'.repeat(100));
    expect(snaps.created).toBe(0);
  });

  it('a snapshot left by a killed run without a journal is removed, not trusted', async () => {
    await snaps.create();
    const r = await runBackup(opts, deps());
    expect(said.join('\n')).toMatch(/removing snapshot lv-bksnap left by an interrupted run/);
    expect(r.mode).toBe('full');
    expect(snaps.exists()).toBe(false);
  });

  it('lioha backup check: a clean destination passes; a corrupted one fails and marks DIRTY', async () => {
    await runBackup(opts, deps());
    const ok = await checkDestination({ destination: opts.destination, checksums: opts.checksums, root: new Root('/'), store: { store, lv: 'lv' }, progress: silentProgress });
    expect(ok.mismatches).toBe(0);
    const fd = openSync(opts.destination, 'r+');
    writeSync(fd, Buffer.from([1, 2, 3]), 0, 3, 300 * SEG + 17);
    closeSync(fd);
    const e = await checkDestination({ destination: opts.destination, checksums: opts.checksums, root: new Root('/'), store: { store, lv: 'lv' }, progress: silentProgress }).catch((x: unknown) => x);
    expect((e as BackupError).kind).toBe('verify');
    expect((e as Error).message).toMatch(/1 of 512 segments .*\(first at byte 4915200\)/);
    expect(await store.readState('lv')).toBe('DIRTY');
    const r = await runBackup(opts, deps());
    expect([r.mode, r.counters.segmentsWritten]).toEqual(['full', 1]);
    expect(dest().equals(vol.read())).toBe(true);
  });
});

