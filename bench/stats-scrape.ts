/**
 * Cost of one `lioha stats` scrape of a 32-LUN x 32-ACL target (1,024 mapped LUNs, emulated
 * configfs on tmpfs, the device indices the kernel shows, half the initiators logged in) against
 * the floor `env -i node -e 0`, interleaved in the same rounds (bench/measure.ts: CPU and wall
 * time, per-round ratios). The CLI runs as installed: through its sh launcher, in an empty
 * environment. Also measured: the start-up alone (an empty root), a munin fetch, and
 * `lioha status` (crm_mon's XML from a file).
 *
 * Then `lioha stats --serve`: the server stays up, and each round times the floor and one
 * /metrics scrape, whose cost is the CPU time the server process (all its threads) spent on it
 * (/proc/PID/task/* /schedstat): the counters are read afresh at every scrape, as always.
 *
 * With --callgrind, it also counts the instructions (valgrind --tool=callgrind, user space) of
 * the floor and of the scrape: figures that do not depend on how busy the machine is.
 *
 * With --compare=FILE, another build of the CLI (e.g. a copy of dist/bin/lioha from before a
 * change) scrapes the same tree in the same rounds, and under callgrind beside this one.
 *
 *   npm run build && npm run bench:stats [-- rounds=21 [--callgrind] [--compare=FILE]]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmtRatio, loadLine, measure, median, NODE_FLOOR, nodeFloor, ratios, report, runOnce, type Case } from './measure.js';
import { logIn, makeNode, setLunMiB } from '../test/stats/fixture.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 21);
const callgrind = args.includes('--callgrind');
const compare = args.find((a) => a.startsWith('--compare='))?.slice('--compare='.length);
if (compare !== undefined && !existsSync(compare)) throw new Error(`--compare: no file ${compare}`);
const COMPARED = `lioha stats (32 x 32), --compare build`;
const LUNS = 32;
const ACLS = 32;
const cli = resolve('dist/bin/lioha');
if (!existsSync(cli)) throw new Error('run npm run build first');

const node = await makeNode({ luns: LUNS, acls: ACLS });
for (let i = 0; i < LUNS; i++) setLunMiB(node, i, i, 2 * i, 100 * i);
for (let a = 0; a < ACLS; a += 2) logIn(node, a);
const empty = mkdtempSync(join(tmpdir(), 'lioha-bench-empty-'));
const bin = mkdtempSync(join(tmpdir(), 'lioha-bench-bin-'));
symlinkSync(cli, join(bin, 'lio_read'));

const SCRAPE = 'lioha stats (32 x 32)';
let server: ReturnType<typeof spawn> | undefined;

/** CPU time (ns) the process has used, all threads (schedstat's first field is the time on CPU). */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read: its time is in the process's already
    }
  }
  return ns;
}

/** Floor and one served scrape per round, interleaved; the served scrape's cost is the server's CPU time for it. */
async function servedScrape(root: string, samples: number): Promise<void> {
  server = spawn(cli, ['stats', '--serve', '127.0.0.1:0'], { env: { LIOHA_ROOT: root }, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    server!.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    server!.once('exit', (code) => reject(new Error(`lioha stats --serve exited ${code}: ${err}`)));
  });
  const pid = server.pid!;
  const scrapeOnce = async (): Promise<number> => {
    const c0 = cpuNs(pid);
    const text = await (await fetch(url)).text();
    const ms = (cpuNs(pid) - c0) / 1e6;
    if (text.split('\n').filter((l) => l && !l.startsWith('#')).length !== samples) throw new Error('the served scrape gave other samples than the one-shot one');
    return ms;
  };
  for (let i = 0; i < 3; i++) await scrapeOnce();
  const floor: number[] = [];
  const served: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (Math.random() < 0.5) {
      floor.push(runOnce(nodeFloor()).cpuMs);
      served.push(await scrapeOnce());
    } else {
      served.push(await scrapeOnce());
      floor.push(runOnce(nodeFloor()).cpuMs);
    }
  }
  const cpu = new Map([[NODE_FLOOR, floor], ['served', served]]);
  const r = ratios(cpu, 'served', NODE_FLOOR);
  process.stdout.write(`\nlioha stats --serve, one /metrics scrape (32 x 32; server CPU): ${median(served).toFixed(1)} ms, floor ${median(floor).toFixed(1)} ms; ` +
    `ratio ${fmtRatio(r)} over ${rounds} interleaved rounds; ${loadLine()}\n`);
}
const cases: Case[] = [
  nodeFloor(),
  { name: SCRAPE, cmd: cli, args: ['stats'], env: { LIOHA_ROOT: node.root } },
  ...(compare ? [{ name: COMPARED, cmd: resolve(compare), args: ['stats'], env: { LIOHA_ROOT: node.root } }] : []),
  { name: 'lioha stats (empty root: start-up)', cmd: cli, args: ['stats'], env: { LIOHA_ROOT: empty } },
  { name: 'munin lio_read fetch (32 x 32)', cmd: join(bin, 'lio_read'), args: [], env: { LIOHA_ROOT: node.root } },
  {
    name: 'lioha status (32 x 32, crm_mon XML file)', cmd: cli, env: { LIOHA_ROOT: node.root }, ok: [0, 1, 2],
    args: ['status', '--node', 'node1', '--crm-mon-xml', resolve('test/fixtures/status/crm_mon-healthy.xml')],
  },
];

