import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markWrite } from '../../lib/ddmap/bits.js';
import { decodeImage, emptyImage, encodeImage } from '../../lib/ddmap/format.js';
import { mergeIntoFile } from '../../lib/ddmap/merge-files.js';
import { dataRows, headerText } from '../../lib/ddmap/report.js';
import { SAMPLE_TARGETS, buildIetProc, entryId, makeVgDir, readEntry } from './iet-fixture.js';

const E = 'iqn.1990-01.edu.amherst:iet.iscsi-target0.pg-vlan10.iscsi.vg-bigdisk-vol0.lv-junk.0';

/** The manual's 12 MiB test LUN after its examples. */
function manualMap() {
  const img = emptyImage(E, 24);
  markWrite(img.words, 0, 16384);
  markWrite(img.words, 16384, 16384);
  markWrite(img.words, 798720, 4096);
  markWrite(img.words, 802816, 20480);
  markWrite(img.words, 767 * 16384, 16384);
  return img;
}

describe('lioha ddmap show rendering', () => {
  it('prints rows like ddmap -b: byte offset then 8 words', () => {
    expect([...dataRows(manualMap().words)]).toEqual([
      '00000000 00000003 00070000 00000000 00000000 00000000 00000000 00000000 00000000\n',
      '00000020 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n',
      '00000040 00000000 00000000 00000000 00000000 00000000 00000000 00000000 80000000\n',
    ]);
    expect([...dataRows(manualMap().words, true)].map((r) => r.slice(0, 8))).toEqual(['00000000', '00000040']);
  });

  it('prints the header like ddmap -a, with a summary', () => {
    const t = headerText(manualMap(), 'f');
    expect(t).toContain('ddmap version: 1\n');
    expect(t).toMatch(/ddmap name_sum: 0x[0-9a-f]{8}\n/);
    expect(t).toContain('ddmap map_size: 24 (u32)\nddmap map_size_bytes: 96\n');
    expect(t).toContain('ddmap segments: 768 of 16384 bytes, 6 written (0.78%)');
  });
});

