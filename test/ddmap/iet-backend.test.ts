import { mkdtemp, rm, mkdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaptureError } from '../../lib/ddmap/backend.js';
import { IetBackend } from '../../lib/ddmap/backends/iet/backend.js';
import type { MapCommand, ProcEntryIo } from '../../lib/ddmap/backends/iet/proc-entry.js';
import { IetParseError, parseIetVolume } from '../../lib/ddmap/backends/iet/volume.js';
import { encodeImage } from '../../lib/ddmap/format.js';
import { lvFromDevicePath, splitDmName } from '../../lib/ddmap/lvm-path.js';
import { Root } from '../../lib/sys/root.js';
import { SAMPLE_TARGETS, buildIetProc, entryId, liveImage, readEntry, tearEntry, volumeText } from './iet-fixture.js';

describe('/proc/net/iet/volume parser', () => {
  it('reads targets and LUNs with size, iotype, and a path that may contain spaces', () => {
    const text =
      'tid:2 name:iqn.2026-11.test:a\n\tlun:0 state:0 iotype:blockio iomode:wt blocks:24576 blocksize:512 path:/dev/vg0/lv a\n' +
      '\tlun:1 state:0 iotype:fileio iomode:ro blocks:8 blocksize:4096 vpd_83_scsi_id:X path:/srv/img\n' +
      'tid:3 name:iqn.2026-11.test:b\n';
    const t = parseIetVolume(text);
    expect(t).toHaveLength(2);
    expect(t[0]).toMatchObject({ tid: 2, name: 'iqn.2026-11.test:a' });
    expect(t[0]!.luns[0]).toMatchObject({ lun: 0, path: '/dev/vg0/lv a', iotype: 'blockio', iomode: 'wt', sizeBytes: 24576n * 512n });
    expect(t[0]!.luns[1]).toMatchObject({ lun: 1, path: '/srv/img', sizeBytes: 32768n, extra: { vpd_83_scsi_id: 'X' } });
    expect(t[1]!.luns).toEqual([]);
    expect(parseIetVolume('')).toEqual([]);
    expect(() => parseIetVolume('\tlun:0 path:/dev/a/b\n')).toThrow(IetParseError);
    expect(() => parseIetVolume('tid:1 name:x\n\tlun:0 state:0\n')).toThrow(/no path/);
  });

  it('maps device paths to VG/LV, unescaping device-mapper names', () => {
    expect(lvFromDevicePath('/dev/vg_dsk_0/lv_junk')).toEqual({ vg: 'vg_dsk_0', lv: 'lv_junk' });
    expect(lvFromDevicePath('/dev/mapper/vg--a-lv--b--c')).toEqual({ vg: 'vg-a', lv: 'lv-b-c' });
    expect(lvFromDevicePath('/dev/disk/by-id/x')).toBeNull();
    expect(lvFromDevicePath('/dev/sdb')).toBeNull();
    expect(splitDmName('novg')).toBeNull();
  });
});

