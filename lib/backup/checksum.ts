/**
 * The per-segment checksum of a backup: CRC32 and XXH32 of the segment, 8 bytes together,
 * as ddless kept CRC32 plus a Murmur hash per 16 KiB segment.
 *
 * Why this pair: a segment whose checksum is unchanged is not rewritten, so a collision
 * would leave a stale segment in the backup. Two unrelated 32-bit functions make an
 * accidental collision ~2^-64 per comparison; CRC32 also catches every burst error of up to
 * 32 bits outright (what a bad disk or cable produces). CRC32 comes from zlib (native, in
 * Node since 20.15; a slicing-by-8 table otherwise), XXH32 is plain JavaScript over 32-bit
 * words (four independent lanes, Math.imul only) and runs at memory speed in V8. SHA-256 and
 * MD5 from node:crypto measured 5-10x slower per 16 KiB segment (bench/backup.ts prints the
 * figures), and this module stays free of node:crypto.
 */
import * as zlib from 'node:zlib';

export const CHECKSUM_WORDS = 2;
export const CHECKSUM_BYTES = 8;
/** Algorithm id stored in the checksum file header. */
export const ALGORITHM_CRC32_XXH32 = 1;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---- CRC32 (IEEE 802.3, reflected, as zlib and ddless) ----
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
let table: Int32Array | undefined;

function crcTable(): Int32Array {
  if (table) return table;
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let s = 1; s < 8; s++) { const p = t[(s - 1) * 256 + n]!; t[s * 256 + n] = (p >>> 8) ^ t[p & 255]!; }
  return (table = t);
}

/** CRC32 in JavaScript (slicing by 8): the fallback for Node without zlib.crc32, and the reference in tests. */
export function crc32Js(b: Uint8Array, off = 0, len = b.length - off): number {
  const T = crcTable();
  let c = ~0;
  let i = off;
  const end = off + len;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    const d = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
    c = T[1792 + (a & 255)]! ^ T[1536 + ((a >>> 8) & 255)]! ^ T[1280 + ((a >>> 16) & 255)]! ^ T[1024 + (a >>> 24)]! ^
      T[768 + (d & 255)]! ^ T[512 + ((d >>> 8) & 255)]! ^ T[256 + ((d >>> 16) & 255)]! ^ T[d >>> 24]!;
  }
  for (; i < end; i++) c = T[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32(b: Uint8Array, off = 0, len = b.length - off): number {
  return nativeCrc32 ? nativeCrc32(b.subarray(off, off + len)) >>> 0 : crc32Js(b, off, len);
}

// ---- XXH32 (Yann Collet's xxHash, 32-bit), seed 0 ----
const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/** XXH32 of b[off, off+len), seed 0. Uses a 32-bit word view when the data is 4-byte aligned on a little-endian host. */
export function xxh32(b: Uint8Array, off = 0, len = b.length - off): number {
  const end = off + len;
  let i = off;
  let h: number;
  const aligned = LITTLE_ENDIAN && (b.byteOffset + off) % 4 === 0;
  if (len >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    const stripes = len >>> 4;
    if (aligned) {
      const w = new Int32Array(b.buffer, b.byteOffset + off, stripes * 4);
      for (let k = 0; k < w.length; k += 4) {
        v1 = Math.imul(rotl((v1 + Math.imul(w[k]!, P2)) | 0, 13), P1);
        v2 = Math.imul(rotl((v2 + Math.imul(w[k + 1]!, P2)) | 0, 13), P1);
        v3 = Math.imul(rotl((v3 + Math.imul(w[k + 2]!, P2)) | 0, 13), P1);
        v4 = Math.imul(rotl((v4 + Math.imul(w[k + 3]!, P2)) | 0, 13), P1);
      }
    } else {
      for (let k = 0; k < stripes; k++, i += 16) {
        v1 = Math.imul(rotl((v1 + Math.imul(word(b, i), P2)) | 0, 13), P1);
        v2 = Math.imul(rotl((v2 + Math.imul(word(b, i + 4), P2)) | 0, 13), P1);
        v3 = Math.imul(rotl((v3 + Math.imul(word(b, i + 8), P2)) | 0, 13), P1);
        v4 = Math.imul(rotl((v4 + Math.imul(word(b, i + 12), P2)) | 0, 13), P1);
      }
    }
    i = off + stripes * 16;
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + len) | 0;
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(word(b, i), P3)) | 0, 17), P4);
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const word = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/**
 * Checksums of consecutive segments: `buf[0, len)` split into `segmentSize` pieces (the last may
 * be short: the tail of a volume whose size is not a multiple of the segment), written as
 * (crc32, xxh32) pairs into `out` from word `at`.
 */
export function checksumSegments(buf: Uint8Array, len: number, segmentSize: number, out: Uint32Array, at = 0): number {
  let n = 0;
  for (let off = 0; off < len; off += segmentSize, n++) {
    const l = Math.min(segmentSize, len - off);
    out[at + 2 * n] = crc32(buf, off, l);
    out[at + 2 * n + 1] = xxh32(buf, off, l);
  }
  return n;
}

/** The checksum of a segment nobody knows: what a fresh checksum file holds (a real segment matches it with probability 2^-64). */
export const UNKNOWN_CHECKSUM: readonly [number, number] = [0, 0];
