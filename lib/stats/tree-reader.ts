import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { resolve } from 'node:path';

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
  /**
   * Attributes `names` of directory rel, as read() gives them, in order. For the scrape's hot
   * directories (a statistics directory per mapped LUN): the process changes into the directory
   * once and opens each attribute by its bare name, so the kernel walks the long path once, not
   * once per attribute. Call release() when done.
   */
  readIn(rel: string, names: readonly string[]): (string | undefined)[];
  /** Back to the working directory the process had before readIn (idempotent). */
  release(): void;
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

export function openTreeReader(root: string): TreeReader {
  // Absolute: readIn changes the working directory, a relative base would then point elsewhere.
  const base = resolve(root);
  const abs = (rel: string) => (rel === '' ? base : `${base}/${rel}`);
  const text = (path: string): string | undefined => {
    let t: string;
    try {
      t = readFileSync(path, UTF8);
    } catch {
      return undefined;
    }
    return t.endsWith('\n') ? t.slice(0, -1) : t;
  };
  /** The working directory to go back to; null once changing directory turned out impossible (a worker thread, a deleted cwd). */
  let home: string | null | undefined;
  /** The directory readIn moved into, undefined when at home. */
  let here: string | undefined;
  const enter = (dir: string): 'in' | 'missing' | 'no-chdir' => {
    if (here === dir) return 'in';
    if (home === null) return 'no-chdir';
    try {
      home ??= process.cwd();
    } catch {
      home = null;
      return 'no-chdir';
    }
    try {
      process.chdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
      // Worker threads cannot change directory: read by absolute paths from now on.
      if (code === 'ERR_WORKER_UNSUPPORTED_OPERATION' && here === undefined) home = null;
      return 'no-chdir';
    }
    here = dir;
    return 'in';
  };
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
    read: (rel) => text(abs(rel)),
    readIn(rel, names) {
      const dir = abs(rel);
      const out: (string | undefined)[] = new Array(names.length);
      // One attribute (a munin graph's bytes) is cheaper by its full path than with a chdir.
      const where = names.length > 1 ? enter(dir) : 'no-chdir';
      for (let i = 0; i < names.length; i++) {
        out[i] = where === 'in' ? text(names[i]!) : where === 'missing' ? undefined : text(`${dir}/${names[i]}`);
      }
      return out;
    },
    release() {
      if (here === undefined || !home) return;
      here = undefined;
      try {
        process.chdir(home);
      } catch {
        // The old working directory is gone: nothing relative follows a scrape.
      }
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
