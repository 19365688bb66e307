import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

/**
 * Synchronous, read-only access to the configfs target root for the statistics
 * scrape. Statistics attributes are lock-free counter reads in the kernel, and a
 * 32-LUN x 32-ACL scrape is thousands of small reads: one thread-pool round trip
 * each would cost more than the work. Nothing here writes.
 */
export interface TreeReader {
  /** Host path of the target root. */
  readonly base: string;
  /** Attribute text with the trailing newline removed; undefined when missing or unreadable. */
  read(rel: string): string | undefined;
  /** The whole attribute, byte for byte (latin1), undefined when missing or unreadable. */
  raw(rel: string): string | undefined;
  /** Subdirectory names, [] when missing. */
  dirs(rel: string): string[];
  /** Entry names without their kinds (cheaper), [] when missing. */
  names(rel: string): string[];
  /** Entries with their kind, [] when missing. */
  entries(rel: string): { name: string; dir: boolean; link: boolean }[];
  /** Link text of rel, undefined when missing. */
  readlink(rel: string): string | undefined;
}

/** configfs attributes are at most one page; a longer file is read in further chunks. */
const PAGE = 8192;
/**
 * readFileSync's UTF-8 path opens, reads and closes in one call into Node's C++ (three calls
 * and their argument checks with openSync/readSync/closeSync); a constant options object
 * spares it copying the defaults at each call.
 */
const UTF8 = { encoding: 'utf8', flag: 'r' } as const;

export function openTreeReader(base: string): TreeReader {
  const abs = (rel: string) => (rel === '' ? base : `${base}/${rel}`);
  // The walk log keeps attributes byte for byte: one reused buffer, read until a short read.
  let buf = Buffer.allocUnsafe(PAGE);
  const raw = (rel: string): string | undefined => {
    let fd: number;
    try {
      fd = openSync(abs(rel), 'r');
    } catch {
      return undefined;
    }
    try {
      let len = 0;
      for (;;) {
        if (len === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        const room = buf.length - len;
        const n = readSync(fd, buf, len, room, null);
        len += n;
        // A short read is the end: configfs hands over the whole attribute in one read.
        if (n < room) break;
      }
      return buf.toString('latin1', 0, len);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  };
  const entries = (rel: string) => {
    try {
      return readdirSync(abs(rel), { withFileTypes: true })
        .filter((d) => !d.name.startsWith('.lioha'))
        .map((d) => ({ name: d.name, dir: d.isDirectory(), link: d.isSymbolicLink() }));
    } catch {
      return [];
    }
  };
  return {
    base,
    read(rel) {
      let t: string;
      try {
        t = readFileSync(abs(rel), UTF8);
      } catch {
        return undefined;
      }
      return t.endsWith('\n') ? t.slice(0, -1) : t;
    },
    raw,
    names(rel) {
      try {
        return readdirSync(abs(rel));
      } catch {
        return [];
      }
    },
    dirs: (rel) => entries(rel).filter((e) => e.dir).map((e) => e.name),
    entries,
    readlink(rel) {
      try {
        return readlinkSync(abs(rel));
      } catch {
        return undefined;
      }
    },
  };
}

const COUNTER_RE = /^\s*\d+\s*$/;
/** A kernel counter as a number; undefined for an empty or non-numeric value (no session, error). */
export function counter(text: string | undefined): number | undefined {
  return text !== undefined && COUNTER_RE.test(text) ? Number(text) : undefined;
}

/** Link text (../../../target/core/iblock_0/lun0 or an absolute path) -> path relative to the target root. */
export function linkToRel(text: string, base: string): string {
  if (text.startsWith('/')) return text.startsWith(base + '/') ? text.slice(base.length + 1) : text;
  const i = text.indexOf('/target/');
  if (i >= 0 && /^(\.\.\/)*$/.test(text.slice(0, i + 1))) return text.slice(i + 8);
  const parts = text.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  if (parts[0] === 'target') parts.shift();
  return parts.join('/');
}
