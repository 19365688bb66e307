/**
 * Build every agent into one executable file, with its meta-data XML generated
 * here (xml2js never ships on the hot path), and the `lioha` CLI.
 *
 *   dist/resource.d/lioha/<name>   OCF agents (install into /usr/lib/ocf/resource.d/lioha/)
 *   dist/bin/lioha                 admin CLI
 *   dist/metadata/<name>.xml       meta-data, for packaging and docs
 */
import { build, type BuildOptions } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { metadataXml } from '../lib/ocf/metadata-xml.js';
import type { AgentDefinition } from '../lib/ocf/definition.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'dist');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Smaller text to parse at every fork; identifiers kept for readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  // ESM-only dependencies (yargs) read import.meta.url; give them the bundle's own URL.
  banner: { js: "#!/usr/bin/env node\nvar __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

const importMeta = { 'import.meta.url': '__lioha_import_meta_url' };

export async function agentNames(): Promise<string[]> {
  return readdirSync(join(repo, 'agents'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadDefinition(name: string): Promise<AgentDefinition> {
  const mod = (await import(pathToFileURL(join(repo, 'agents', name, 'definition.ts')).href)) as {
    definition: AgentDefinition;
  };
  if (mod.definition?.name !== name) throw new Error(`agents/${name}/definition.ts must export definition with name '${name}'`);
  return mod.definition;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  if (only.length === 0) rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'resource.d', 'lioha'), { recursive: true });
  mkdirSync(join(out, 'bin'), { recursive: true });
  mkdirSync(join(out, 'metadata'), { recursive: true });
  // Extensionless files next to the repo's "type": "module" must still load as CommonJS.
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

  const names = (await agentNames()).filter((n) => only.length === 0 || only.includes(n));
  const agents: { name: string; shortdesc: string }[] = [];
  await Promise.all(
    names.map(async (name) => {
      const def = await loadDefinition(name);
      const xml = metadataXml(def);
      agents.push({ name, shortdesc: def.shortdesc });
      writeFileSync(join(out, 'metadata', `${name}.xml`), xml);
      const file = join(out, 'resource.d', 'lioha', name);
      await build({
        ...common,
        entryPoints: [join(repo, 'agents', `${name}.ts`)],
        outfile: file,
        define: { ...importMeta, LIOHA_METADATA: JSON.stringify(xml), LIOHA_VERSION: JSON.stringify(version) },
      });
      chmodSync(file, 0o755);
    }),
  );
  agents.sort((a, b) => a.name.localeCompare(b.name));

  const cli = join(out, 'bin', 'lioha');
  await build({
    ...common,
    entryPoints: [join(repo, 'lib', 'cli', 'main.ts')],
    outfile: cli,
    define: { ...importMeta, LIOHA_AGENTS: JSON.stringify(agents), LIOHA_VERSION: JSON.stringify(version), LIOHA_METADATA: '""' },
  });
  chmodSync(cli, 0o755);
  process.stdout.write(`built ${agents.length} agent(s) (${agents.map((a) => a.name).join(', ')}) and the lioha CLI into dist/\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`build failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
