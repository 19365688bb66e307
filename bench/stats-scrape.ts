/**
 * Cost of one `lioha stats` scrape of a 32-LUN x 32-ACL target (1,024 mapped
 * LUNs, emulated configfs on tmpfs) against the floor `env -i node -e 0`,
 * measured interleaved in the same run: min / median / max of the per-pair
 * ratios, and the absolute times.
 *   npm run build && npx tsx bench/stats-scrape.ts [pairs=21] [luns=32] [acls=32]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { makeNode, logIn, setLunMiB } from '../test/stats/fixture.js';

const pairs = Number(process.argv[2] ?? 21);
const luns = Number(process.argv[3] ?? 32);
const acls = Number(process.argv[4] ?? 32);
const cli = 'dist/bin/lioha';
if (!existsSync(cli)) throw new Error('run npm run build first');

const node = await makeNode({ luns, acls });
for (let i = 0; i < luns; i++) setLunMiB(node, i, i, 2 * i, 100 * i);
for (let a = 0; a < acls; a += 2) logIn(node, a);

const nodeBin = process.execPath;
/** Wall time, and CPU time (user+system from /usr/bin/time): on a shared, loaded machine CPU time is the steadier figure. */
function timed(cmd: string, args: string[], env: Record<string, string>): { ms: number; cpuMs: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'LIOHA_CPU %U %S', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const m = /LIOHA_CPU (\S+) (\S+)/.exec(r.stderr);
  return { ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, out: r.stdout };
}
const floorRun = () => timed('env', ['-i', nodeBin, '-e', '0'], {});
const scrapeRun = () => timed('env', ['-i', `LIOHA_ROOT=${node.root}`, nodeBin, cli, 'stats'], {});

try {
  const first = scrapeRun();
  const lines = first.out.split('\n').filter((l) => l && !l.startsWith('#')).length;
  floorRun();
  const floor: number[] = [];
  const scrape: number[] = [];
  const ratio: number[] = [];
  const floorCpu: number[] = [];
  const scrapeCpu: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate the order so neither side always runs on a warmer cache.
    const [f, s] = i % 2 ? [floorRun(), scrapeRun()] : (() => { const s2 = scrapeRun(); return [floorRun(), s2] as const; })();
    floor.push(f.ms);
    scrape.push(s.ms);
    ratio.push(s.ms / f.ms);
    floorCpu.push(f.cpuMs);
    scrapeCpu.push(s.cpuMs);
  }
  const st = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return { min: s[0]!, med: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! }; };
  const f = st(floor), s = st(scrape), r = st(ratio);
  const fmt = (x: { min: number; med: number; max: number }, d = 1) => `${x.min.toFixed(d)} / ${x.med.toFixed(d)} / ${x.max.toFixed(d)}`;
  process.stdout.write(`lioha stats scrape: ${luns} LUNs x ${acls} ACLs (${luns * acls} mapped LUNs), ${lines} samples, ${pairs} interleaved pairs\n`);
  process.stdout.write(`  floor  env -i node -e 0     min/median/max ms: ${fmt(f)}\n`);
  process.stdout.write(`  scrape env -i lioha stats   min/median/max ms: ${fmt(s)}\n`);
  process.stdout.write(`  ratio scrape/floor          min/median/max   : ${fmt(r, 2)}   (goal: <= 2)\n`);
  const fc = st(floorCpu), sc = st(scrapeCpu);
  process.stdout.write(`  CPU (user+sys, 10 ms ticks) floor / scrape median ms: ${fc.med.toFixed(0)} / ${sc.med.toFixed(0)}  ratio of medians ${(sc.med / fc.med).toFixed(2)}\n`);
} finally {
  node.cleanup();
}
