/**
 * Interleaved wall-time measurement of whole commands: each round runs every
 * case once, in a shuffled order, the anchor included, so a ratio compares
 * runs made under the same load. Ratios are per round (case / anchor of that
 * round); reports give their min / median / max.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

export interface Case {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Exit codes that mean the command did what was measured. */
  ok?: number[];
  /** Run before each timed run (not timed), e.g. to put the resource into the state measured. */
  before?: () => void;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The environment Pacemaker gives agents has no NODE_* variables; some shells
 * set NODE_EXTRA_CA_CERTS, which alone roughly doubles Node's start-up.
 */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('NODE_')));
}

/** The anchor every agent figure is a ratio of: `env -i node -e 0` (an empty environment, so no NODE_* either). */
export const NODE_FLOOR = 'env -i node -e 0';
export function nodeFloor(): Case {
  return { name: NODE_FLOOR, cmd: process.execPath, args: ['-e', '0'], env: {} };
}

/**
 * The command runs under bash, whose `times` reports the CPU time (user + system,
 * all threads) of its children from getrusage(RUSAGE_CHILDREN): on a shared,
 * loaded machine CPU time is far steadier than wall time.
 */
const TIMED = '"$@" >/dev/null; rc=$?; times >&3; exit $rc';

export interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One run of c (its before() not included); throws on an unexpected exit code. */
export function runOnce(c: Case): Sample {
  c.before?.();
  const t0 = process.hrtime.bigint();
  const p = spawnSync('bash', ['-c', TIMED, 'bash', c.cmd, ...c.args], {
    env: cleanEnv(c.env ?? process.env),
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!(c.ok ?? [0]).includes(p.status ?? -1)) {
    throw new Error(`${c.name}: exit ${p.status}: ${String(p.stderr).slice(0, 300)}`);
  }
  // times: "0m0.000s 0m0.000s" (the shell), then "0mU.UUUs 0mS.SSSs" (its children).
  const t = String(p.output[3]).trim().split('\n')[1]!.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
  if (!t) throw new Error(`${c.name}: cannot parse times output ${String(p.output[3])}`);
  const cpuMs = (Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000;
  return { wallMs, cpuMs };
}

export interface Measured {
  wall: Map<string, number[]>;
  cpu: Map<string, number[]>;
}

export function measure(cases: Case[], rounds: number, warmup = 3): Measured {
  const wall = new Map(cases.map((c) => [c.name, [] as number[]]));
  const cpu = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let r = -warmup; r < rounds; r++) {
    const order = [...cases].sort(() => Math.random() - 0.5);
    for (const c of order) {
      const s = runOnce(c);
      if (r >= 0) {
        wall.get(c.name)!.push(s.wallMs);
        cpu.get(c.name)!.push(s.cpuMs);
      }
    }
  }
  return { wall, cpu };
}

export interface RatioStats {
  min: number;
  median: number;
  max: number;
}

/** Per-round ratios of name to anchor (both measured in the same rounds). */
export function ratios(times: Map<string, number[]>, name: string, anchor: string): RatioStats {
  const a = times.get(anchor)!;
  const xs = times.get(name)!.map((t, i) => t / a[i]!);
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) };
}

export const fmtRatio = (r: RatioStats) => `x${r.median.toFixed(2)} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`;

/** The load while measuring: the machine is shared, so say how busy it was. */
export function loadLine(): string {
  const [a, b] = loadavg();
  return `load average ${a!.toFixed(2)} (1 min), ${b!.toFixed(2)} (5 min)`;
}

/**
 * One line per case: median CPU and wall ms, the per-round CPU-time ratio to
 * the anchor (median, min, max) and the wall-time one; the goal verdict, when
 * a goal is given, is on the median CPU ratio (wall time on 2 shared cores
 * mostly measures the other users).
 */
export function report(m: Measured, anchor: string, goals: Record<string, number> = {}): void {
  const w = Math.max(...[...m.cpu.keys()].map((k) => k.length));
  process.stdout.write(`${'case'.padEnd(w)}  ${'cpu ms'.padStart(7)} ${'wall ms'.padStart(8)}   cpu ratio to ${anchor}: median (min, max)      wall ratio\n`);
  for (const [name, xs] of m.cpu) {
    const r = ratios(m.cpu, name, anchor);
    const rw = ratios(m.wall, name, anchor);
    const goal = goals[name];
    const verdict = goal === undefined ? '' : `   goal <= ${goal.toFixed(2)}: ${r.median <= goal ? 'met' : 'NOT met'}`;
    process.stdout.write(
      `${name.padEnd(w)}  ${median(xs).toFixed(1).padStart(7)} ${median(m.wall.get(name)!).toFixed(1).padStart(8)}   ${fmtRatio(r).padEnd(32)}  ${fmtRatio(rw)}${verdict}\n`,
    );
  }
}
