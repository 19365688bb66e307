/**
 * `lioha stats`: LIO, DRBD and ddmap statistics from configfs and /proc, read
 * without spawning anything. The scrape path is reached from the CLI entry
 * without loading yargs (see ../entry.ts); the yargs command below only
 * documents the options for --help.
 */
import type { CommandModule } from 'yargs';
import { parseArgs } from 'node:util';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { writeStdout } from '../../lib/log/write-fd.js';
import { basename, dirname, join } from 'node:path';

const OPTIONS = {
  format: { type: 'string', default: 'prometheus' },
  output: { type: 'string', short: 'o' },
  serve: { type: 'string' },
  walk: { type: 'boolean', default: false },
  full: { type: 'boolean', default: false },
  'log-dir': { type: 'string', default: '/var/log/lio' },
  'retention-days': { type: 'string', default: '365' },
  plot: { type: 'boolean', default: false },
  minutes: { type: 'string', default: '60' },
  all: { type: 'boolean', default: false },
  munin: { type: 'string' },
  root: { type: 'string' },
  'ddmap-state-dir': { type: 'string', default: '/mnt/iscsi-target' },
  target: { type: 'string', multiple: true },
  cluster: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '5' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function rootOf(v: Values): string {
  return v.root ?? process.env.LIOHA_ROOT ?? '/';
}

/** Writes `text` to `path` atomically (temp file, fsync, rename): a textfile collector never reads half a file. */
export function writeAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

async function scrape(v: Values): Promise<{ text: string; json: unknown }> {
  // process.hrtime, not performance.now(): the latter loads perf_hooks (a dozen modules) on a path forked every scrape.
  const t0 = process.hrtime.bigint();
  const { collect } = await import('../../lib/stats/collect.js');
  const snap = collect({ root: rootOf(v), ddmapStateDir: v['ddmap-state-dir']!, ...(v.target ? { targets: v.target } : {}) });
  if (v.cluster) {
    const { readCluster } = await import('../../lib/status/cluster-source.js');
    const { groupNode } = await import('../../lib/status/crm-mon.js');
    const { cluster } = await readCluster(Number(v.timeout) * 1000);
    if (cluster) snap.groups = cluster.groups.map((g) => ({ group: g.id, ...(groupNode(g) ? { node: groupNode(g)! } : {}) }));
  }
  const { toPrometheus } = await import('../../lib/stats/prometheus.js');
  return { text: toPrometheus(snap, Number(process.hrtime.bigint() - t0) / 1e9), json: snap };
}

function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(spec);
  if (!m || Number(m[3]) > 65535) throw new UsageError(`--serve wants HOST:PORT (e.g. 127.0.0.1:9782), not ${JSON.stringify(spec)}`);
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

async function serve(v: Values): Promise<number> {
  const { host, port } = parseListen(v.serve!);
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body><a href="/metrics">lioha metrics</a></body></html>\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    scrape(v).then(
      ({ text }) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : text),
      (e: unknown) => res.writeHead(500).end(`scrape failed: ${(e as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  process.stderr.write(`lioha stats: serving http://${typeof addr === 'object' && addr ? `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : v.serve}/metrics\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

async function walk(v: Values): Promise<number> {
  const { openTreeReader } = await import('../../lib/stats/tree-reader.js');
  const { resolveUnder, TARGET_ROOT } = await import('../../lib/stats/collect.js');
  const w = await import('../../lib/stats/walk.js');
  const root = rootOf(v);
  const t = openTreeReader(resolveUnder(root, TARGET_ROOT));
  const now = new Date();
  const logDir = resolveUnder(root, v['log-dir']!);
  const files = v.full ? w.allFiles(t) : w.statisticsFiles(t);
  const path = w.walkPath(logDir, v.full ? 'full' : 'statistics', now);
  const { written } = w.writeWalk(path, w.walkText(t, files));
  const days = Number(v['retention-days']);
  if (!Number.isFinite(days) || days < 1) throw new UsageError('--retention-days wants a whole number of days, at least 1');
  const removed = w.pruneWalks(logDir, days, now);
  process.stdout.write(`${written ? 'wrote' : 'kept existing'} ${path} (${files.length} files)${removed.length ? `; removed ${removed.length} older than ${days} days` : ''}\n`);
  return 0;
}

async function plot(v: Values): Promise<number> {
  const { resolveUnder } = await import('../../lib/stats/collect.js');
  const p = await import('../../lib/stats/plot.js');
  const minutes = Number(v.minutes);
  if (!Number.isInteger(minutes) || minutes < 2 || minutes > 1440) throw new UsageError('--minutes wants 2..1440');
  const samples = p.loadWalks(resolveUnder(rootOf(v), v['log-dir']!), minutes, new Date());
  const cols = process.stdout.columns || 100;
  const series = p.throughputSeries(samples).map((s) => ({ ...s, points: s.points.slice(-Math.max(10, cols - 60)) }));
  process.stdout.write(p.renderPlot(series, minutes, { all: v.all! }));
  return 0;
}

async function munin(graph: 'read' | 'write', mode: string | undefined, v: Values): Promise<number> {
  const { resolveUnder, TARGET_ROOT } = await import('../../lib/stats/collect.js');
  const { readLio } = await import('../../lib/stats/lio.js');
  const { openTreeReader } = await import('../../lib/stats/tree-reader.js');
  const m = await import('../../lib/stats/munin.js');
  if (mode !== undefined && mode !== 'fetch' && mode !== 'config' && mode !== 'autoconf') {
    throw new UsageError(`unknown munin mode ${JSON.stringify(mode)}: config, autoconf or none`);
  }
  // A fetch reads the graph's bytes only (one attribute per LUN and mapped LUN); config and autoconf the topology.
  const lio = readLio(openTreeReader(resolveUnder(rootOf(v), TARGET_ROOT)), { counters: mode === undefined || mode === 'fetch' ? graph : 'none' });
  writeStdout(mode === 'autoconf' ? m.muninAutoconf(lio) : mode === 'config' ? m.muninConfig(lio, graph) : m.muninFetch(lio, graph));
  return 0;
}

/** Runs `lioha stats` (args after "stats") or a munin plugin symlink (argv0 lio_read / lio_write). */
export async function runStats(args: string[], argv0 = ''): Promise<number> {
  try {
    const { values: v, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    const { muninGraphOf } = await import('../../lib/stats/munin.js');
    const graph = muninGraphOf(argv0) ?? (v.munin === undefined ? undefined : v.munin === 'read' || v.munin === 'write' ? v.munin : (() => { throw new UsageError('--munin wants read or write'); })());
    if (graph) return await munin(graph, positionals[0], v);
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const modes = [v.serve !== undefined, v.walk, v.plot].filter(Boolean).length;
    if (modes > 1) throw new UsageError('--serve, --walk and --plot are separate modes: pick one');
    if (v.serve !== undefined) return await serve(v);
    if (v.walk) return await walk(v);
    if (v.plot) return await plot(v);
    if (v.format !== 'prometheus' && v.format !== 'json') throw new UsageError('--format wants prometheus or json');
    const { text, json } = await scrape(v);
    const body = v.format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : text;
    if (v.output) writeAtomic(v.output, body);
    else writeStdout(body);
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`lioha stats: ${(e as Error).message}\n`);
    return usage ? 2 : 1;
  }
}

export const command: CommandModule = {
  command: 'stats',
  describe: 'LIO/DRBD/ddmap statistics: Prometheus text (default), --serve, munin plugin, --walk log, --plot',
  builder: (y) =>
    y
      .option('format', { choices: ['prometheus', 'json'], default: 'prometheus', describe: 'output format of a one-shot scrape' })
      .option('output', { alias: 'o', type: 'string', describe: 'write atomically to FILE (node_exporter textfile collector: /var/lib/prometheus/node-exporter/lioha.prom)' })
      .option('serve', { type: 'string', describe: 'serve /metrics on HOST:PORT (e.g. 127.0.0.1:9782)' })
      .option('cluster', { type: 'boolean', describe: 'add lioha_group_node from one crm_mon call' })
      .option('walk', { type: 'boolean', describe: 'write the seed\'s walk log: <log-dir>/YYYYMMDD/lio-statistics-YYYYMMDDHHMM.gz (cron: every minute)' })
      .option('full', { type: 'boolean', describe: 'with --walk: the whole configfs tree, <log-dir>/lio-YYYYMMDDHHMM.gz (cron: hourly)' })
      .option('log-dir', { type: 'string', default: '/var/log/lio' })
      .option('retention-days', { type: 'number', default: 365, describe: 'with --walk: remove walk files older than this' })
      .option('plot', { type: 'boolean', describe: 'sparklines of the last --minutes from the walk logs' })
      .option('minutes', { type: 'number', default: 60 })
      .option('all', { type: 'boolean', describe: 'with --plot: also idle series' })
      .option('munin', { choices: ['read', 'write'], describe: 'munin plugin output (or symlink lioha as lio_read / lio_write); positional: config | autoconf' })
      .option('root', { type: 'string', describe: 'filesystem root (default $LIOHA_ROOT or /)' })
      .option('ddmap-state-dir', { type: 'string', default: '/mnt/iscsi-target' })
      .option('target', { type: 'string', array: true, describe: 'only these targets' })
      .option('timeout', { type: 'number', default: 5, describe: 'seconds for the crm_mon call (--cluster)' })
      .strict(false),
  handler: async () => {
    const i = process.argv.indexOf('stats');
    process.exitCode = await runStats(process.argv.slice(i + 1));
  },
};