describe('lioha ddmap merge', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ddmap-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing target, ORs further sources, says what the Amherst tool says', async () => {
    const a = emptyImage(E, 24);
    markWrite(a.words, 0, 16384);
    const b = emptyImage(E, 24);
    markWrite(b.words, 767 * 16384, 16384);
    const out = join(dir, 'lun.ddmap');
    const lines: string[] = [];
    await mergeIntoFile(out, [{ label: 'a', image: a }], (l) => lines.push(l));
    expect(lines[0]).toBe('target does not exist creating new file');
    await mergeIntoFile(out, [{ label: 'b', image: b }], (l) => lines.push(l));
    expect(lines).toContain('b: name sum matches on source and target good');
    expect(lines).toContain('b: source is greater or equal to target size good');
    const merged = decodeImage(await readFile(out));
    expect(merged.words[0]).toBe(1);
    expect(merged.words[23]).toBe(0x80000000);
  });

  it('a refused source leaves the existing target untouched', async () => {
    const out = join(dir, 'lun.ddmap');
    const base = encodeImage(manualMap());
    await writeFile(out, base);
    await expect(mergeIntoFile(out, [{ label: 'other', image: emptyImage('iqn.x:other.0', 24) }])).rejects.toThrow(/other: name sum differs/);
    await expect(mergeIntoFile(out, [{ label: 'small', image: emptyImage(E, 8) }])).rejects.toThrow(/small: source map \(8 words\) is smaller/);
    expect(await readFile(out)).toEqual(base);
  });

  it('merges dump files by path (headers checked first, torn dumps refused, target untouched on refusal)', async () => {
    const a = emptyImage(E, 24);
    markWrite(a.words, 0, 16384);
    const big = emptyImage(E, 48);
    markWrite(big.words, 47 * 32 * 16384, 16384);
    const fa = join(dir, 'lv.20260101-000000.000000000.ddmapdump');
    const fb = join(dir, 'lv.20260102-000000.000000000.ddmapdump');
    await writeFile(fa, encodeImage(a));
    await writeFile(fb, encodeImage(big));
    const out = join(dir, 'm.ddmap');
    // larger (newer) first on the command line: still merged, smaller first
    const m = await mergeIntoFile(out, [{ label: fb, path: fb }, { label: fa, path: fa }]);
    expect(m.header.mapSize).toBe(48);
    const back = decodeImage(await readFile(out));
    expect(back.words[0]).toBe(1);
    expect(back.words[47]).toBe(1);
    const torn = join(dir, 'torn.ddmapdump');
    await writeFile(torn, encodeImage(big).subarray(0, 100));
    const before = await readFile(out);
    await expect(mergeIntoFile(out, [{ label: torn, path: torn }])).rejects.toThrow(/torn\.ddmapdump: file is 100 bytes/);
    await expect(mergeIntoFile(out, [{ label: fa, path: fa }])).rejects.toThrow(/smaller/);
    expect(await readFile(out)).toEqual(before);
  });

  const cli = join(process.cwd(), 'dist/bin/lioha');
  it.skipIf(!existsSync(cli))('built CLI: merge --live suspends and resumes the entry; state set refuses CLEAN without --force', async () => {
    await buildIetProc(dir, SAMPLE_TARGETS);
    await makeVgDir(dir);
    const t = SAMPLE_TARGETS[0]!;
    const id = entryId(t, t.luns[0]!);
    const env = { ...process.env, LIOHA_ROOT: dir };
    const out = join(dir, 'm.ddmap');
    let r = spawnSync(cli, ['ddmap', 'merge', '-t', out, '--live', `/proc/net/iet/ddmap/${id}`], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((await readEntry(dir, id)).commands).toEqual(['mapsuspend', 'mapresume']);
    expect(decodeImage(await readFile(out)).words[1]).toBe(0x00070000);
    r = spawnSync(cli, ['ddmap', 'state', 'set', 'vg_dsk_0', 'lv_junk', 'CLEAN'], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/only ACTIVE and DIRTY/);
    r = spawnSync(cli, ['ddmap', 'state', 'set', 'vg_dsk_0', 'lv_junk', 'DIRTY', '--note', 'integrity check failed'], { env, encoding: 'utf8' });
    expect(r.stdout).toBe('vg_dsk_0/ddmap/lv_junk DDMAP_UNKNOWN -> DDMAP_DIRTY\n');
    r = spawnSync(cli, ['ddmap', 'state', 'list'], { env, encoding: 'utf8' });
    expect(r.stdout).toBe('vg_dsk_0/ddmap/lv_junk DDMAP_DIRTY dumps=0\n');
  });
});

describe('lioha ddmap state list into a pipe that closes early', () => {
  const cli = join(process.cwd(), 'dist/bin/lioha');
  it.skipIf(!existsSync(cli))('`| head -2` prints two lines and no EPIPE trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ddmap-pipe-'));
    try {
      const d = join(dir, 'mnt/iscsi-target/vg_dsk_0/ddmap');
      await mkdir(d, { recursive: true });
      // ~130 KB of output: more than a pipe holds, so writes continue after head has exited
      for (let i = 0; i < 800; i++) await writeFile(join(d, `lv_${String(i).padStart(4, '0')}_${'x'.repeat(100)}.state`), 'DDMAP_DIRTY\n');
      const r = spawnSync('sh', ['-c', `"${cli}" ddmap state list | head -2`], { env: { ...process.env, LIOHA_ROOT: dir }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
      expect(r.status).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('lioha ddmap era-path', () => {
  const cli = join(process.cwd(), 'dist/bin/lioha');
  it.skipIf(!existsSync(cli))('prints the backstore udev_path for backend=era, refuses a name that cannot be a device', () => {
    const r = spawnSync(cli, ['ddmap', 'era-path', 'vg-a', 'lun-1'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('/dev/mapper/era-vg--a-lun--1\n');
    const j = spawnSync(cli, ['ddmap', 'era-path', 'vg1', 'lun0', '--json'], { encoding: 'utf8' });
    expect(JSON.parse(j.stdout)).toEqual({ vg: 'vg1', lv: 'lun0', device: 'era-vg1-lun0', udevPath: '/dev/mapper/era-vg1-lun0', metadataLv: 'vg1/lun0_eramd' });
    const bad = spawnSync(cli, ['ddmap', 'era-path', 'vg1', '../x'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('invalid logical volume name "../x"');
  });
});
