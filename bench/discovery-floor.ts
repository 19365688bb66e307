/**
 * Where the discovery monitor's instructions go beyond `env -i node -e 0`: node:net measured alone.
 * Callgrind Ir (every thread; the median V8 hash-seed set-up in each: bench/callgrind.ts), median of N runs, of
 *   - the anchor, and `node -e "require('node:net')"` (node:net and the ~20 stream modules it loads);
 *   - a bare node:net login exchange with the built lioha-portald on loopback: connect, one discovery
 *     Login Request (the monitor's bytes), exit on the Login Response; once more with socket.destroy()
 *     first, which creates process.stderr;
 *   - the built discovery agent's probe (no daemon: no config, no login) and monitor.
 * The differences split the monitor into the agent's own start (launcher, bundle, dispatch), node:net's
 * load, node:net's exchange, and the rest (config check, probe module).
 *
 *   npm run build && npx tsx bench/discovery-floor.ts [runs=3]
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { discoveryLoginRequest, PROBE_INITIATOR } from '../lib/iscsi/probe.js';
import { builtAgentPath } from '../test/helpers/agent.js';
import { CaseRoots, discoveryCases } from '../test/helpers/monitor-cases.js';
import { instructions as count, requireCallgrind, steady, type Count } from './callgrind.js';
import { loadLine, median } from './measure.js';

const runs = Number(process.argv[2] ?? 3);
requireCallgrind();
const instructions = (args: string[], env: NodeJS.ProcessEnv, ok: number): Count => count(process.execPath, args, env, ok);

const roots = new CaseRoots(tmpdir(), 'lioha-discovery-floor-');
process.on('exit', () => roots.cleanup());
const d = await discoveryCases(roots);
const monitor = d.startMonitor();
const { portals } = JSON.parse(readFileSync(monitor.env.OCF_RESKEY_config!, 'utf8')) as { portals: { port: number }[] };
const port = portals[0]!.port;
// The probe's request, as bytes.
const request = discoveryLoginRequest(PROBE_INITIATOR).toString('hex');
const exchange = (close: string) =>
  `const s = require('node:net').connect({ host: '127.0.0.1', port: ${port}, noDelay: true });` +
  `const t = setTimeout(() => process.exit(2), 3000);` +
  `s.on('connect', () => s.write(Buffer.from('${request}', 'hex')));` +
  `s.on('data', (b) => { if (b.length >= 48 && (b[0] & 0x3f) === 0x23) { clearTimeout(t); ${close} } });` +
  `s.on('error', () => process.exit(1));`;

const agent = builtAgentPath('discovery');
const cases: [string, string[], NodeJS.ProcessEnv, number][] = [
  ['env -i node -e 0', ['-e', '0'], {}, 0],
  ["node -e \"require('node:net')\"", ['-e', "require('node:net')"], {}, 0],
  ['node:net login exchange, exit on the answer', ['-e', exchange('process.exit(0);')], {}, 0],
  ['  the same, socket.destroy() first', ['-e', exchange('s.destroy();')], {}, 0],
  ['discovery probe (no daemon)', [agent, 'monitor'], d.probe.env, 7],
  ['discovery monitor', [agent, 'monitor'], monitor.env, 0],
];
for (const [, args, env, ok] of cases) instructions(args, env, ok); // code caches in place, as on a node
const raw = cases.map(() => [] as Count[]);
for (let i = 0; i < runs; i++) cases.forEach(([, args, env, ok], k) => raw[k]!.push(instructions(args, env, ok)));
const value = steady(raw.flat());
const counts = raw.map((cs) => cs.map(value));

process.stdout.write(`instructions (callgrind Ir, the median hash-seed set-up in each, median of ${runs}), node ${process.version}; ${loadLine()}\n`);
const m = counts.map(median);
const floor = m[0]!;
cases.forEach(([name], k) => {
  const xs = counts[k]!;
  process.stdout.write(`${name.padEnd(46)} ${(m[k]! / 1e6).toFixed(1).padStart(7)} M   x${(m[k]! / floor).toFixed(2)} (min ${(Math.min(...xs) / floor).toFixed(2)}, max ${(Math.max(...xs) / floor).toFixed(2)})\n`);
});
const share = (label: string, n: number) => process.stdout.write(`  ${label.padEnd(58)} ${(n / 1e6).toFixed(1).padStart(6)} M   ${(n / floor).toFixed(2)} of the anchor\n`);
process.stdout.write('the monitor beyond the anchor:\n');
share("the agent's own start (probe - anchor)", m[4]! - floor);
share("loading node:net (require('node:net') - anchor)", m[1]! - floor);
share('the node:net exchange (exchange - require)', m[2]! - m[1]!);
share('the rest: config check, probe module, pid checks', m[5]! - m[4]! - (m[2]! - floor));
process.stdout.write(`(socket.destroy() before exit would add ${((m[3]! - m[2]!) / 1e6).toFixed(1)} M: it creates process.stderr)\n`);
