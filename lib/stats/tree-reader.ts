import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

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
  /** Directory entries (names), [] when missing. */
  dirs(rel: string): string[];
  /** Entries with their kind, [] when missing. */
  entries(rel: string): { name: string; dir: boolean; link: boolean }[];
  /** Link text of rel, undefined when missing. */
  readlink(rel: string): string | undefined;
}

export function openTreeReader(base: string): TreeReader {
  const abs = (rel: string) => (rel === '' ? base : join(base, rel));
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
      try {
        const t = readFileSync(abs(rel), 'latin1');
        return t.endsWith('\n') ? t.slice(0, -1) : t;
      } catch {
        return undefined;
      }
    },
    raw(rel) {
      try {
        return readFileSync(abs(rel), 'latin1');
      } catch {
        return undefined;
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
  const parts = text.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  if (parts[0] === 'target') parts.shift();
  return parts.join('/');
}
