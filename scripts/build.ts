/**
 * Build every agent into one executable file, with its meta-data XML generated
 * here (xml2js never ships on the hot path), and the `lioha` CLI.
 *
 *   dist/resource.d/lioha/<name>   OCF agents (install into /usr/lib/ocf/resource.d/lioha/): a small
 *                                  launcher that runs .lioha/<name>.js with its V8 code cache
 *   dist/resource.d/lioha/.lioha/  the agents' bundles and code caches; configfs-emulator.js (tests
 *                                  only: never installed, see packaging/Makefile)
 *   dist/bin/lioha                 admin CLI
 *   dist/bin/lioha-portald         discovery portal daemon (pino bundled in: long-running, startup cost irrelevant)
 *   dist/metadata/<name>.xml       meta-data, for packaging and docs
 *   dist/man/ocf_lioha_<name>.7    man page per agent
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { metadataXml } from '../lib/ocf/metadata-xml.js';
import { manPage } from '../lib/ocf/manpage.js';
import { REGISTRY } from '../agents/registry.js';
import { warmCliCaches, warmCodeCaches } from './warm-code-cache.js';
import { launcherHeader } from './launcher.js';
import { appendChunks } from '../lib/text/comment-chunk.js';

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
  banner: { js: "var __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

const importMeta = { 'import.meta.url': '__lioha_import_meta_url' };

/**
 * Dependencies that code loads with `await import('pkg')` are
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

const EMULATOR = join(repo, 'lib', 'configfs', 'emulator.ts');
const CONFIGFS_IO = join(repo, 'lib', 'configfs', 'io.ts');
const EMULATOR_FILE = 'configfs-emulator.js';

/**
 * The configfs emulator is for tests and demos only: agents load it from
 * .lioha/configfs-emulator.js when an emulated tree is opened, so production
 * bundles do not carry (or parse) it. It shares the agent's io module, so
 * ConfigFsError from the emulator is the agent's own class. It has a code
 * cache too, so benchmarks on the emulator do not charge its compilation to the agent.
 */
function emulatorOutside(emulatorId: string): Plugin {
  return {
    name: 'emulator-outside',
    setup(b) {
      b.onResolve({ filter: /emulator(\.js)?$/ }, (args) =>
        resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === EMULATOR ? { path: 'emulator', namespace: 'lioha-emulator' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lioha-emulator' }, () => ({
        contents:
          `globalThis.__liohaConfigfsIo = require(${JSON.stringify(CONFIGFS_IO)});\n` +
          `module.exports = (${runCached.toString()})(require, __dirname + '/.lioha/${EMULATOR_FILE}', ${JSON.stringify(emulatorId)});\n`,
        resolveDir: repo,
        loader: 'js',
      }));
    },
  };
}

/**
 * The `lioha` CLI's commands as chunks in block comments at the end of the file, compiled on
 * first use (cli/entry.ts imports ./main.js, ./commands/stats.js and ./commands/status.js
 * dynamically). V8 skips a comment at a few instructions a character, where the same code costs
 * ~20 as a string literal (scanned and hashed) and ~200 as code (pre-parsed): `lioha stats`,
 * scraped every few seconds and forked by munin, parses its own chunk only, not the yargs CLI.
 * A chunk may not contain the comment's end, so `*` + `/` and the escape character are escaped
 * (lib/text/comment-chunk.ts); the loader reads its chunk's bytes from the file it runs from.
 */
