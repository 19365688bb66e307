import { describe, expect, it } from 'vitest';
import { countSetBits, markWrite, summarize } from '../../lib/ddmap/bits.js';
import { mapSizeForVolume } from '../../lib/ddmap/format.js';

/** The manual's test disk: a 12 MiB LUN, 24 map words (section 7.5). */
const lun12M = () => new Uint32Array(mapSizeForVolume(12 * 2 ** 20));
const hex = (w: number) => w.toString(16).padStart(8, '0');

describe('kernel write-to-bits (ddmap_lun_exec), the manual\'s worked examples', () => {
  it('dd bs=16384 count=1 seek=0 sets 00000001; seek=1 then gives 00000003', () => {
    const map = lun12M();
    const t = markWrite(map, 0, 16384);
    expect(t).toMatchObject({ ppos: 0n, size: 16383, ppos_align: 0, map_offset: 0n, map_bit_exp: 0, size_bits: 0 });
    expect(hex(map[0]!)).toBe('00000001');
    markWrite(map, 16384, 16384);
    expect(hex(map[0]!)).toBe('00000003');
    expect(countSetBits(map)).toBe(2);
  });

  it('the last 16 KiB segment (seek=767) sets 80000000 in the last word', () => {
    const map = lun12M();
    markWrite(map, 767 * 16384, 16384);
    expect(hex(map[23]!)).toBe('80000000');
    expect(countSetBits(map)).toBe(1);
  });

  it('writing 4 MiB at 4 MiB (bs=1M count=4 seek=4) sets the whole row 0x20 (words 8..15)', () => {
    const map = lun12M();
    markWrite(map, 4 * 2 ** 20, 4 * 2 ** 20);
    expect(Array.from(map.subarray(8, 16)).map(hex)).toEqual(Array(8).fill('ffffffff'));
    expect(countSetBits(map)).toBe(256);
    expect(map[7]).toBe(0);
    expect(map[16]).toBe(0);
  });

  it('dd bs=20000 seek=40: writes (798720,4096) and (802816,20480) give word 1 = 0x00070000, as dmesg shows', () => {
    const map = lun12M();
    const first = markWrite(map, 798720, 4096);
    expect(first).toMatchObject({ ppos: 786432n, size: 16383, ppos_align: 12288, map_offset: 1n, map_bit_exp: 16, size_bits: 0 });
    expect(first.sets).toEqual([{ word: 1, mask: 0x00010000 }]);
    const second = markWrite(map, 802816, 20480);
    expect(second).toMatchObject({ ppos: 802816n, size: 20479, ppos_align: 0, map_offset: 1n, map_bit_exp: 17, size_bits: 1 });
    expect(second.sets).toEqual([{ word: 1, mask: 0x00060000 }]);
    expect(map[1]).toBe(0x00070000);
  });

  it('flushes at each word rollover and never writes past the map', () => {
    const map = lun12M();
    // 32 KiB starting in the last segment of word 0: bit 31 of word 0 and bit 0 of word 1.
    const t = markWrite(map, 31 * 16384, 32768);
    expect(t.sets).toEqual([{ word: 0, mask: 0x80000000 }, { word: 1, mask: 0x00000001 }]);
    // a write that runs off the end of the LUN sets the tail and drops the rest
    const t2 = markWrite(map, 767 * 16384, 5 * 16384);
    expect(map[23]).toBe(0x80000000);
    expect(t2.sets).toEqual([{ word: 23, mask: 0x80000000 }]);
    // entirely past the end: nothing
    expect(markWrite(map, 12 * 2 ** 20, 4096).sets).toEqual([]);
    expect(countSetBits(map)).toBe(3);
  });

  it('a write of one byte marks exactly its segment; one crossing a boundary marks both', () => {
    const map = lun12M();
    markWrite(map, 16384 * 5 + 100, 1);
    expect(map[0]).toBe(1 << 5);
    markWrite(map, 16384 * 7 - 1, 2);
    expect(map[0]).toBe((1 << 5) | (1 << 6) | (1 << 7));
    expect(() => markWrite(map, 0, 0)).toThrow(RangeError);
  });

  it('summarize counts written segments and the flagged byte range', () => {
    const map = lun12M();
    expect(summarize(map)).toMatchObject({ segmentsWritten: 0, firstFlagged: null, lastFlagged: null, ratio: 0 });
    markWrite(map, 16384, 16384);
    markWrite(map, 767 * 16384, 16384);
    expect(summarize(map)).toEqual({
      words: 24, segments: 768, segmentsWritten: 2, bytesFlagged: 32768, ratio: 2 / 768,
      firstFlagged: 16384, lastFlagged: 767 * 16384,
    });
  });
});
