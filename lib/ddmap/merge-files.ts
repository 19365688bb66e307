/**
 * `lioha ddmap merge`: OR many dumps (and optionally the live map) into one
 * target file, with the Amherst tool's checks and messages. The target is
 * replaced atomically.
 *
 * Speed: every header is checked first (nothing is read twice, nothing is
 * written when a source is refused), then files are read into two reused
 * buffers, the next read running on the thread pool while the current one is
 * OR-ed in: no per-file allocation, no page faults on fresh 16 MiB buffers.
 * Without a target, the first map is read straight into the result.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { type DdmapHeader, type DdmapImage, DdmapFormatError, HEADER_SIZE, decodeHeader, decodeImage, encodeImage, imageBytes } from './format.js';
import { MergeRefusedError, mergeRefusal, orInto } from './merge.js';

/** A source: a decoded image (e.g. a live capture) or a dump file read during the merge. */
export type MergeSource = { label: string; image: DdmapImage } | { label: string; path: string };

export async function readImageFile(path: string): Promise<DdmapImage> {
  const buf = await readFile(path);
  try {
    return decodeImage(buf);
  } catch (e) {
    if (e instanceof DdmapFormatError) throw new DdmapFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Target image or null when the file does not exist. */
export async function readTarget(path: string): Promise<DdmapImage | null> {
  try {
    return await readImageFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Header of a dump file, checked against the file length (a torn dump is refused before any work). */
export async function readHeaderFile(path: string): Promise<DdmapHeader> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEADER_SIZE, 0);
    const h = decodeHeader(head.subarray(0, bytesRead));
    const size = (await fh.stat()).size;
    if (size !== imageBytes(h)) throw new DdmapFormatError(`file is ${size} bytes, its header declares ${imageBytes(h)}`);
    return h;
  } catch (e) {
    if (e instanceof DdmapFormatError) throw new DdmapFormatError(`${path}: ${e.message}`);
    throw e;
  } finally {
    await fh.close();
  }
}

/**
 * Merge `sources` into the file at `targetPath` (created when missing).
 * Sources are applied in ascending map size, so older, smaller dumps of a
 * grown volume come first; a source smaller than what it merges into, or of
 * another LUN, is refused and the target stays untouched.
 */
export async function mergeIntoFile(targetPath: string, sources: readonly MergeSource[], say: (line: string) => void = () => undefined): Promise<DdmapImage> {
  const target = await readTarget(targetPath);
  if (target === null) say('target does not exist creating new file');
  if (target === null && sources.length === 0) throw new MergeRefusedError('nothing to merge: no target and no source');

  const withHeaders: Array<{ s: MergeSource; i: number; header: DdmapHeader }> = [];
  for (const [i, s] of sources.entries()) {
    withHeaders.push({ s, i, header: 'image' in s ? s.image.header : await readHeaderFile(s.path) });
  }
  withHeaders.sort((a, b) => a.header.mapSize - b.header.mapSize || a.i - b.i);

  // All checks before any work.
  let acc: DdmapHeader | null = target?.header ?? null;
  for (const { s, header } of withHeaders) {
    if (acc !== null) {
      const refusal = mergeRefusal(acc, header);
      if (refusal) throw new MergeRefusedError(`${s.label}: ${refusal}`);
      say(`${s.label}: name sum matches on source and target good`);
      say(`${s.label}: source is greater or equal to target size good`);
    }
    say(`${s.label}: source map_size ${header.mapSize} target map_size ${acc?.mapSize ?? 0}`);
    acc = { ...(acc ?? header), mapSize: header.mapSize };
  }
  const outHeader = acc!;
  const words = new Uint32Array(outHeader.mapSize);
  if (target) words.set(target.words);

  // OR pass: double-buffered reads of file sources.
  const maxFile = Math.max(0, ...withHeaders.filter((x) => 'path' in x.s).map((x) => imageBytes(x.header)));
  const scratch = maxFile ? [Buffer.allocUnsafe(maxFile), Buffer.allocUnsafe(maxFile)] : [];
  const load = (k: number): Promise<Uint32Array> | null => {
    const x = withHeaders[k];
    if (!x) return null;
    if ('image' in x.s) return Promise.resolve(x.s.image.words);
    const buf = scratch[k % 2]!;
    const len = imageBytes(x.header);
    const path = x.s.path;
    return readInto(path, buf, len).then(() => {
      const img = decodeImage(buf.subarray(0, len));
      if (img.header.nameSum !== x.header.nameSum || img.header.mapSize !== x.header.mapSize) {
        throw new DdmapFormatError(`${path}: changed while merging`);
      }
      return img.words;
    });
  };
  // With no target, the first source is read straight into the result: one copy and one OR pass fewer.
  let first = 0;
  if (!target && withHeaders.length) {
    const x = withHeaders[0]!;
    if ('image' in x.s) words.set(x.s.image.words);
    else await readMapInto(x.s.path, x.header, words);
    first = 1;
  }
  let next = load(first);
  for (let k = first; k < withHeaders.length; k++) {
    const cur = await next!;
    next = load(k + 1); // starts reading into the other buffer while this one is OR-ed
    orInto(words.subarray(0, cur.length), cur);
  }
  const result: DdmapImage = { header: outHeader, words };
  await writeFileAtomic(targetPath, encodeImage(result));
  say('merge completed');
  return result;
}

/** Read a dump's map words (after the header) into the start of `words`, checking the header did not change. */
async function readMapInto(path: string, header: DdmapHeader, words: Uint32Array): Promise<void> {
  const len = imageBytes(header);
  const buf = Buffer.from(words.buffer, words.byteOffset, header.mapSize * 4);
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(HEADER_SIZE);
    await fh.read(head, 0, HEADER_SIZE, 0);
    const h = decodeHeader(head);
    if (h.nameSum !== header.nameSum || h.mapSize !== header.mapSize) throw new DdmapFormatError(`${path}: changed while merging`);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, HEADER_SIZE + got);
      if (bytesRead === 0) throw new DdmapFormatError(`${path}: shorter than its header declares`);
      got += bytesRead;
    }
    if ((await fh.stat()).size !== len) throw new DdmapFormatError(`${path}: changed size while merging`);
  } finally {
    await fh.close();
  }
  if (!LITTLE_ENDIAN) for (let i = 0; i < header.mapSize; i++) words[i] = buf.readUInt32LE(i * 4);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

async function readInto(path: string, buf: Buffer, len: number): Promise<void> {
  const fh = await open(path, 'r');
  try {
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, got);
      if (bytesRead === 0) throw new DdmapFormatError(`${path}: shorter than its header declares`);
      got += bytesRead;
    }
    if ((await stat(path)).size !== len) throw new DdmapFormatError(`${path}: changed size while merging`);
  } finally {
    await fh.close();
  }
}
