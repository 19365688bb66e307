import { describe, expect, it } from 'vitest';
import { markWrite } from '../../lib/ddmap/bits.js';
import { emptyImage } from '../../lib/ddmap/format.js';
import { MergeRefusedError, mergeAll, mergeImage, mergeRefusal, orInto } from '../../lib/ddmap/merge.js';

const E = 'iqn.2026-11.test:t1.0';

describe('ddmap merge', () => {
  it('ORs the bits (including word counts that are not a multiple of the unroll)', () => {
    for (const n of [1, 7, 8, 9, 24, 1003]) {
      const a = new Uint32Array(n).map((_, i) => (i * 0x9e3779b1) >>> 0);
      const b = new Uint32Array(n).map((_, i) => (i * 0x85ebca6b + 7) >>> 0);
      const want = a.map((v, i) => (v | b[i]!) >>> 0);
      orInto(a, b);
      expect(Array.from(a)).toEqual(Array.from(want));
    }
  });

  it('creates the target from the source when there is none (a copy, not an alias)', () => {
    const src = emptyImage(E, 24);
    markWrite(src.words, 0, 16384);
    const out = mergeImage(null, src);
    expect(out.header).toEqual(src.header);
    src.words[0] = 0;
    expect(out.words[0]).toBe(1);
  });

  it('refuses a name_sum mismatch and a source smaller than the target', () => {
    const t = emptyImage(E, 24);
    expect(mergeRefusal(t.header, emptyImage('iqn.2026-11.test:t2.0', 24).header)).toMatch(/name sum differs/);
    expect(() => mergeImage(t, emptyImage('iqn.2026-11.test:t2.0', 24))).toThrow(MergeRefusedError);
    expect(() => mergeImage(t, emptyImage(E, 23))).toThrow(/smaller than the target/);
    expect(mergeRefusal(t.header, emptyImage(E, 24).header)).toBeNull();
  });

  it('a larger source (grown volume) grows the target and keeps its old bits', () => {
    const t = emptyImage(E, 24);
    markWrite(t.words, 0, 16384);
    const s = emptyImage(E, 48);
    markWrite(s.words, 47 * 32 * 16384, 16384);
    const out = mergeImage(t, s);
    expect(out.header.mapSize).toBe(48);
    expect(out.words.length).toBe(48);
    expect(out.words[0]).toBe(1);
    expect(out.words[47]).toBe(1);
  });

  it('merges many dumps in ascending size order, so older smaller dumps are not refused for order alone', () => {
    const big = emptyImage(E, 48);
    markWrite(big.words, 40 * 512 * 1024, 16384);
    const small = emptyImage(E, 24);
    markWrite(small.words, 0, 16384);
    const out = mergeAll(null, [big, small]);
    expect(out.header.mapSize).toBe(48);
    expect(out.words[0]).toBe(1);
    expect(out.words[40]).toBe(1);
    expect(() => mergeAll(emptyImage(E, 48), [small])).toThrow(/smaller/);
    expect(() => mergeAll(null, [])).toThrow(MergeRefusedError);
  });
});
