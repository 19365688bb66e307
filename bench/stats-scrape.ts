/**
 * Cost of one `lioha stats` scrape of a 32-LUN x 32-ACL target (1,024 mapped LUNs, emulated
 * configfs on tmpfs, the device indices the kernel shows, half the initiators logged in) against
 * the floor `env -i node -e 0`, interleaved in the same rounds (bench/measure.ts: CPU and wall
 * time, per-round ratios). The CLI runs as installed: through its sh launcher, in an empty
 * environment. Also measured: the start-up alone (an empty root), a munin fetch, and
 * `lioha status` (crm_mon's XML from a file).
 *
 * With --callgrind, it also counts the instructions (valgrind --tool=callgrind, user space) of
 * the floor and of the scrape: figures that do not depend on how busy the machine is.
 *
 *   npm run build && npm run bench:stats [-- rounds=21 [--callgrind]]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLine, measure, median, NODE_FLOOR, nodeFloor, ratios, report, type Case } from './measure.js';
import { logIn, makeNode, setLunMiB } from '../test/stats/fixture.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 21);
const callgrind = args.includes('--callgrind');
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
const cases: Case[] = [
  nodeFloor(),
  { name: SCRAPE, cmd: cli, args: ['stats'], env: { LIOHA_ROOT: node.root } },
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
  if (callgrind) {
    const irOf = (cmd: string, argv: string[], env: Record<string, string>) => {
      const p = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', cmd, ...argv], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (p.status !== 0) throw new Error(`callgrind: ${cmd} ${argv.join(' ')} exited ${p.status}: ${p.stderr.slice(-300)}`);
      if (argv.length && p.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length !== samples) throw new Error(`callgrind: the scrape printed other samples than ${samples}`);
      const ir = /refs:\s+([\d,]+)/.exec(p.stderr)?.[1];
      if (!ir) throw new Error(`callgrind: no count for ${cmd} ${argv.join(' ')}: ${p.stderr.slice(-300)}`);
      return Number(ir.replace(/,/g, '')) / 1e6;
    };
    // The launcher is a sh script: callgrind runs Node itself on the same file, as the launcher would.
    const floor: number[] = [];
    const scrape: number[] = [];
    for (let i = 0; i < 3; i++) {
      floor.push(irOf(process.execPath, ['-e', '0'], {}));
      scrape.push(irOf(process.execPath, [cli, 'stats'], { LIOHA_ROOT: node.root }));
    }
    const fmt = (xs: number[]) => `${median(xs).toFixed(1)} M (${xs.map((x) => x.toFixed(1)).join(', ')})`;
    process.stdout.write(`\ninstructions (callgrind, user space, median of 3): floor ${fmt(floor)}, scrape ${fmt(scrape)}, ratio ${(median(scrape) / median(floor)).toFixed(2)}\n`);
  }
} finally {
  node.cleanup();
  rmSync(empty, { recursive: true, force: true });
  rmSync(bin, { recursive: true, force: true });
}
