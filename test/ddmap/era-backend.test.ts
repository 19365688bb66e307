/**
 * The era backend's pure parts (names, era_invalidate output, dmsetup status/table, metadata sizing)
 * and the API `lioha backup` uses (checkpoint, liveChangedSince, the mark), against the dm-era double.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  advanceEraMark, checkpoint, EraMismatchError, holdWrites, EraNameError, EraNotActiveError, eraDeviceName, eraDevicePath, eraMapWords,
  eraMetadataLvName, liveChangedSince, readEraMark, writeEraMark,
} from '../../lib/ddmap/backends/era/api.js';
import { metadataBytesFor, parseEraStatus, parseEraTable } from '../../lib/ddmap/backends/era/dm.js';
import { EraOutputError, markInvalidatedBlocks } from '../../lib/ddmap/backends/era/invalidate-xml.js';
import { eraNameSum, parseEraDeviceName } from '../../lib/ddmap/backends/era/names.js';
import { mergeAll } from '../../lib/ddmap/merge.js';
import { nameSum } from '../../lib/ddmap/format.js';
import { DdmapStore } from '../../lib/ddmap/store.js';
import { Root } from '../../lib/sys/root.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { EraBackend } from '../../lib/ddmap/backends/era/backend.js';
import { eraWrite, inProcessEraExec, prepareEraFixture, readEraDouble, setBits, updateEraDouble } from './era-fixture.js';

describe('era names', () => {
  it('era-<vg>-<lv> with "-" doubled, split back unambiguously; never an LVM name', () => {
    expect(eraDeviceName('vg1', 'lun0')).toBe('era-vg1-lun0');
    expect(eraDeviceName('vg-a', 'lv-b-c')).toBe('era-vg--a-lv--b--c');
    expect(eraDevicePath('vg-a', 'x')).toBe('/dev/mapper/era-vg--a-x');
    expect(parseEraDeviceName('era-vg--a-lv--b--c')).toEqual({ vg: 'vg-a', lv: 'lv-b-c' });
    expect(parseEraDeviceName('era-vg1-lun0')).toEqual({ vg: 'vg1', lv: 'lun0' });
    // LVM's dm name of VG "era", LV "vg-lun0" is era-vg--lun0: not an era device
    expect(parseEraDeviceName('era-vg--lun0')).toBeNull();
    expect(parseEraDeviceName('vg1-lun0')).toBeNull();
    expect(eraMetadataLvName('lun0')).toBe('lun0_eramd');
    expect(eraNameSum('vg1', 'lun0')).toBe(nameSum('era-vg1-lun0'));
  });

  it('refuses names that would become bad paths or device names', () => {
    for (const [vg, lv] of [['vg/x', 'a'], ['vg', '../a'], ['vg', ''], ['-vg', 'a'], ['vg', 'a b'], ['vg', 'lun0_eramd'], ['v'.repeat(60), 'l'.repeat(70)]]) {
      expect(() => eraDeviceName(vg!, lv!), `${vg}/${lv}`).toThrow(EraNameError);
    }
  });

  it('map words cover every started 16 KiB segment', () => {
    expect(eraMapWords(0n)).toBe(0);
    expect(eraMapWords(16384n)).toBe(1);
    expect(eraMapWords(512n * 1024n)).toBe(1);
    expect(eraMapWords(512n * 1024n + 512n)).toBe(2);
    expect(eraMapWords(10n << 30n)).toBe(20480); // same as IET's (size >> 14) >> 5 for whole words
  });
});

describe('era_invalidate output', () => {
  it('reads thin-provisioning-tools 0.9 ("end = ") and 1.x output, ranges end-exclusive, into ddmap bit order', () => {
    const words = new Uint32Array(4);
    const n = markInvalidatedBlocks('<blocks>\n  <block block="0"/>\n  <range begin="30" end = "34"/>\n  <range begin="64" end="96"/>\n  <block block="127"/>\n</blocks>\n', words);
    expect(n).toBe(1 + 4 + 32 + 1);
    expect([...words].map((w) => w.toString(16))).toEqual(['c0000001', '3', 'ffffffff', '80000000']);
    expect(markInvalidatedBlocks('<blocks>\n</blocks>\n', new Uint32Array(1))).toBe(0);
    expect(markInvalidatedBlocks('<blocks/>', new Uint32Array(1))).toBe(0);
  });

  it('refuses truncated, foreign or out-of-range output rather than guess', () => {
    expect(() => markInvalidatedBlocks('<blocks>\n  <block block="1"/>\n', new Uint32Array(1))).toThrow(/truncated/);
    expect(() => markInvalidatedBlocks('metadata contains errors', new Uint32Array(1))).toThrow(EraOutputError);
    expect(() => markInvalidatedBlocks('<blocks><block block="32"/></blocks>', new Uint32Array(1))).toThrow(/beyond the 32 segments/);
    expect(() => markInvalidatedBlocks('<blocks><range begin="5" end="5"/></blocks>', new Uint32Array(1))).toThrow(/empty or reversed/);
    expect(() => markInvalidatedBlocks('<blocks><range begin="5"/></blocks>', new Uint32Array(1))).toThrow(/without begin\/end/);
  });
});

describe('dmsetup status and table of an era target', () => {
  it('parses status (metadata use, current era, held snapshot) and table', () => {
    expect(parseEraStatus('0 65536 era 8 20/2048 3 -\n')).toEqual({ usedBlocks: 20, totalBlocks: 2048, era: 3, snapHeld: false });
    expect(parseEraStatus('0 65536 era 8 21/2048 4 1042\n').snapHeld).toBe(true);
    expect(() => parseEraStatus('0 65536 linear\n')).toThrow(/not an era status/);
    expect(() => parseEraStatus('0 65536 era Error\n')).toThrow();
    expect(parseEraTable('0 65536 era 253:3 253:2 32\n')).toEqual({ sectors: 65536n, metaDev: '253:3', originDev: '253:2', blockSectors: 32 });
    expect(() => parseEraTable('0 100 era 253:3 253:2 32\n100 100 linear 8:0 0\n')).toThrow(/one-target era table/);
  });

  it('sizes metadata for the era array (twice), write sets and 4 MiB of room', () => {
    expect(metadataBytesFor(65536n)).toBe(2n * 3n * 4096n + 8n * 4096n + (4n << 20n)); // 32 MiB: 2048 blocks
    const tib = metadataBytesFor((1n << 40n) >> 9n);
    expect(Number(tib) / 2 ** 20).toBeGreaterThan(500); // ~0.05% of the volume
    expect(Number(tib) / 2 ** 20).toBeLessThan(700);
  });
});

describe('the backup API (checkpoint, liveChangedSince, marks)', () => {
  let root: string;
  let store: DdmapStore;
  const VG = 'vg1';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'era-api-'));
    prepareEraFixture(root, VG, { lun0: 8 << 20, lun0_eramd: 4 << 20 });
    updateEraDouble(root, (s) => { s.vgs[VG]!.lvs['lun0_eramd']!.zeroed = true; });
    store = new DdmapStore(join(root, 'mnt/iscsi-target'), VG);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const env = () => ({ root: new Root(root), timeoutMs: 5000, exec: inProcessEraExec(root) });
  const create = async () => {
    const s = readEraDouble(root);
    const lv = (n: string) => `253:${s.vgs[VG]!.lvs[n]!.dm}`;
    await env().exec('dmsetup', ['create', 'era-vg1-lun0', '-u', 'LIOHA-ERA-vg1-lun0', '--table', `0 16384 era ${lv('lun0_eramd')} ${lv('lun0')} 32`], { maxMs: 5000, env: { DM_DISABLE_UDEV: '1' } });
  };

  it('needs the era device on this node', async () => {
    await expect(checkpoint(VG, 'lun0', env())).rejects.toThrow(EraNotActiveError);
    await expect(liveChangedSince(VG, 'lun0', { era: 1, metadataUuid: 'x' }, env())).rejects.toThrow(EraNotActiveError);
  });

  it('a backup cycle: the live map since the mark, a checkpoint before the snapshot, then only later writes', async () => {
    await create();
    const uuid = readEraDouble(root).vgs[VG]!.lvs['lun0_eramd']!.uuid;
    await store.ensure();
    const m0 = await writeEraMark(store, 'lun0', { era: 1, metadataUuid: uuid }, 'start');
    eraWrite(root, 'era-vg1-lun0', 0, 4096);
    eraWrite(root, 'era-vg1-lun0', 16384 * 100, 16384 * 2);
    const c = await checkpoint(VG, 'lun0', env()); // before the LVM snapshot
    eraWrite(root, 'era-vg1-lun0', 16384 * 7, 1); // lands between the checkpoint and the snapshot: copied twice, never missed
    const live = await liveChangedSince(VG, 'lun0', m0, env());
    expect(live.header).toEqual({ version: 1, nameSum: eraNameSum(VG, 'lun0'), mapSize: 16 });
    expect(setBits(live.words)).toEqual([0, 7, 100, 101]);
    expect(readEraDouble(root).metadata[`${VG}/lun0_eramd`]!.snap).toBeNull();
    // it merges with saved dumps like an IET map
    expect(setBits(mergeAll(null, [live, { header: live.header, words: new Uint32Array(16).fill(0).map((_, i) => (i === 15 ? 0x80000000 : 0)) }]).words)).toEqual([0, 7, 100, 101, 511]);
    // backup done: the mark moves to the checkpoint; a later query has only what came after it
    await advanceEraMark(store, 'lun0', c, 'backup');
    expect((await readEraMark(store, 'lun0'))!.era).toBe(c.era);
    eraWrite(root, 'era-vg1-lun0', 16384 * 300, 1);
    expect(setBits((await liveChangedSince(VG, 'lun0', c, env())).words)).toEqual([7, 300]);
  });

  it('holdWrites suspends the era device around the snapshot, resumes it (a new era) even when the snapshot fails', async () => {
    await create();
    const suspended = () => readFileSync(join(root, `sys/block/dm-${readEraDouble(root).era['era-vg1-lun0']!.dm}/dm/suspended`), 'utf8').trim();
    const intents = () => (existsSync(join(root, 'run/lioha/ddmap/suspended')) ? readdirSync(join(root, 'run/lioha/ddmap/suspended')) : []);
    const before = readEraDouble(root).metadata['vg1/lun0_eramd']!.era;
    const seen = await holdWrites(VG, 'lun0', env(), async () => [suspended(), intents()] as const);
    expect(seen).toEqual(['1', ['era-vg1-lun0.json']]);
    expect(suspended()).toBe('0');
    expect(intents()).toEqual([]);
    expect(readEraDouble(root).metadata['vg1/lun0_eramd']!.era).toBe(before + 1);
    await expect(holdWrites(VG, 'lun0', env(), async () => { throw new Error('lvcreate -s failed'); })).rejects.toThrow('lvcreate -s failed');
    expect(suspended()).toBe('0');
    expect(intents()).toEqual([]);
    await expect(holdWrites(VG, 'nolv', env(), async () => 1)).rejects.toThrow(EraNotActiveError);
  });

  it('the agent resumes an era device a killed backup left suspended (suspend intent)', async () => {
    await create();
    await env().exec('dmsetup', ['suspend', 'era-vg1-lun0'], { maxMs: 5000, env: { DM_DISABLE_UDEV: '1' } });
    const b = new EraBackend({ root: new Root(root), lvs: ['lun0'], store, exec: inProcessEraExec(root) });
    expect(await b.resume('era-vg1-lun0', 1000)).toBe('resumed');
    expect(readEraDouble(root).era['era-vg1-lun0']!.suspended).toBe(false);
    expect(await b.resume('era-vg1-other', 1000)).toBe('gone');
    expect(await b.resume('vg1-lun0', 1000)).toBe('gone');
  });

  it('the mark never moves backwards, nor onto older metadata; a point of other metadata is a full read', async () => {
    await create();
    await store.ensure();
    const uuid = readEraDouble(root).vgs[VG]!.lvs['lun0_eramd']!.uuid;
    await writeEraMark(store, 'lun0', { era: 9, metadataUuid: uuid }, 'stop');
    expect((await advanceEraMark(store, 'lun0', { era: 5, metadataUuid: uuid }, 'backup')).era).toBe(9);
    expect((await advanceEraMark(store, 'lun0', { era: 50, metadataUuid: 'older' }, 'backup')).metadataUuid).toBe(uuid);
    expect((await advanceEraMark(store, 'lun0', { era: 12, metadataUuid: uuid }, 'backup'))).toMatchObject({ era: 12, by: 'backup' });
    await expect(liveChangedSince(VG, 'lun0', { era: 1, metadataUuid: 'older' }, env())).rejects.toThrow(EraMismatchError);
    await expect(liveChangedSince(VG, 'lun0', { era: 99, metadataUuid: uuid }, env())).rejects.toThrow(/ahead of the device's era/);
  });
});
