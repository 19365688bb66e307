/**
 * The checksum file of a backup destination: one 8-byte checksum per 16 KiB segment, in
 * disk order, after a 64-byte header (ddless kept a bare array; the header adds what a
 * backup must check before trusting it):
 *
 *   offset 0  char[8]  "lioha-ck"
 *   offset 8  u32      version 1
 *   offset 12 u32      algorithm (1 = CRC32 + XXH32, see checksum.ts)
 *   offset 16 u32      segment size (16384)
 *   offset 20 u32      header size (64)
 *   offset 24 u64      volume size in bytes the checksums describe
 *   offset 32 u8[16]   backup set id: ties the file to the record of the last backup
 *   offset 48 u8[16]   reserved, zero
 *   offset 64 (u32 crc32, u32 xxh32)[segments]   little-endian; (0, 0) = unknown
 *
 * It always describes the destination as written (the copy updates it in place, segment
 * after segment, ahead of the journal that makes progress durable).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { openIfPresent } from '../sys/read-if-present.js';
import { ALGORITHM_CRC32_XXH32, CHECKSUM_BYTES, CHECKSUM_WORDS } from './checksum.js';
import { BackupError } from './errors.js';

export const CK_MAGIC = 'lioha-ck';
export const CK_VERSION = 1;
export const CK_HEADER_SIZE = 64;

export interface ChecksumHeader {
  algorithm: number;
  segmentSize: number;
  volumeBytes: bigint;
  /** 32 hex digits. */
  setId: string;
}

export const segmentsOf = (volumeBytes: bigint, segmentSize: number): number => Number((volumeBytes + BigInt(segmentSize) - 1n) / BigInt(segmentSize));
export const checksumFileBytes = (h: ChecksumHeader): number => CK_HEADER_SIZE + segmentsOf(h.volumeBytes, h.segmentSize) * CHECKSUM_BYTES;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeChecksumHeader(h: ChecksumHeader): Buffer {
  if (!/^[0-9a-f]{32}$/.test(h.setId)) throw new RangeError(`set id must be 32 hex digits, got ${h.setId}`);
  const b = Buffer.alloc(CK_HEADER_SIZE);
  b.write(CK_MAGIC, 0, 'latin1');
  b.writeUInt32LE(CK_VERSION, 8);
  b.writeUInt32LE(h.algorithm, 12);
  b.writeUInt32LE(h.segmentSize, 16);
  b.writeUInt32LE(CK_HEADER_SIZE, 20);
  b.writeBigUInt64LE(h.volumeBytes, 24);
  Buffer.from(h.setId, 'hex').copy(b, 32);
  return b;
}

export function decodeChecksumHeader(b: Uint8Array, what = 'checksum file'): ChecksumHeader {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (buf.length < CK_HEADER_SIZE || buf.toString('latin1', 0, 8) !== CK_MAGIC) throw new BackupError('input', `${what} is not a lioha checksum file (no "${CK_MAGIC}" header)`);
  const version = buf.readUInt32LE(8);
  if (version !== CK_VERSION) throw new BackupError('input', `${what} has version ${version}; this lioha reads version ${CK_VERSION}`);
  const algorithm = buf.readUInt32LE(12);
  if (algorithm !== ALGORITHM_CRC32_XXH32) throw new BackupError('input', `${what} uses checksum algorithm ${algorithm}; this lioha knows ${ALGORITHM_CRC32_XXH32} (CRC32 + XXH32)`);
  const segmentSize = buf.readUInt32LE(16);
  const headerSize = buf.readUInt32LE(20);
  if (headerSize !== CK_HEADER_SIZE || segmentSize === 0 || segmentSize % 512 !== 0) throw new BackupError('input', `${what} has a bad header (segment size ${segmentSize}, header size ${headerSize})`);
  return { algorithm, segmentSize, volumeBytes: buf.readBigUInt64LE(24), setId: buf.toString('hex', 32, 48) };
}

/** The header of the file at `path`, checked against the file's length; null when there is no file. */
export async function readChecksumHeader(path: string): Promise<ChecksumHeader | null> {
  const fh = await openIfPresent(path, 'r');
  if (!fh) return null;
  try {
    const b = Buffer.alloc(CK_HEADER_SIZE);
    const { bytesRead } = await fh.read(b, 0, CK_HEADER_SIZE, 0);
    const h = decodeChecksumHeader(b.subarray(0, bytesRead), path);
    const size = (await fh.stat()).size;
    if (size !== checksumFileBytes(h)) throw new BackupError('input', `${path} is ${size} bytes, its header describes ${checksumFileBytes(h)} (torn or truncated)`);
    return h;
  } finally {
    await fh.close();
  }
}

