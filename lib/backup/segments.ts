/**
 * The set of segments a run copies: null for every segment (a full read), or a change map in
 * ddmap bit order (bit b of word w = segment 32w + b). Segments past the map's end count as
 * set: a ddmap sized (size >> 14) >> 5 words does not cover the tail of a volume whose size
 * is not a multiple of 512 KiB, and a tail nobody tracked must be read.
 */
import type { DdmapImage } from '../ddmap/format.js';

export type SegmentSet = Uint32Array | null;

export const isPlanned = (set: SegmentSet, seg: number): boolean =>
  set === null || seg >= set.length * 32 || ((set[seg >>> 5]! >>> (seg & 31)) & 1) === 1;

/** The first run of planned segments at or after `from`, at most `maxLen` long, before `segments`; null when none is left. */
export function nextRun(set: SegmentSet, segments: number, from: number, maxLen: number): { start: number; len: number } | null {
  if (from >= segments) return null;
  if (set === null) return { start: from, len: Math.min(maxLen, segments - from) };
  let s = from;
  const covered = Math.min(segments, set.length * 32);
  // Skip clear bits a word at a time.
  while (s < covered) {
    const w = set[s >>> 5]! >>> (s & 31);
    if (w !== 0) {
      s += 31 - Math.clz32(w & -w);
      break;
    }
    s = (s | 31) + 1;
  }
  if (s >= segments) return null;
  let e = s + 1;
  while (e < segments && e - s < maxLen && isPlanned(set, e)) e++;
  return { start: s, len: e - s };
}

/** How many segments in [from, segments) are planned. */
export function countPlanned(set: SegmentSet, segments: number, from = 0): number {
  if (from >= segments) return 0;
  if (set === null) return segments - from;
  let n = 0;
  const covered = Math.min(segments, set.length * 32);
  let s = from;
  for (; s < covered && (s & 31) !== 0; s++) n += isPlanned(set, s) ? 1 : 0;
  for (; s + 32 <= covered; s += 32) n += popcount(set[s >>> 5]!);
  for (; s < covered; s++) n += isPlanned(set, s) ? 1 : 0;
  return n + Math.max(0, segments - Math.max(covered, from));
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * OR change maps into one set over `segments`. Maps of one LV from different sources (IET
 * dumps, dm-era images) carry different name sums; the store already keys them by LV, so
 * only their coverage matters here. A map shorter than the volume covers what it covers
 * (a dump taken before the volume grew); a resize forces a full read before this is used.
 */
export function unionOf(segments: number, maps: readonly DdmapImage[]): Uint32Array {
  const words = new Uint32Array(Math.ceil(segments / 32));
  for (const m of maps) {
    const n = Math.min(words.length, m.words.length);
    for (let i = 0; i < n; i++) words[i]! |= m.words[i]!;
  }
  // Segments the shortest map does not cover are unknown: the caller's full-coverage rule (isPlanned past the end) applies only to the set itself.
  const cover = maps.length ? Math.min(...maps.map((m) => m.words.length * 32)) : segments;
  for (let s = cover; s < segments; s++) words[s >>> 5]! |= 1 << (s & 31);
  // Bits past the last segment stay clear.
  const tail = segments & 31;
  if (tail && words.length) words[words.length - 1]! &= (1 << tail) - 1 || 0xffffffff;
  return words;
}
