/**
 * Build every agent into one executable file, with its meta-data XML generated
 * here (xml2js never ships on the hot path), and the `lioha` CLI.
 *
 *   dist/resource.d/lioha/<name>   OCF agents (install into /usr/lib/ocf/resource.d/lioha/)
 *   dist/bin/lioha                 admin CLI
 *   dist/bin/lioha-portald         discovery portal daemon (pino bundled in: long-running, startup cost irrelevant)
 *   dist/metadata/<name>.xml       meta-data, for packaging and docs
 *   dist/man/ocf_lioha_<name>.7    man page per agent
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { metadataXml } from '../lib/ocf/metadata-xml.js';
import { manPage } from '../lib/ocf/manpage.js';
import { REGISTRY } from '../agents/registry.js';

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

/**
 * Dependencies that code loads with `await import('pkg')` (execa, pino) are
 * bundled separately and embedded as a string, compiled only when first
 * imported. V8 only has to scan a string literal at each fork instead of
 * pre-parsing ~300 KB of functions that a quiet monitor never calls.
 */
function lazyPackages(): Plugin {
  const cache = new Map<string, Promise<string>>();
  const compile = (pkg: string) =>
    build({
      ...common,
      banner: { js: "var __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
      define: importMeta,
      stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: repo, loader: 'js' },
      write: false,
      minify: true,
      legalComments: 'inline',
    }).then((r) => r.outputFiles[0]!.text);
  return {
    name: 'lazy-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.kind === 'dynamic-import' && !args.path.startsWith('node:') ? { path: args.path, namespace: 'lazy-package' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, async (args) => {
        let code = cache.get(args.path);
        if (!code) cache.set(args.path, (code = compile(args.path)));
        const fn = `require('node:vm').compileFunction(${JSON.stringify(await code)}, ['module', 'exports', 'require', '__filename', '__dirname'], { filename: ${JSON.stringify(`lioha-bundled:${args.path}`)} })`;
        return { contents: `const m = { exports: {} };\n${fn}(m, m.exports, require, __filename, __dirname);\nmodule.exports = m.exports;\n`, loader: 'js' };
      });
    },
  };
}

/**
 * The full yargs CLI (cli/main.ts) as a string inside the `lioha` bundle,
 * compiled on first use: `lioha stats` scrapes and munin fetches (cli/entry.ts)
 * never pay for parsing it.
 */
function lazyCliMain(define: Record<string, string>): Plugin {
  return {
    name: 'lazy-cli-main',
    setup(b) {
      b.onResolve({ filter: /^\.\/main\.js$/ }, (args) =>
        args.kind === 'dynamic-import' && args.importer.endsWith('entry.ts') ? { path: join(dirname(args.importer), 'main.ts'), namespace: 'lazy-cli' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-cli' }, async (args) => {
        const r = await build({
          ...common,
          banner: { js: "var __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
          entryPoints: [args.path],
          define,
          plugins: [lazyPackages()],
          write: false,
        });
        const code = r.outputFiles[0]!.text;
        const fn = `require('node:vm').compileFunction(${JSON.stringify(code)}, ['module', 'exports', 'require', '__filename', '__dirname'], { filename: 'lioha-bundled:cli' })`;
        return { contents: `const m = { exports: {} };\n${fn}(m, m.exports, require, __filename, __dirname);\nmodule.exports = m.exports;\n`, loader: 'js' };
      });
    },
  };
}

export async function agentNames(): Promise<string[]> {
  return REGISTRY.map((a) => a.name).sort();
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  if (only.length === 0) rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'resource.d', 'lioha'), { recursive: true });
  mkdirSync(join(out, 'bin'), { recursive: true });
  mkdirSync(join(out, 'metadata'), { recursive: true });
  mkdirSync(join(out, 'man'), { recursive: true });
  const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000) * 1000).toISOString().slice(0, 10);
  // Extensionless files next to the repo's "type": "module" must still load as CommonJS.
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

  const entries = REGISTRY.filter((a) => only.length === 0 || only.includes(a.name));
  const agents: { name: string; shortdesc: string }[] = [];
  await Promise.all(
    entries.map(async ({ name, definition: def, entry }) => {
      const xml = metadataXml(def);
      agents.push({ name, shortdesc: def.shortdesc });
      writeFileSync(join(out, 'metadata', `${name}.xml`), xml);
      writeFileSync(join(out, 'man', `ocf_lioha_${name}.7`), manPage(def, date, version));
      const file = join(out, 'resource.d', 'lioha', name);
      await build({
        ...common,
        entryPoints: [join(repo, entry)],
        outfile: file,
        plugins: [lazyPackages()],
        define: { ...importMeta, LIOHA_METADATA: JSON.stringify(xml), LIOHA_VERSION: JSON.stringify(version) },
      });
      chmodSync(file, 0o755);
    }),
  );
  agents.sort((a, b) => a.name.localeCompare(b.name));

  const cli = join(out, 'bin', 'lioha');
  const cliDefine = { ...importMeta, LIOHA_VERSION: JSON.stringify(version), LIOHA_METADATA: '""' };
  await build({
    ...common,
    entryPoints: [join(repo, 'cli', 'entry.ts')],
    outfile: cli,
    plugins: [lazyCliMain(cliDefine), lazyPackages()],
    define: cliDefine,
  });
  chmodSync(cli, 0o755);

  const portald = join(out, 'bin', 'lioha-portald');
  await build({
    ...common,
    entryPoints: [join(repo, 'daemons', 'portald', 'main.ts')],
    outfile: portald,
    define: { ...importMeta, LIOHA_VERSION: JSON.stringify(version) },
  });
  chmodSync(portald, 0o755);
  process.stdout.write(`built ${agents.length} agent(s) (${agents.map((a) => a.name).join(', ')}) the lioha CLI and lioha-portald into dist/\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`build failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