/** A checksum file open for reading and in-place updates. */
export class ChecksumFile {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    public header: ChecksumHeader,
  ) {}

  get segments(): number {
    return segmentsOf(this.header.volumeBytes, this.header.segmentSize);
  }

  static async openExisting(path: string, writable: boolean): Promise<ChecksumFile> {
    const h = await readChecksumHeader(path);
    if (!h) throw new BackupError('input', `no checksum file at ${path}`);
    return new ChecksumFile(await open(path, writable ? 'r+' : 'r'), path, h);
  }

  /**
   * Open for a run over a volume of `header.volumeBytes`: create the file (all checksums
   * unknown) when missing; when it describes another size, keep the checksums of the
   * segments both sizes share (ddless re-created the file, which rewrote every segment of
   * a grown volume) and make the rest unknown.
   */
  static async openForRun(path: string, header: ChecksumHeader): Promise<ChecksumFile> {
    const old = await readChecksumHeader(path);
    if (old && old.segmentSize !== header.segmentSize) throw new BackupError('input', `${path} has ${old.segmentSize}-byte segments, not ${header.segmentSize}`);
    const fh = await open(path, old ? 'r+' : 'wx+', 0o600);
    try {
      const f = new ChecksumFile(fh, path, header);
      if (old) {
        const oldSegs = segmentsOf(old.volumeBytes, old.segmentSize);
        const keep = Math.min(oldSegs, f.segments);
        // The last kept segment may have another length under the new size: then its checksum no longer applies.
        const lengthAt = (bytes: bigint, k: number) => bytes - BigInt(k) * BigInt(header.segmentSize);
        const last = keep - 1;
        const len = (bytes: bigint) => (lengthAt(bytes, last) < BigInt(header.segmentSize) ? lengthAt(bytes, last) : BigInt(header.segmentSize));
        if (keep > 0 && len(old.volumeBytes) !== len(header.volumeBytes)) {
          await fh.write(Buffer.alloc(CHECKSUM_BYTES), 0, CHECKSUM_BYTES, CK_HEADER_SIZE + (keep - 1) * CHECKSUM_BYTES);
        }
        await fh.truncate(CK_HEADER_SIZE + keep * CHECKSUM_BYTES); // zero anything beyond the shared part
      }
      await fh.truncate(checksumFileBytes(header));
      await fh.write(encodeChecksumHeader(header), 0, CK_HEADER_SIZE, 0);
      return f;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Checksums of segments [first, first+count) into `into` (2 words each, from word 0). */
  async readRange(first: number, count: number, into: Uint32Array): Promise<void> {
    this.check(first, count);
    const bytes = count * CHECKSUM_BYTES;
    const view = LITTLE_ENDIAN ? Buffer.from(into.buffer, into.byteOffset, bytes) : Buffer.alloc(bytes);
    let got = 0;
    while (got < bytes) {
      const { bytesRead } = await this.fh.read(view, got, bytes - got, CK_HEADER_SIZE + first * CHECKSUM_BYTES + got);
      if (bytesRead === 0) throw new BackupError('io', `${this.path}: short read at segment ${first}`);
      got += bytesRead;
    }
    if (!LITTLE_ENDIAN) for (let i = 0; i < count * CHECKSUM_WORDS; i++) into[i] = view.readUInt32LE(i * 4);
  }

  /** Write the checksums of segments [first, first+count) from `words` (2 words each, from word 0). */
  async writeRange(first: number, count: number, words: Uint32Array): Promise<void> {
    this.check(first, count);
    const bytes = count * CHECKSUM_BYTES;
    let view: Buffer;
    if (LITTLE_ENDIAN) view = Buffer.from(words.buffer, words.byteOffset, bytes);
    else {
      view = Buffer.alloc(bytes);
      for (let i = 0; i < count * CHECKSUM_WORDS; i++) view.writeUInt32LE(words[i]!, i * 4);
    }
    let put = 0;
    while (put < bytes) put += (await this.fh.write(view, put, bytes - put, CK_HEADER_SIZE + first * CHECKSUM_BYTES + put)).bytesWritten;
  }

  async sync(): Promise<void> {
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private check(first: number, count: number): void {
    if (first < 0 || count < 0 || first + count > this.segments) throw new RangeError(`segments ${first}+${count} outside 0..${this.segments}`);
  }
}
