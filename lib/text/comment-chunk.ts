/**
 * Code carried inside JavaScript block comments at the end of a bundle, so that V8 skips it at
 * start-up and the bundle compiles a chunk only when asked (scripts/build.ts: the `lioha` CLI's
 * commands). A comment ends at the first star-slash, so the text is escaped with \x01: a \x01
 * becomes two, and a star-slash becomes star \x01 slash. A trailer comment on the last line
 * indexes the chunks by byte offset, so a command reads its own chunk and not the whole file.
 * The offsets count back from the trailer, not from the start of the file: installing rewrites
 * the launcher's interpreter line at the top (packaging/Makefile), which may change its length.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const ESC = '\u0001';
const START = (name: string) => `\n/*${ESC}lioha-chunk ${name}\n`;
/** The escaped code holds no star-slash: the first one after the start ends the chunk. */
const END = '\n*/';
const TRAILER = '/*lioha-chunks ';
/** The trailer is one short line; this much of the file's end holds it. */
const TAIL = 512;

/** Chunk name -> [bytes from the chunk's start to the trailer's, length in bytes]. */
export type ChunkIndex = Record<string, readonly [beforeTrailer: number, length: number]>;

export function escapeForComment(code: string): string {
  return code.replaceAll(ESC, ESC + ESC).replaceAll('*/', `*${ESC}/`);
}

export function unescapeFromComment(text: string): string {
  if (!text.includes(ESC)) return text;
  return text.replace(/\u0001\u0001|\*\u0001\//g, (m) => (m === ESC + ESC ? ESC : '*/'));
}

/** The bundle text followed by its chunks and the trailer that indexes them. */
export function appendChunks(bundle: string, chunks: readonly (readonly [name: string, code: string])[]): string {
  let out = bundle;
  const starts: [string, number, number][] = [];
  for (const [name, code] of chunks) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad chunk name ${JSON.stringify(name)}`);
    const escaped = escapeForComment(code);
    out += START(name);
    starts.push([name, Buffer.byteLength(out), Buffer.byteLength(escaped)]);
    out += `${escaped}${END}\n`;
  }
  const at = Buffer.byteLength(out);
  const index: Record<string, [number, number]> = {};
  for (const [name, start, length] of starts) index[name] = [at - start, length];
  const trailer = `${TRAILER}${JSON.stringify(index)}*/\n`;
  if (trailer.length > TAIL) throw new Error('chunk index too long for the trailer');
  return out + trailer;
}

/** The code of chunk `name` in a bundle's text, undefined when it has none. */
export function findChunk(text: string, name: string): string | undefined {
  const start = START(name);
  const i = text.indexOf(start);
  if (i < 0) return undefined;
  const j = text.indexOf(END, i + start.length);
  if (j < 0) return undefined;
  return unescapeFromComment(text.slice(i + start.length, j));
}

/** Chunk `name` of the bundle at `file`: its bytes only, found through the trailer; undefined when it has none. */
export function readChunk(file: string, name: string): string | undefined {
  const buf = readChunkBytes(file, name);
  return buf === undefined ? undefined : unescapeFromComment(buf.toString('utf8'));
}

/** The escaped bytes of chunk `name` (for a chunk of base64 text, which needs no unescaping). */
export function readChunkBytes(file: string, name: string): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(TAIL, size);
    const tail = Buffer.allocUnsafe(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    // latin1: one character per byte, so the trailer's index in the text is its byte offset.
    const text = tail.toString('latin1');
    const at = text.lastIndexOf(TRAILER);
    if (at < 0) return undefined;
    const index = JSON.parse(text.slice(at + TRAILER.length, text.lastIndexOf('*/'))) as ChunkIndex;
    const where = index[name];
    if (!where) return undefined;
    const start = size - tailLen + at - where[0];
    if (start < 0) return undefined;
    const buf = Buffer.allocUnsafe(where[1]);
    return readSync(fd, buf, 0, where[1], start) === where[1] ? buf : undefined;
  } finally {
    closeSync(fd);
  }
}
