/**
 * The seed's configfs walk log (S2 その13): `[path]`, the attribute as `cat`
 * prints it, an empty line; paths sorted byte-wise (LANG=C); gzipped.
 *   statistics: <log_dir>/YYYYMMDD/lio-statistics-YYYYMMDDHHMM.gz  (every minute)
 *   full tree:  <log_dir>/lio-YYYYMMDDHHMM.gz                       (hourly)
 * Old files are removed after the retention period (365 days in the seed).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as P from '../configfs/layout.js';
import type { TreeReader } from './tree-reader.js';

/** The absolute path the log shows for the target root (whatever root it was read under). */
export const LOGGED_ROOT = P.TARGET_ROOT;

function walkFiles(t: TreeReader, dir: string, out: string[]): void {
  for (const e of t.entries(dir)) {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.dir) walkFiles(t, rel, out);
    else out.push(rel); // `find ! -type d`: attributes and links
  }
}

/** The statistics subtrees: core/* /* /statistics, iscsi/* /fabric_statistics, and per TPG acls/* /fabric_statistics, acls/* /* /statistics, lun/* /statistics. */
export function statisticsFiles(t: TreeReader): string[] {
  const out: string[] = [];
  const tree = (rel: string) => walkFiles(t, rel, out);
  for (const hba of t.dirs(P.CORE_DIR)) {
    if (hba === P.CORE_ALUA) continue;
    for (const so of t.dirs(P.hbaDir(hba))) tree(P.statisticsDir(P.storageObjectDir(hba, so)));
  }
  for (const wwn of t.dirs(P.ISCSI_DIR)) {
    if (P.ISCSI_NON_TARGETS.has(wwn)) continue;
    tree(P.fabricStatisticsDir(P.targetDir(wwn)));
    for (const tpgName of t.dirs(P.targetDir(wwn))) {
      const tm = P.TPGT_RE.exec(tpgName);
      if (!tm) continue;
      const tag = Number(tm[1]);
      for (const ini of t.dirs(P.aclsDir(wwn, tag))) {
        tree(P.fabricStatisticsDir(P.aclDir(wwn, tag, ini)));
        for (const ml of t.dirs(P.aclDir(wwn, tag, ini))) if (P.LUN_RE.test(ml)) tree(P.statisticsDir(`${P.aclDir(wwn, tag, ini)}/${ml}`));
      }
      for (const lun of t.dirs(P.lunsDir(wwn, tag))) tree(P.statisticsDir(P.lunOf(P.tpgDir(wwn, tag), lun)));
    }
  }
  return out;
}

/** CHAP secrets (TPG, ACL and discovery auth): never written to a log, unlike the seed's full walk. */
export const SECRET_FILE = /(^|\/)auth\/password(_mutual)?$|^iscsi\/discovery_auth\/password(_mutual)?$/;

/** Every file of the tree (the hourly full walk), CHAP passwords left out. */
export function allFiles(t: TreeReader): string[] {
  const out: string[] = [];
  walkFiles(t, '', out);
  return out.filter((f) => !SECRET_FILE.test(f));
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The log text for these files (relative to the target root). */
export function walkText(t: TreeReader, files: readonly string[]): string {
  const parts: string[] = [];
  for (const rel of [...files].map((f) => `${LOGGED_ROOT}/${f}`).sort(byteOrder)) {
    parts.push(`[${rel}]\n${t.raw(rel.slice(LOGGED_ROOT.length + 1)) ?? ''}\n`);
  }
  return parts.join('');
}

/** Parses a walk log back into path -> value (the attribute without its trailing newline). */
export function parseWalk(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^\[([^\]\n]+)\]\n/gm;
  const heads: { path: string; start: number; end: number }[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) heads.push({ path: m[1]!, start: m.index, end: m.index + m[0].length });
  for (let i = 0; i < heads.length; i++) {
    const body = text.slice(heads[i]!.end, i + 1 < heads.length ? heads[i + 1]!.start : text.length);
    out.set(heads[i]!.path, body.replace(/\n\n$/, '').replace(/\n$/, ''));
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');
export function stamp(d: Date): { day: string; minute: string } {
  const day = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
  return { day, minute: `${day}${pad(d.getHours())}${pad(d.getMinutes())}` };
}
export const STATS_NAME_RE = /^lio-statistics-(\d{12})\.gz$/;

export function walkPath(logDir: string, kind: 'statistics' | 'full', at: Date): string {
  const s = stamp(at);
  return kind === 'statistics' ? join(logDir, s.day, `lio-statistics-${s.minute}.gz`) : join(logDir, `lio-${s.minute}.gz`);
}

/**
 * Writes one walk file atomically (private temp file, fsync, rename). A file for
 * this minute that already exists is kept: the log holds one file a minute.
 */
export function writeWalk(path: string, text: string): { written: boolean } {
  try {
    statSync(path);
    return { written: false };
  } catch {
    /* not there yet */
  }
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o640);
  try {
    writeSync(fd, gzipSync(text));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { written: true };
}

/** Removes walk files (and emptied day directories) older than `days`. Returns the removed paths. */
export function pruneWalks(logDir: string, days: number, now: Date): string[] {
  const limit = now.getTime() - days * 86_400_000;
  const removed: string[] = [];
  const prune = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory() && depth === 0 && /^\d{8}$/.test(n)) {
        prune(p, 1);
        try {
          if (readdirSync(p).length === 0) {
            rmdirSync(p);
            removed.push(p);
          }
        } catch {
          /* raced */
        }
      } else if (st.isFile() && /^lio-(statistics-)?\d{12}\.gz$/.test(n) && st.mtimeMs < limit) {
        unlinkSync(p);
        removed.push(p);
      }
    }
  };
  prune(logDir, 0);
  return removed;
}