function lazyCliChunks(define: Record<string, string>): { plugin: Plugin; chunks: Map<string, string> } {
  const chunks = new Map<string, string>();
  const CHUNKS: Record<string, string> = { './main.js': 'cli', './commands/stats.js': 'stats', './commands/status.js': 'status' };
  const plugin: Plugin = {
    name: 'lazy-cli-chunks',
    setup(b) {
      b.onResolve({ filter: /^\.\/(main|commands\/stats|commands\/status)\.js$/ }, (args) =>
        args.kind === 'dynamic-import' && args.importer.endsWith('entry.ts')
          ? { path: join(dirname(args.importer), args.path.replace(/\.js$/, '.ts')), namespace: 'lazy-chunk', pluginData: CHUNKS[args.path] }
          : undefined,
      );
      b.onResolve({ filter: /^lioha-chunk-loader$/ }, () => ({ path: 'loader', namespace: 'lazy-chunk-loader' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-chunk-loader' }, () => ({ contents: chunkLoaderSource(), loader: 'js', resolveDir: repo }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-chunk' }, async (args) => {
        const name = args.pluginData as string;
        const r = await build({
          ...common,
          banner: { js: "var __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
          entryPoints: [args.path],
          define,
          plugins: [lazyPackages()],
          // vm.compileFunction code has no dynamic-import callback: import('node:http') becomes require.
          supported: { 'dynamic-import': false },
          write: false,
        });
        chunks.set(name, r.outputFiles[0]!.text);
        return { contents: `module.exports = require('lioha-chunk-loader')(${JSON.stringify(name)});\n`, loader: 'js', resolveDir: repo };
      });
    },
  };
  return { plugin, chunks };
}

/**
 * The loader of the CLI's comment chunks (runs inside the bundle: plain CommonJS, fs and vm only).
 * A chunk compiles with the V8 code cache the build made for it from a training run (chunk
 * `<name>-v8cache`, base64; see warmCliCaches): V8 then deserializes the functions the run used
 * instead of parsing and compiling them. Another Node.js, or other V8 flags than the launcher's
 * for that command, rejects it, and V8 compiles as without. LIOHA_CHUNK_CACHE_DIR (the build's
 * training runs) writes each loaded chunk's cache there at exit.
 */
function chunkLoaderSource(): string {
  return `const { Script } = require('vm');
const { readChunk, readChunkBytes } = require(${JSON.stringify(join(repo, 'lib', 'text', 'comment-chunk.ts'))});
module.exports = (name) => {
  const code = readChunk(__filename, name);
  if (code === undefined) throw new Error('this lioha file has no ' + name + ' chunk (a broken build or a truncated copy)');
  const cache = readChunkBytes(__filename, name + '-v8cache');
  const cachedData = cache === undefined ? undefined : Buffer.from(cache.toString('latin1'), 'base64');
  const script = new Script('(function (module, exports, require, __filename, __dirname) {' + code + '\\n})', { filename: 'lioha-bundled:' + name, cachedData });
  const dir = process.env.LIOHA_CHUNK_CACHE_DIR;
  if (dir) process.once('exit', () => require('fs').writeFileSync(dir + '/' + name + '.v8cache', script.createCachedData()));
  const m = { exports: {} };
  script.runInThisContext()(m, m.exports, require, __filename, __dirname);
  return m.exports;
};
`;
}

const LIOHA_WARM_CACHE_OFF = () => process.env.LIOHA_WARM_CACHE === '0';

/** Runs a function-wrapped CommonJS file with its code cache; (re)writes the cache when missing or rejected. */
function runCached(req: NodeJS.Require, file: string, id: string): unknown {
  const fs = req('fs') as typeof import('node:fs');
  const vm = req('vm') as typeof import('node:vm');
  const cache = `${file.slice(0, -3)}.${id}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cache);
  } catch {}
  const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        fs.writeFileSync(`${cache}.${process.pid}`, script.createCachedData());
        fs.renameSync(`${cache}.${process.pid}`, cache);
      } catch {}
    });
  }
  const m = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)(m.exports, req, m, file, file.slice(0, file.lastIndexOf('/')));
  return m.exports;
}

/** For the emulator's own bundle: its io module is the agent's (see emulatorOutside). */
function sharedConfigfsIo(): Plugin {
  return {
    name: 'shared-configfs-io',
    setup(b) {
      b.onResolve({ filter: /\/io(\.js)?$/ }, (args) =>
        resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === CONFIGFS_IO ? { path: 'io', namespace: 'lioha-shared-io' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lioha-shared-io' }, () => ({ contents: 'module.exports = globalThis.__liohaConfigfsIo;', loader: 'js' }));
    },
  };
}

/**
 * The agent executable: reads the bundle, compiles it with the V8 code cache
 * made for exactly that text (the id is its hash), and runs it. start, stop and
 * the rest (monitors, probes, validate-all) each have their own cache, holding the
 * code that kind of action runs. A missing or rejected cache (another Node version)
 * is written again when the process exits, after the run compiled what it used: on a
 * node whose Node.js differs from the build's, the first probe then makes the
 * monitors' cache only, and start and stop make their own the first time they run
 * (with one shared cache, start and stop ran with the probe's forever: about 0.2 s
 * more each on the lab's VM). LIOHA_CODE_CACHE=0 turns the writing off, and
 * LIOHA_CODE_CACHE=refresh rewrites the cache after this run (adding the functions it compiled).
 * fs and vm are already loaded by Node's own module loader: nothing else is.
 */
function launcher(name: string, id: string): string {
  return `#!/usr/bin/env node
'use strict';
// lioha ${name} OCF agent ${version}: runs .lioha/${name}.js with the V8 code cache of its kind of action (built by scripts/build.ts).
const fs = require('fs'), vm = require('vm');
const kind = process.argv[2] === 'start' || process.argv[2] === 'stop' ? process.argv[2] : 'monitor';
const file = __dirname + '/.lioha/${name}.js', cache = __dirname + '/.lioha/${name}.${id}.' + kind + '.v8cache';
let cachedData;
try { cachedData = fs.readFileSync(cache); } catch {}
const script = new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file, cachedData });
const mode = process.env.LIOHA_CODE_CACHE;
if (mode === 'refresh' || ((cachedData === undefined || script.cachedDataRejected) && mode !== '0')) {
  process.once('exit', () => {
    const tmp = cache + '.' + process.pid;
    try { fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 }); fs.renameSync(tmp, cache); } catch { try { fs.unlinkSync(tmp); } catch {} }
  });
}
script.runInThisContext()(exports, require, module, __filename, __dirname);
`;
}

/** The bundle as one function expression, called by the launcher with the launcher's CommonJS scope. */
async function agentBundle(entry: string, xml: string, emulatorId: string): Promise<string> {
  const r = await build({
    ...common,
    banner: { js: "var __lioha_import_meta_url = require('url').pathToFileURL(__filename).href;" },
    entryPoints: [join(repo, entry)],
    write: false,
    outfile: 'agent.js',
    plugins: [lazyPackages(), emulatorOutside(emulatorId)],
    define: { ...importMeta, LIOHA_METADATA: JSON.stringify(xml), LIOHA_VERSION: JSON.stringify(version) },
  });
  const text = r.outputFiles[0]!.text;
  // vm.Script has no loader for import(): a dynamic import of a built-in would fail at run time.
  if (/\bimport\(/.test(text.replace(/"(?:[^"\\\n]|\\.)*"/g, '""'))) throw new Error(`${entry}: the bundle still contains import(); use require-able static imports`);
  // node:crypto pulls ~35 stream modules into every fork: hashes on the hot path use lib/text/digest.ts.
  if (/require\("(node:)?crypto"\)/.test(text)) throw new Error(`${entry}: the bundle loads node:crypto; use lib/text/digest.ts`);
  return `(function (exports, require, module, __filename, __dirname) {\n${text}\n})`;
}

export async function agentNames(): Promise<string[]> {
  return REGISTRY.map((a) => a.name).sort();
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  if (only.length === 0) rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'resource.d', 'lioha', '.lioha'), { recursive: true });
  mkdirSync(join(out, 'bin'), { recursive: true });
  mkdirSync(join(out, 'metadata'), { recursive: true });
  mkdirSync(join(out, 'man'), { recursive: true });
  const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000) * 1000).toISOString().slice(0, 10);
  // Extensionless files next to the repo's "type": "module" must still load as CommonJS.
  writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

  const emulator = await build({ ...common, banner: {}, entryPoints: [EMULATOR], write: false, outfile: EMULATOR_FILE, plugins: [sharedConfigfsIo()] });
  const emulatorCode = `(function (exports, require, module, __filename, __dirname) {\n${emulator.outputFiles[0]!.text}\n})`;
  const emulatorId = createHash('sha256').update(emulatorCode).digest('hex').slice(0, 12);
  writeFileSync(join(out, 'resource.d', 'lioha', '.lioha', EMULATOR_FILE), emulatorCode);

  const entries = REGISTRY.filter((a) => only.length === 0 || only.includes(a.name));
  const names = entries.map((e) => e.name);
  const agents: { name: string; shortdesc: string }[] = [];
  await Promise.all(
    entries.map(async ({ name, definition: def, entry }) => {
      const xml = metadataXml(def);
      agents.push({ name, shortdesc: def.shortdesc });
      writeFileSync(join(out, 'metadata', `${name}.xml`), xml);
      writeFileSync(join(out, 'man', `ocf_lioha_${name}.7`), manPage(def, date, version));
      const file = join(out, 'resource.d', 'lioha', name);
      const code = await agentBundle(entry, xml, emulatorId);
      const id = createHash('sha256').update(code).digest('hex').slice(0, 12);
      for (const f of readdirSync(join(out, 'resource.d', 'lioha', '.lioha'))) {
        if ((f.startsWith(`${name}.`) || f.startsWith('configfs-emulator.')) && f.endsWith('.v8cache')) rmSync(join(out, 'resource.d', 'lioha', '.lioha', f));
      }
      writeFileSync(join(out, 'resource.d', 'lioha', '.lioha', `${name}.js`), code);
      // A sh launcher first: Pacemaker's PATH may not lead to Node.js (scripts/launcher.ts).
      const header = launcherHeader({ name, node: process.execPath, metadataXml: xml, actions: [...new Set(def.actions.map((a) => a.name))] });
      writeFileSync(file, header + launcher(name, id).replace(/^#!.*\n/, ''), { mode: 0o755 });
      chmodSync(file, 0o755);
      // meta-data must answer (the sh launcher's part; Node.js does not start). The code caches come from the training runs below.
      const r = spawnSync(file, ['meta-data'], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${name} meta-data failed: ${String(r.stderr)}`);
    }),
  );
  // Before the training runs: discovery's trains against the daemon it monitors.
  const portald = join(out, 'bin', 'lioha-portald');
  await build({
    ...common,
    entryPoints: [join(repo, 'daemons', 'portald', 'main.ts')],
    outfile: portald,
    banner: { js: launcherHeader({ name: 'lioha-portald', node: process.execPath }) + common.banner!.js },
    define: { ...importMeta, LIOHA_VERSION: JSON.stringify(version) },
  });
  chmodSync(portald, 0o755);
  if (!LIOHA_WARM_CACHE_OFF()) {
    for (const w of await warmCodeCaches(join(out, 'resource.d', 'lioha'), names, portald)) process.stderr.write(`warning: code cache training: ${w}\n`);
  }
  agents.sort((a, b) => a.name.localeCompare(b.name));

  const cli = join(out, 'bin', 'lioha');
  // The short runs' V8 flags (scripts/launcher.ts), checked with the interpreter the launcher pins.
  const shortRun = { flags: '--max-opt=1', commands: ['stats', 'status'], names: ['lio_read', 'lio_write'], longRunning: ['--serve', '--watch'] };
  const probe = spawnSync(process.execPath, [...shortRun.flags.split(' '), '-e', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (probe.status !== 0) throw new Error(`${process.execPath} refuses ${shortRun.flags}: ${String(probe.stderr).trim()}`);
  const cliDefine = { ...importMeta, LIOHA_VERSION: JSON.stringify(version), LIOHA_METADATA: '""' };
  const lazy = lazyCliChunks(cliDefine);
  await build({
    ...common,
    entryPoints: [join(repo, 'cli', 'entry.ts')],
    outfile: cli,
    banner: { js: launcherHeader({ name: 'lioha', node: process.execPath, shortRun }) + common.banner!.js },
    plugins: [lazy.plugin, lazyPackages()],
    define: cliDefine,
  });
  const cliText = readFileSync(cli, 'utf8');
  const chunks = [...lazy.chunks].sort(([a], [b]) => a.localeCompare(b));
  writeFileSync(cli, appendChunks(cliText, chunks));
  chmodSync(cli, 0o755);
  // The scrape's and status's chunks with their code caches, made by training runs of the file just written.
  const caches = LIOHA_WARM_CACHE_OFF() ? new Map<string, Buffer>() : await warmCliCaches(cli);
  if (caches.size) {
    const withCaches = [...chunks, ...[...caches].map(([name, data]) => [`${name}-v8cache`, data.toString('base64')] as const)];
    writeFileSync(cli, appendChunks(cliText, withCaches.sort(([a], [b]) => a.localeCompare(b))));
  }

  process.stdout.write(`built ${agents.length} agent(s) (${agents.map((a) => a.name).join(', ')}) the lioha CLI and lioha-portald into dist/\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`build failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
