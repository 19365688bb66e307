import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumSegments, crc32, crc32Js, xxh32 } from '../../lib/backup/checksum.js';
import { countPlanned, nextRun, unionOf } from '../../lib/backup/segments.js';
import { Throttle, parseThrottle } from '../../lib/backup/throttle.js';
import { emptyImage } from '../../lib/ddmap/format.js';
import { markWrite } from '../../lib/ddmap/bits.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');

describe('segment checksums', () => {
  it('CRC32 matches the IEEE check value, natively and in JavaScript', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32Js(ascii('123456789'))).toBe(0xcbf43926);
    const b = randomBytes(16384 + 7);
    expect(crc32Js(b, 3, 16384)).toBe(crc32(b, 3, 16384));
  });

  it('XXH32 matches the reference vectors, aligned and unaligned', () => {
    expect(xxh32(ascii(''))).toBe(0x02cc5d05);
    expect(xxh32(ascii('a'))).toBe(0x550d7456);
    expect(xxh32(ascii('abc'))).toBe(0x32d153ff);
    expect(xxh32(ascii('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
    const b = randomBytes(16384 + 8);
    const aligned = Buffer.alloc(16384);
    b.copy(aligned, 0, 1, 16385);
    expect(xxh32(b, 1, 16384)).toBe(xxh32(aligned));
  });

  it('a one-bit change changes both halves; a short last segment is checksummed over its own bytes', () => {
    const b = Buffer.alloc(3 * 16384 + 100, 7);
    const out = new Uint32Array(8);
    expect(checksumSegments(b, b.length, 16384, out)).toBe(4);
    const before = out.slice();
    b[16384 + 5]! ^= 1;
    checksumSegments(b, b.length, 16384, out);
    expect(out[0]).toBe(before[0]);
    expect(out[2]).not.toBe(before[2]);
    expect(out[3]).not.toBe(before[3]);
    expect(out[6]).toBe(crc32(b, 3 * 16384, 100));
  });
});

describe('segment sets', () => {
  it('walks runs of set bits and treats what the map does not cover as set', () => {
    const img = emptyImage('x', 2); // 64 segments covered
    markWrite(img.words, 3 * 16384, 2 * 16384); // segments 3, 4
    markWrite(img.words, 40 * 16384, 1);
    const runs = [];
    for (let r = nextRun(img.words, 70, 0, 64); r; r = nextRun(img.words, 70, r.start + r.len, 64)) runs.push(r);
    expect(runs).toEqual([{ start: 3, len: 2 }, { start: 40, len: 1 }, { start: 64, len: 6 }]);
    expect(countPlanned(img.words, 70)).toBe(9);
    expect(countPlanned(img.words, 70, 4)).toBe(8);
    expect(nextRun(null, 10, 8, 64)).toEqual({ start: 8, len: 2 });
  });

  it('unions maps of different name sums; a shorter map leaves its tail unknown (set)', () => {
    const a = emptyImage('a', 2);
    const b = emptyImage('b', 1);
    markWrite(a.words, 0, 1);
    markWrite(b.words, 31 * 16384, 1);
    const u = unionOf(64, [a, b]);
    expect(countPlanned(u, 64)).toBe(2 + 32);
    expect(countPlanned(unionOf(50, []), 50)).toBe(0);
  });
});

describe('throttle', () => {
  it('paces to the rate and parses MB/s', async () => {
    let t = 0;
    const slept: number[] = [];
    const th = new Throttle(1e6, () => t, async (ms) => { slept.push(ms); t += ms; });
    for (let i = 0; i < 4; i++) await th.take(500_000);
    expect(t).toBeCloseTo(1500, 0);
    expect(parseThrottle('12.5')).toBe(12.5e6);
    expect(parseThrottle('50MB/s')).toBe(50e6);
    expect(() => parseThrottle('-1')).toThrow(/MB\/s/);
    expect(() => parseThrottle('fast')).toThrow(/MB\/s/);
  });
});
