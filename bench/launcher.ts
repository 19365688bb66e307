/**
 * Cost of the agents' sh launcher: the built dummy agent (launcher + bundle) against the same bundle started the
 * old way (`#!/usr/bin/env node`), both as Pacemaker runs them (empty environment, PATH=/usr/sbin:/usr/bin:/sbin:/bin),
 * with `env -i node -e 0` as the anchor; one interleaved run. "launcher alone" is the sh part by itself. Usage: npm run bench:launcher [rounds]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAgentPath } from '../test/helpers/agent.js';
import { measure, median, type Case } from './measure.js';

const rounds = Number(process.argv[2] ?? 40);
const work = mkdtempSync(join(tmpdir(), 'lioha-bench-launcher-'));
const launcher = builtAgentPath('dummy');
const direct = join(work, 'dummy-shebang');
const text = readFileSync(launcher, 'utf8');
const end = text.indexOf('\n*/\n');
if (!text.startsWith('#!/bin/sh\n') || end < 0) throw new Error(`${launcher} has no launcher header`);
writeFileSync(direct, `#!/usr/bin/env node\n${text.slice(end + 4)}`, { mode: 0o755 });

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'bench', LIOHA_ROOT: work, OCF_RESKEY_CRM_meta_interval: '10000' };
const cases: Case[] = [
  { name: 'node -e 0', cmd: 'env', args: ['-i', `PATH=${env.PATH}`, process.execPath, '-e', '0'], env: {} },
  { name: 'shebang monitor', cmd: direct, args: ['monitor'], env, ok: [7] },
  { name: 'launcher monitor', cmd: launcher, args: ['monitor'], env, ok: [7] },
  { name: 'shebang meta-data', cmd: direct, args: ['meta-data'], env },
  { name: 'launcher meta-data', cmd: launcher, args: ['meta-data'], env },
  // The launcher's own work, without Node.js: sh starts, finds the interpreter, prints it.
  { name: 'launcher alone', cmd: launcher, args: ['lioha-interpreter'], env },
];
process.stdout.write(`launcher benchmark: ${rounds} interleaved rounds, node ${process.version} (${process.execPath})\n`);
const t = measure(cases, rounds).wall; // wall time: the launcher adds a sh exec
rmSync(work, { recursive: true, force: true });

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]!.toFixed(3)}  median ${median(s).toFixed(3)}  max ${s.at(-1)!.toFixed(3)}`;
};
const perRound = (a: string, b: string) => t.get(a)!.map((x, i) => x / t.get(b)![i]!);
for (const [name, xs] of t) process.stdout.write(`${name.padEnd(20)} ms: ${stats(xs)}\n`);
process.stdout.write('\nper-round ratios\n');
for (const [a, b] of [
  ['launcher monitor', 'shebang monitor'],
  ['launcher meta-data', 'shebang meta-data'],
  ['shebang monitor', 'node -e 0'],
  ['launcher monitor', 'node -e 0'],
  ['launcher alone', 'node -e 0'],
] as const) process.stdout.write(`${`${a} / ${b}`.padEnd(42)} ${stats(perRound(a, b))}\n`);
const extra = median(t.get('launcher monitor')!) - median(t.get('shebang monitor')!);
process.stdout.write(`\nlauncher adds ${extra.toFixed(1)} ms to the median monitor\n`);
