/**
 * Regenerates the pcs and crmsh scripts for every example description in crm/
 * (crm/<name>.json -> crm/<name>.pcs.sh, crm/<name>.crm.sh). A test fails when
 * the checked-in scripts are not what this prints.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateScript, type ScriptKind } from '../cli/cluster/generate.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function exampleScripts(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const f of readdirSync(join(repo, 'crm')).filter((x) => x.endsWith('.json')).sort()) {
    const rel = `crm/${f}`;
    const text = readFileSync(join(repo, rel), 'utf8');
    for (const kind of ['pcs', 'crm'] as ScriptKind[]) {
      out.push({
        file: `crm/${f.replace(/\.json$/, '')}.${kind}.sh`,
        text: generateScript(kind, text, { source: rel, command: `lioha cluster ${kind} ${rel}` }),
      });
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const s of exampleScripts()) {
    writeFileSync(join(repo, s.file), s.text, { mode: 0o755 });
    process.stdout.write(`wrote ${s.file}\n`);
  }
}
