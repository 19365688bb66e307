/**
 * The layering rule of docs/design.md, checked over the import graph: lib/ is OCF-free and
 * knows nothing of agents, the CLI or daemons; only lib/ocf may import lib/ocf.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mts)$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative specifiers of static imports, dynamic imports and re-exports. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

function violations(): string[] {
  const bad: string[] = [];
  for (const file of sources(join(repo, 'lib'))) {
    const from = relative(repo, file);
    const inOcf = from.startsWith('lib/ocf/');
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const to = relative(repo, resolve(dirname(file), spec));
      const forbidden =
        to.startsWith('agents/') || to.startsWith('cli/') || to.startsWith('daemons/') || (!inOcf && to.startsWith('lib/ocf/'));
      if (forbidden || to.startsWith('..')) bad.push(`${from} imports ${to}`);
    }
  }
  return bad;
}

describe('import graph', () => {
  it('finds imports of every form (so the rule below cannot pass by missing them)', () => {
    expect(importsOf("import { a } from '../ocf/x.js';\nimport type { B } from './b.js';\nexport { c } from '../../agents/y.js';\nconst m = await import('../cli/z.js');\nimport './side.js';"))
      .toEqual(['../ocf/x.js', './b.js', '../../agents/y.js', '../cli/z.js', './side.js']);
  });
  it('lib/** (except lib/ocf) never imports lib/ocf, agents/, cli/ or daemons/', () => {
    expect(violations()).toEqual([]);
  });
});