try {
  const out = spawnSync(cli, ['stats'], { env: { LIOHA_ROOT: node.root }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`lioha stats: ${out.stderr}`);
  const samples = out.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  process.stdout.write(`lioha stats scrape: ${LUNS} LUNs x ${ACLS} ACLs (${LUNS * ACLS} mapped LUNs, ${ACLS / 2} sessions), ${samples} samples; ` +
    `${rounds} interleaved rounds, node ${process.version}\n${loadLine()} before\n`);
  const m = measure(cases, rounds);
  report(m, NODE_FLOOR, { [SCRAPE]: 2 });
  const r = ratios(m.cpu, SCRAPE, NODE_FLOOR);
  process.stdout.write(`\nscrape / ${NODE_FLOOR} (cpu) = ${r.median.toFixed(2)} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)}; goal <= 2); ${loadLine()} after\n`);
  if (compare) {
    const c = ratios(m.cpu, COMPARED, NODE_FLOOR);
    const vs = ratios(m.cpu, SCRAPE, COMPARED);
    process.stdout.write(`--compare build / ${NODE_FLOOR} (cpu) = ${c.median.toFixed(2)} (min ${c.min.toFixed(2)}, max ${c.max.toFixed(2)}); this build / --compare build = ${fmtRatio(vs)}\n`);
  }
  await servedScrape(node.root, samples);
  if (callgrind) {
    const irOf = (cmd: string, argv: string[], env: Record<string, string>) => {
      const p = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', cmd, ...argv], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (p.status !== 0) throw new Error(`callgrind: ${cmd} ${argv.join(' ')} exited ${p.status}: ${p.stderr.slice(-300)}`);
      if (argv.includes('stats') && p.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length !== samples) throw new Error(`callgrind: the scrape printed other samples than ${samples}`);
      const ir = /refs:\s+([\d,]+)/.exec(p.stderr)?.[1];
      if (!ir) throw new Error(`callgrind: no count for ${cmd} ${argv.join(' ')}: ${p.stderr.slice(-300)}`);
      return Number(ir.replace(/,/g, '')) / 1e6;
    };
    // The launcher is a sh script: callgrind runs Node itself on the same file, as the launcher would,
    // with the V8 flags it gives a scrape (they must match the ones the chunk's code cache was made with).
    const v8Flags = /^case \$\{1-\} in [^)]*\bstats\b[^)]*\) lioha_v8='([^']*)'/m.exec(readFileSync(cli, 'utf8').slice(0, 4096))?.[1]?.split(' ') ?? [];
    const floor: number[] = [];
    const scrape: number[] = [];
    const compared: number[] = [];
    for (let i = 0; i < 3; i++) {
      floor.push(irOf(process.execPath, ['-e', '0'], {}));
      scrape.push(irOf(process.execPath, [...v8Flags, cli, 'stats'], { LIOHA_ROOT: node.root }));
      if (compare) compared.push(irOf(process.execPath, [...v8Flags, resolve(compare), 'stats'], { LIOHA_ROOT: node.root }));
    }
    const fmt = (xs: number[]) => `${median(xs).toFixed(1)} M (${xs.map((x) => x.toFixed(1)).join(', ')})`;
    process.stdout.write(`\ninstructions (callgrind, user space, median of 3; scrape with ${v8Flags.join(' ') || 'no V8 flags'}): floor ${fmt(floor)}, scrape ${fmt(scrape)}, ratio ${(median(scrape) / median(floor)).toFixed(2)}\n`);
    if (compare) process.stdout.write(`--compare build: ${fmt(compared)}, ratio ${(median(compared) / median(floor)).toFixed(2)}\n`);
  }
} finally {
  server?.kill('SIGTERM');
  node.cleanup();
  rmSync(empty, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
}