describe('IET backend', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ddmap-iet-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists only the LUNs of the VG, including /dev/mapper and /dev/dm-N paths', async () => {
    const targets = structuredClone(SAMPLE_TARGETS);
    targets.push({ tid: 4, name: 'iqn.2026-11.test:dm', luns: [{ lun: 3, vg: 'vg_dsk_0', lv: 'lv_dm', sizeBytes: 2 ** 20, path: '/dev/dm-7' }] });
    await buildIetProc(root, targets);
    await mkdir(join(root, 'dev'), { recursive: true });
    await writeFile(join(root, 'dev/dm-7'), '');
    await mkdir(join(root, 'sys/block/dm-7/dm'), { recursive: true });
    await writeFile(join(root, 'sys/block/dm-7/dm/name'), 'vg_dsk_0-lv_dm\n');
    const b = new IetBackend({ root: new Root(root) });
    expect(await b.unavailable()).toBeNull();
    const luns = await b.listLuns('vg_dsk_0');
    expect(luns.map((l) => [l.lv, l.id])).toEqual([
      ['lv-db', `${SAMPLE_TARGETS[1]!.name}.0`],
      ['lv_junk', `${SAMPLE_TARGETS[0]!.name}.0`],
      ['lv_dm', 'iqn.2026-11.test:dm.3'],
    ]);
    expect(luns[1]!.sizeBytes).toBe(12n * 2n ** 20n);
  });

  it('says why it is unavailable', async () => {
    const b = new IetBackend({ root: new Root(root) });
    expect(await b.unavailable()).toMatch(/volume is missing/);
    await buildIetProc(root, SAMPLE_TARGETS, { ddmapDir: false });
    expect(await b.unavailable()).toMatch(/without the ddmap patch/);
  });

  it('captures byte-exactly with mapsuspend then mapresume, and measures the window', async () => {
    await buildIetProc(root, SAMPLE_TARGETS);
    const b = new IetBackend({ root: new Root(root) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    const cap = await b.capture(lun!, 5000);
    const t = SAMPLE_TARGETS[0]!;
    expect(Buffer.from(cap.image)).toEqual(encodeImage(liveImage(t, t.luns[0]!)));
    expect(cap.warnings).toEqual([]);
    expect(cap.suspendMs).toBeGreaterThan(0);
    expect((await readEntry(root, entryId(t, t.luns[0]!))).commands).toEqual(['mapsuspend', 'mapresume']);
  });

  it('a torn map read still resumes the map and fails with resumed=true', async () => {
    await buildIetProc(root, SAMPLE_TARGETS);
    const t = SAMPLE_TARGETS[0]!;
    const id = entryId(t, t.luns[0]!);
    await tearEntry(root, id, 20 + 10 * 4);
    const b = new IetBackend({ root: new Root(root) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    const err = await b.capture(lun!, 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).resumed).toBe(true);
    // The read hit EOF before the commands were appended after the truncated map.
    const raw = (await readFile(join(root, 'proc/net/iet/ddmap', id))).subarray(60).toString('latin1');
    expect(raw).toBe('mapsuspendmapresume');
  });

  it('never suspends an entry whose header it cannot read', async () => {
    await buildIetProc(root, SAMPLE_TARGETS);
    const t = SAMPLE_TARGETS[0]!;
    const id = entryId(t, t.luns[0]!);
    await writeFile(join(root, 'proc/net/iet/ddmap', id), 'not a map at all');
    const b = new IetBackend({ root: new Root(root) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    await expect(b.capture(lun!, 5000)).rejects.toThrow(/map header/);
    expect(await readFile(join(root, 'proc/net/iet/ddmap', id), 'utf8')).toBe('not a map at all');
  });

  /** An entry whose reads fail or hang on demand, recording the commands. */
  function faultyIo(image: Uint8Array, fault: 'throw' | 'hang' | 'resume-fails', log: string[]): ProcEntryIo {
    return {
      async open() {
        let reads = 0;
        return {
          async read(buf, length) {
            reads++;
            log.push(`read${reads}`);
            if (reads === 2 && fault === 'throw') throw new Error('EIO');
            if (reads === 2 && fault === 'hang') return new Promise<number>(() => undefined);
            buf.set(image.subarray(0, length));
            return Math.min(length, image.length);
          },
          async command(cmd: MapCommand) {
            log.push(cmd);
            if (cmd === 'mapresume' && fault === 'resume-fails') throw new Error('EBUSY');
          },
          async close() {
            log.push('close');
          },
        };
      },
    };
  }

  it.each(['throw', 'hang'] as const)('a map read that %ss is followed by mapresume (resumed=true)', async (fault) => {
    await buildIetProc(root, SAMPLE_TARGETS);
    const t = SAMPLE_TARGETS[0]!;
    const log: string[] = [];
    const b = new IetBackend({ root: new Root(root), io: faultyIo(encodeImage(liveImage(t, t.luns[0]!)), fault, log) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    const err = (await b.capture(lun!, 300).catch((e: unknown) => e)) as CaptureError;
    expect(err).toBeInstanceOf(CaptureError);
    expect(err.resumed).toBe(true);
    expect(err.message).toMatch(fault === 'hang' ? /did not finish within/ : /EIO/);
    expect(log.slice(0, 4)).toEqual(['read1', 'mapsuspend', 'read2', 'mapresume']);
  });

  it('a failing mapresume is reported as resumed=false, naming the blocked target', async () => {
    await buildIetProc(root, SAMPLE_TARGETS);
    const t = SAMPLE_TARGETS[0]!;
    const log: string[] = [];
    const b = new IetBackend({ root: new Root(root), io: faultyIo(encodeImage(liveImage(t, t.luns[0]!)), 'resume-fails', log) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    const err = (await b.capture(lun!, 1000).catch((e: unknown) => e)) as CaptureError;
    expect(err.resumed).toBe(false);
    expect(err.message).toContain(`writes to ${t.name} may be blocked`);
  });

  it('warns (does not fail) when name_sum differs from the byte sum of the entry name', async () => {
    const targets = structuredClone(SAMPLE_TARGETS);
    await buildIetProc(root, targets);
    const t = targets[0]!;
    const id = entryId(t, t.luns[0]!);
    const img = liveImage(t, t.luns[0]!);
    img.header.nameSum = 0x2a73;
    await writeFile(join(root, 'proc/net/iet/ddmap', id), encodeImage(img));
    const b = new IetBackend({ root: new Root(root) });
    const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === 'lv_junk');
    const cap = await b.capture(lun!, 5000);
    expect(cap.warnings.join()).toMatch(/name_sum 0x2a73 differs/);
  });

  it('volumeText round-trips through the parser', () => {
    const parsed = parseIetVolume(volumeText(SAMPLE_TARGETS));
    expect(parsed.map((t) => t.luns[0]!.path)).toEqual(['/dev/vg_dsk_0/lv_junk', '/dev/mapper/vg_dsk_0-lv--db', '/dev/vg_other/lv_x']);
  });
});
