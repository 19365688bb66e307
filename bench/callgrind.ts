/**
 * Instruction counts of one command under valgrind's callgrind (Ir, every thread), for the
 * load-independent benchmarks. Node.js 20.20's V8 draws the secrets of its string hash seed at
 * start-up with a random search for primes (HashSeed::InitializeRoots): 5 to 15 M instructions,
 * different in every process, which is the largest part of the run-to-run spread of a short run.
 * It is the same work for every Node.js process: `steady()` counts every run with the median of
 * that set-up over all runs in place of its own, which keeps the figures (and the ratios to the
 * anchor) what they are on average and takes the spread away.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv } from './measure.js';

export interface Count {
  /** Instructions without the hash seed's set-up (see steady()). */
  ir: number;
  /** The hash seed's set-up alone. */
  hashSeed: number;
}

export function requireCallgrind(): void {
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is needed (apt-get install valgrind)');
}

const dir = mkdtempSync(join(tmpdir(), 'lioha-callgrind-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const num = (s: string) => Number(s.replace(/,/g, ''));

export function instructions(cmd: string, args: string[], env: NodeJS.ProcessEnv, ok: number): Count {
  const out = join(dir, 'callgrind.out');
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, cmd, ...args], { env: cleanEnv(env), encoding: 'utf8' });
  if (r.status !== ok) throw new Error(`${cmd} ${args.join(' ').slice(0, 120)}: exit ${r.status}: ${r.stderr.slice(-300)}`);
  const a = spawnSync('callgrind_annotate', ['--inclusive=yes', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(out, { force: true });
  const total = /^\s*([\d,]+)\s.*PROGRAM TOTALS/m.exec(a.stdout);
  if (!total) throw new Error(`no callgrind total for ${cmd}: ${a.stderr.slice(-300)}`);
  const seed = /^\s*([\d,]+)\s.*HashSeed::InitializeRoots/m.exec(a.stdout);
  const hashSeed = seed ? num(seed[1]!) : 0;
  return { ir: num(total[1]!) - hashSeed, hashSeed };
}

/** Each count's instructions with the median hash-seed set-up of all of `counts` in place of its own. */
export function steady(counts: readonly Count[]): (c: Count) => number {
  const seeds = counts.map((c) => c.hashSeed).sort((a, b) => a - b);
  const typical = seeds.length ? seeds[seeds.length >> 1]! : 0;
  return (c) => c.ir + typical;
}
