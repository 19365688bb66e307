/**
 * One door to configfs (issue 13): no source outside lib/configfs/layout.ts spells a path into
 * LIO's configfs tree. Paths are built with layout's functions; attribute names as data are fine.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { literalsOf } from './string-literals.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOTS = ['lib', 'agents', 'cli', 'daemons'];
/** layout.ts is the one home; the emulator's recorded templates are kernel data, not paths we build. */
const EXEMPT = [/^lib\/configfs\/layout\.ts$/, /^lib\/configfs\/emulator-templates[^/]*\.ts$/];

/** Directory names of LIO's configfs tree that only appear in paths. */
const SEGMENT = '(?:attrib|param|np|lun|acls|auth|alua|wwn|pr|statistics|fabric_statistics|tpgt_[^/]*|lun_[^/]*)';
const RULES: ReadonlyArray<readonly [string, RegExp]> = [
  ['the configfs mount', /sys\/kernel\/config/],
  ['a configfs sub-directory', new RegExp(`(?:^|/|\\})${SEGMENT}/|\\}/${SEGMENT}$`)],
  ['a path from the target root', /^(?:core|iscsi)\//],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mts)$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

export function configfsPathLiterals(text: string): Array<{ line: number; text: string; rule: string }> {
  const hits: Array<{ line: number; text: string; rule: string }> = [];
  for (const l of literalsOf(text)) {
    if (/\s/.test(l.text)) continue; // messages and help text, not paths
    const rule = RULES.find(([, re]) => re.test(l.text));
    if (rule) hits.push({ line: l.line, text: l.text, rule: rule[0] });
  }
  return hits;
}

describe('configfs paths live in lib/configfs/layout.ts', () => {
  it('the scanner sees paths in strings and templates, not in comments or attribute names', () => {
    const src = [
      "// a comment: /sys/kernel/config/target/iscsi",
      "const a = '/sys/kernel/config/target';",
      'const b = `${tpg}/attrib/${key}`;',
      "const c = `${dir}/np`;",
      "const d = 'iscsi/' + wwn;",
      "const e = { file: 'enable', attr: 'udev_path' };",
      "const f = /\\/lun\\/lun_(\\d+)$/;",
      "const g = x / 2; const h = `tpgt_${tag}`;",
    ].join('\n');
    expect(configfsPathLiterals(src).map((h) => h.line)).toEqual([2, 3, 4, 5]);
  });

  it('no source outside layout.ts spells a configfs path', () => {
    const bad: string[] = [];
    for (const root of ROOTS) {
      for (const file of sources(join(repo, root))) {
        const rel = relative(repo, file);
        if (EXEMPT.some((re) => re.test(rel))) continue;
        for (const h of configfsPathLiterals(readFileSync(file, 'utf8'))) bad.push(`${rel}:${h.line}: ${h.rule}: ${JSON.stringify(h.text)}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
