/** Interleaved wall-time measurement of whole commands: each round runs every case once, in a shuffled order. */
import { spawnSync } from 'node:child_process';

export interface Case {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Exit codes that mean the command did what was measured. */
  ok?: number[];
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

export function measure(cases: Case[], rounds: number, warmup = 3): Map<string, number[]> {
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let r = -warmup; r < rounds; r++) {
    const order = [...cases].sort(() => Math.random() - 0.5);
    for (const c of order) {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(c.cmd, c.args, { env: cleanEnv(c.env ?? process.env), stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!(c.ok ?? [0]).includes(p.status ?? -1)) {
        throw new Error(`${c.name}: exit ${p.status}: ${String(p.stderr).slice(0, 300)}`);
      }
      if (r >= 0) times.get(c.name)!.push(ms);
    }
  }
  return times;
}

export function report(times: Map<string, number[]>, baseline: string): void {
  const base = median(times.get(baseline)!);
  const w = Math.max(...[...times.keys()].map((k) => k.length));
  for (const [name, xs] of times) {
    const m = median(xs);
    process.stdout.write(`${name.padEnd(w)}  median ${m.toFixed(1).padStart(7)} ms   x${(m / base).toFixed(2)} of ${baseline}\n`);
  }
}
