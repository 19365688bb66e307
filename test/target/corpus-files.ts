/**
 * The saveconfig corpus (real files from the field and synthetic ones from rtslib-fb's dump() code) and which
 * of each file's targets a resource owns: read by the emulator test (corpus.test.ts) and the real-kernel lab
 * (test/lab/tests/48-corpus.prepare.ts), so both run every file, and a new file is picked up without code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { selectDesired } from '../../lib/configfs/desired.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The corpus the repository carries (test/fixtures/saveconfig-corpus, a copy of the shared one, so a fresh
 * clone tests it), plus the shared folder beside the repository (or above it, or LIOHA_CORPUS) when it is
 * there: a file added there is picked up without code. A file of the same name is taken from the shared folder.
 */
export function corpusDirs(): string[] {
  const dirs = [join(REPO, 'test/fixtures/saveconfig-corpus')];
  if (process.env.LIOHA_CORPUS) return [...dirs, process.env.LIOHA_CORPUS];
  for (let dir = dirname(REPO.replace(/\/$/, '')); ; dir = dirname(dir)) {
    const c = join(dir, 'shared/reference/saveconfig-corpus');
    if (existsSync(c)) return [...dirs, c];
    if (dirname(dir) === dir) break;
  }
  return dirs;
}

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsonFiles(p) : n.endsWith('.json') ? [p] : [];
  });
}

export interface CorpusFile { name: string; path: string }

/** Every corpus file, keyed by its path inside its corpus folder (the shared folder's copy wins). */
export function corpusFiles(dirs = corpusDirs()): CorpusFile[] {
  const m = new Map<string, string>();
  for (const d of dirs) for (const f of jsonFiles(d)) m.set(relative(d, f), f);
  return [...m].map(([name, path]) => ({ name, path })).sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The targets a resource would own: every iSCSI target lioha can run. Targets it refuses by
 * design (non-default ALUA groups, tcmu backstores) are returned apart, with their reason.
 */
export function ownable(text: string): { owned: string[]; refused: [string, string][]; deriveWwn: boolean } {
  const cfg = parseSaveConfig(text, 'f');
  const doc = JSON.parse(text) as { targets?: { wwn: string; fabric: string }[] };
  const owned: string[] = [];
  const refused: [string, string][] = [];
  let deriveWwn = false;
  for (const t of doc.targets ?? []) {
    if (t.fabric !== 'iscsi') continue;
    try {
      const d = selectDesired(cfg, [t.wwn], { deriveWwn: true });
      owned.push(t.wwn);
      for (const ref of d.storageObjects.keys()) if (!cfg.storageObjects.get(ref)?.wwn) deriveWwn = true;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      refused.push([t.wwn, e.message]);
    }
  }
  return { owned, refused, deriveWwn };
}
