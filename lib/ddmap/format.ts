/**
 * The ddmap image: what reading /proc/net/iet/ddmap/<target>.<lun> returns and
 * what a .ddmapdump file holds, byte for byte.
 *
 *   offset 0  char info[8]   "ddmap\0" + 2 padding bytes
 *   offset 8  u32  version   1
 *   offset 12 u32  name_sum  byte sum of "<target>.<lun>" (identifies the data set; not unique)
 *   offset 16 u32  map_size  number of u32 map words that follow
 *   offset 20 u32  map[map_size]  disk order; bit 0 of word 0 is the first 16 KiB segment
 *
 * Integers are little-endian (the kernel writes host order and IET ran on x86).
 */

export const HEADER_SIZE = 20;
export const MAGIC = 'ddmap';
export const FORMAT_VERSION = 1;
/** One map bit covers 16 KiB. */
export const SEGMENT_SHIFT = 14;
export const SEGMENT_SIZE = 1 << SEGMENT_SHIFT;
/** One u32 word covers 512 KiB. */
export const WORD_SHIFT = 19;

export interface DdmapHeader {
  version: number;
  nameSum: number;
  /** In u32 words. */
  mapSize: number;
}

/** A decoded image. `words` may share memory with the buffer it came from. */
export interface DdmapImage {
  header: DdmapHeader;
  words: Uint32Array;
}

export class DdmapFormatError extends Error {
  override name = 'DdmapFormatError';
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Sum of the bytes of the proc entry name (`<target>.<lun>`), as the kernel stores it (u32, wrapping). */
export function nameSum(entryName: string): number {
  let sum = 0;
  for (const b of Buffer.from(entryName, 'latin1')) sum = (sum + b) >>> 0;
  return sum;
}

/** map_size in words for a volume of `bytes` bytes: (size >> 14) >> 5, as ddmap_lun_init computes it. */
export function mapSizeForVolume(bytes: bigint | number): number {
  const words = (BigInt(bytes) >> BigInt(SEGMENT_SHIFT)) >> 5n;
  if (words > 0xffffffffn) throw new RangeError(`volume of ${bytes} bytes exceeds the 2 PiB ddmap limit`);
  return Number(words);
}

/** Map size in bytes (map_size_bytes, as `ddmap -a` prints it). */
export const mapBytes = (h: DdmapHeader): number => h.mapSize * 4;
/** Total image length: header plus map. */
export const imageBytes = (h: DdmapHeader): number => HEADER_SIZE + h.mapSize * 4;

export function decodeHeader(buf: Uint8Array): DdmapHeader {
  if (buf.length < HEADER_SIZE) throw new DdmapFormatError(`ddmap header needs ${HEADER_SIZE} bytes, got ${buf.length}`);
  const info = buf.subarray(0, 8);
  const magicEnd = info.indexOf(0);
  const magic = Buffer.from(info.subarray(0, magicEnd < 0 ? 8 : magicEnd)).toString('latin1');
  if (magic !== MAGIC || magicEnd !== MAGIC.length) {
    throw new DdmapFormatError(`not a ddmap image: info is ${JSON.stringify(magic)}, expected "ddmap\\0"`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, HEADER_SIZE);
  const header = { version: dv.getUint32(8, true), nameSum: dv.getUint32(12, true), mapSize: dv.getUint32(16, true) };
  if (header.version !== FORMAT_VERSION) {
    throw new DdmapFormatError(`unsupported ddmap version ${header.version} (this tool reads version ${FORMAT_VERSION})`);
  }
  return header;
}

/**
 * Decode a whole image. The length must be exactly header + map: a short
 * image is a torn read, a long one is not a ddmap image.
 */
export function decodeImage(buf: Uint8Array): DdmapImage {
  const header = decodeHeader(buf);
  const want = imageBytes(header);
  if (buf.length !== want) {
    throw new DdmapFormatError(
      `ddmap image is ${buf.length} bytes but its header declares ${header.mapSize} words (${want} bytes)`,
    );
  }
  return { header, words: wordsOf(buf.subarray(HEADER_SIZE), header.mapSize) };
}

/** View (or, when unaligned or on a big-endian host, copy) `count` little-endian u32 words. */
function wordsOf(bytes: Uint8Array, count: number): Uint32Array {
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Uint32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, count * 4);
  for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}

export function encodeHeader(h: DdmapHeader, into: Uint8Array = new Uint8Array(HEADER_SIZE)): Uint8Array {
  into.fill(0, 0, 8);
  into.set(Buffer.from(MAGIC, 'latin1'), 0);
  const dv = new DataView(into.buffer, into.byteOffset, HEADER_SIZE);
  dv.setUint32(8, h.version >>> 0, true);
  dv.setUint32(12, h.nameSum >>> 0, true);
  dv.setUint32(16, h.mapSize >>> 0, true);
  return into;
}

/** Encode header and words into one buffer (a .ddmapdump file's bytes). */
export function encodeImage(img: DdmapImage): Buffer {
  if (img.words.length !== img.header.mapSize) {
    throw new DdmapFormatError(`header declares ${img.header.mapSize} words but the map has ${img.words.length}`);
  }
  const out = Buffer.allocUnsafe(imageBytes(img.header));
  encodeHeader(img.header, out);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(img.words.buffer, img.words.byteOffset, img.words.byteLength), HEADER_SIZE);
  } else {
    for (let i = 0; i < img.words.length; i++) out.writeUInt32LE(img.words[i]!, HEADER_SIZE + i * 4);
  }
  return out;
}

/** A zeroed map for `entryName` with `mapSize` words (what the kernel has right after ddmap_lun_init). */
export function emptyImage(entryName: string, mapSize: number): DdmapImage {
  return { header: { version: FORMAT_VERSION, nameSum: nameSum(entryName), mapSize }, words: new Uint32Array(mapSize) };
}
