/**
 * The kernel's write-to-bits computation (ddmap_lun_exec in the IET ddmap
 * patch), reproduced operation for operation so tests and the benchmark can
 * build maps from write patterns and match the manual's dmesg traces.
 */
import { SEGMENT_SHIFT, WORD_SHIFT } from './format.js';

const SEGMENT_MASK = 0x3fffn; // DDMAP_SEGMENT_MASK
const MAP_BIT_EXP = 0x7c000n; // DDMAP_MAP_BIT_EXP: ppos bits 14..18 pick the bit in the word

/** One step the kernel takes for a write, as its dprintk trace shows it. */
export interface WriteTrace {
  /** Aligned position (ppos after subtracting ppos_align). */
  ppos: bigint;
  /** size after alignment and the -1 (bytes 0..size inclusive). */
  size: number;
  ppos_align: number;
  map_offset: bigint;
  map_bit_exp: number;
  size_bits: number;
  /** The (word index, mask) pairs OR-ed into the map, in order. */
  sets: Array<{ word: number; mask: number }>;
}

/**
 * Record a write of `size` bytes at byte offset `ppos` into `map`, exactly as
 * the kernel does: align ppos down to 16 KiB and grow size by the same amount,
 * subtract one (so size is the last byte's offset), then set size_bits + 1 bits
 * starting at bit map_bit_exp of word map_offset, flushing the mask at each word
 * rollover and once at the end, never past the end of the map. All arithmetic
 * on size is u32 like the kernel's; a zero-length write is refused (the block
 * and file I/O paths never issue one, and the kernel's size-1 would wrap).
 */
export function markWrite(map: Uint32Array, ppos: bigint | number, size: number): WriteTrace {
  if (!Number.isInteger(size) || size <= 0 || size > 0xffffffff) throw new RangeError(`write size must be 1..2^32-1, got ${size}`);
  let pos = BigInt(ppos);
  if (pos < 0n) throw new RangeError(`write position must be >= 0, got ${pos}`);
  const ppos_align = Number(pos & SEGMENT_MASK);
  pos -= BigInt(ppos_align);
  const sz = (((size + ppos_align) >>> 0) - 1) >>> 0;
  const map_offset = pos >> BigInt(WORD_SHIFT);
  const map_bit_exp = Number((pos & MAP_BIT_EXP) >> BigInt(SEGMENT_SHIFT));
  const size_bits = sz >>> SEGMENT_SHIFT;
  const trace: WriteTrace = { ppos: pos, size: sz, ppos_align, map_offset, map_bit_exp, size_bits, sets: [] };

  const len = map.length;
  let word = map_offset < BigInt(len) ? Number(map_offset) : len; // past the end: every set is bounds-checked away
  let bit = (1 << map_bit_exp) >>> 0;
  let mask = 0;
  let left = size_bits;
  do {
    mask = (mask | bit) >>> 0;
    bit = (bit << 1) >>> 0;
    if (bit === 0) {
      if (word < len) {
        map[word]! |= mask;
        trace.sets.push({ word, mask });
      }
      word++;
      bit = 1;
      mask = 0;
    }
  } while (left-- > 0);
  if (mask !== 0 && word < len) {
    map[word]! |= mask;
    trace.sets.push({ word, mask });
  }
  return trace;
}

/** Number of set bits (16 KiB segments written) in a map. */
export function countSetBits(map: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < map.length; i++) {
    let v = map[i]!;
    if (v === 0) continue;
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

export interface MapSummary {
  words: number;
  segments: number;
  segmentsWritten: number;
  /** Bytes a map-driven backup reads: written segments x 16 KiB. */
  bytesFlagged: number;
  /** Share of the volume flagged, 0..1. */
  ratio: number;
  /** Byte offsets on the volume of the first and last flagged segment, or null when clean. */
  firstFlagged: number | null;
  lastFlagged: number | null;
}

export function summarize(map: Uint32Array): MapSummary {
  const segmentsWritten = countSetBits(map);
  let first = -1;
  let last = -1;
  for (let i = 0; i < map.length; i++) if (map[i] !== 0) { first = i; break; }
  for (let i = map.length - 1; i >= 0; i--) if (map[i] !== 0) { last = i; break; }
  const segments = map.length * 32;
  const seg = (word: number, v: number, lowest: boolean): number => {
    const b = lowest ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
    return (word * 32 + b) * (1 << SEGMENT_SHIFT);
  };
  return {
    words: map.length,
    segments,
    segmentsWritten,
    bytesFlagged: segmentsWritten * (1 << SEGMENT_SHIFT),
    ratio: segments === 0 ? 0 : segmentsWritten / segments,
    firstFlagged: first < 0 ? null : seg(first, map[first]!, true),
    lastFlagged: last < 0 ? null : seg(last, map[last]!, false),
  };
}
