import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';

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
  /** The whole attribute, undefined when missing or unreadable. */
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

export function openTreeReader(base: string): TreeReader {
  // Plain concatenation and one reused buffer: a scrape reads thousands of tiny files, and
  // readFileSync's per-call fstat, option parsing and fresh buffer cost more than the reads.
  const abs = (rel: string) => (rel === '' ? base : `${base}/${rel}`);
  let buf = Buffer.allocUnsafe(PAGE);
  const readAll = (rel: string): string | undefined => {
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
      const t = readAll(rel);
      return t !== undefined && t.endsWith('\n') ? t.slice(0, -1) : t;
    },
    raw: readAll,
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

/** A kernel counter as a number; undefined for an empty or non-numeric value (no session, error). */
export function counter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
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
