/**
 * portal vs ocf:heartbeat:IPaddr2, in the same network namespace (a veth pair
 * of two private namespaces; documentation addresses only): start, monitor
 * and stop medians from interleaved rounds, with ratios. Both agents get the
 * same minimal environment, as Pacemaker gives them; both run through
 * `ip netns exec`, whose own cost is shown as a baseline.
 *
 * IPaddr2 does no duplicate address detection by default (run_arping=false)
 * while portal does (dad=true, a 1 s ARP probe), so start is shown both ways.
 *
 * Every figure is given in wall time and in CPU time (user + system of the
 * command and all its children, `ip netns exec` and `env` included for both
 * agents, from bash's `times`, as bench/measure.ts takes it).
 *
 * Usage: npm run bench:portal [monitor-rounds] [start-stop-rounds]   (root; npm run build first)
 */
import { builtAgentPath } from '../test/helpers/agent.js';
import { createPair, netnsUnavailable } from '../test/helpers/netns.js';
import { loadLine, median, runOnce } from './measure.js';

const monitorRounds = Number(process.argv[2] ?? 40);
const cycleRounds = Number(process.argv[3] ?? 10);
const IPADDR2 = '/usr/lib/ocf/resource.d/heartbeat/IPaddr2';

const why = netnsUnavailable();
if (why) {
  process.stderr.write(`cannot run: ${why}\n`);
  process.exit(2);
}

const pair = createPair('lioha-bench');
process.on('exit', () => pair.destroy());
process.on('SIGINT', () => process.exit(130));

interface Agent {
  name: string;
  path: string;
  params: Record<string, string>;
}

function envArgs(a: Agent, extra: Record<string, string> = {}): string[] {
  const vars: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: a.name.replace(/[^A-Za-z0-9_]/g, '_'),
    ...extra,
  };
  for (const [k, v] of Object.entries(a.params)) vars[`OCF_RESKEY_${k}`] = v;
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`);
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Runs one action inside the namespace (NODE_* cleared, then `env -i`): wall and CPU milliseconds. */
function time(a: Agent, action: string, ok: number[], extra: Record<string, string> = {}): Sample {
  return runOnce({ name: `${a.name} ${action}`, cmd: 'ip', args: ['netns', 'exec', pair.a, 'env', '-i', ...envArgs(a, extra), a.path, action], ok });
}

function baseline(cmd: string[]): Sample {
  return runOnce({ name: cmd.join(' '), cmd: 'ip', args: ['netns', 'exec', pair.a, 'env', '-i', ...cmd] });
}

const portal: Agent = { name: 'portal', path: builtAgentPath('portal'), params: { ip: '192.0.2.71', cidr_netmask: '24', nic: pair.dev } };
const portalNoDad: Agent = { name: 'portal dad=false', path: portal.path, params: { ...portal.params, ip: '192.0.2.72', dad: 'false' } };
const ipaddr2: Agent = { name: 'IPaddr2', path: IPADDR2, params: { ip: '192.0.2.73', cidr_netmask: '24', nic: pair.dev } };
const agents = [portal, portalNoDad, ipaddr2];
const shuffle = <T>(xs: T[]) => [...xs].sort(() => Math.random() - 0.5);

const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
const rec = (k: string, s: Sample) => {
  (wall.get(k) ?? wall.set(k, []).get(k)!).push(s.wallMs);
  (cpu.get(k) ?? cpu.set(k, []).get(k)!).push(s.cpuMs);
};

process.stdout.write(`portal vs IPaddr2 in namespace ${pair.a}: ${cycleRounds} start/stop rounds, ${monitorRounds} monitor rounds, node ${process.version}\n`);

// start / monitor / stop cycles, agents interleaved in random order each round (first round is warm-up).
for (let r = -1; r < cycleRounds; r++) {
  for (const a of shuffle(agents)) {
    const s = time(a, 'start', [0]);
    const m = time(a, 'monitor', [0], { OCF_RESKEY_CRM_meta_interval: '10000' });
    const p = time(a, 'stop', [0]);
    if (r >= 0) {
      rec(`${a.name} start`, s);
      rec(`${a.name} stop`, p);
      rec(`${a.name} monitor (after start)`, m);
    }
  }
}

// Recurring monitors of running resources, and probes of stopped ones.
for (const a of agents) time(a, 'start', [0]);
for (let r = -3; r < monitorRounds; r++) {
  const cases: [string, () => Sample][] = [
    ['ip netns exec true', () => baseline(['true'])],
    ['ip netns exec env -i node -e 0', () => baseline([process.execPath, '-e', '0'])],
    ...[portal, ipaddr2].map((a): [string, () => Sample] => [`${a.name} monitor`, () => time(a, 'monitor', [0], { OCF_RESKEY_CRM_meta_interval: '10000' })]),
    ...[portal, ipaddr2].map((a): [string, () => Sample] => [
      `${a.name} probe (stopped)`,
      () => time({ ...a, params: { ...a.params, ip: '192.0.2.99' } }, 'monitor', [7], { OCF_RESKEY_CRM_meta_interval: '0' }),
    ]),
  ];
  for (const [name, fn] of shuffle(cases)) {
    const sample = fn();
    if (r >= 0) rec(name, sample);
  }
}
for (const a of agents) time(a, 'stop', [0]);

/** Per-round ratios (both were measured in the same rounds): median (min, max). */
const ratio = (t: Map<string, number[]>, p: string, i: string) => {
  const b = t.get(i)!;
  const xs = t.get(p)!.map((x, n) => x / b[n]!);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};
const fmt = (r: { median: number; min: number; max: number }) => `x${r.median.toFixed(2)} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`;
const ROWS: [string, string, string][] = [
  ['start (portal dad=true)', 'portal start', 'IPaddr2 start'],
  ['start (portal dad=false)', 'portal dad=false start', 'IPaddr2 start'],
  ['stop (portal dad=true)', 'portal stop', 'IPaddr2 stop'],
  ['stop (portal dad=false)', 'portal dad=false stop', 'IPaddr2 stop'],
  ['monitor, running', 'portal monitor', 'IPaddr2 monitor'],
  ['probe, stopped', 'portal probe (stopped)', 'IPaddr2 probe (stopped)'],
  ['monitor right after start', 'portal monitor (after start)', 'IPaddr2 monitor (after start)'],
];
const floor = 'ip netns exec env -i node -e 0';
const GOALS: [string, string, string][] = [
  ['portal monitor no slower than IPaddr2', 'portal monitor', 'IPaddr2 monitor'],
  ['portal start (dad=false) no slower than IPaddr2', 'portal dad=false start', 'IPaddr2 start'],
  ['portal stop (dad=false) no slower than IPaddr2', 'portal dad=false stop', 'IPaddr2 stop'],
];
process.stdout.write(`\n${loadLine()}\n`);
for (const [unit, t] of [['wall', wall], ['CPU', cpu]] as const) {
  const med = (k: string) => median(t.get(k) ?? [NaN]);
  process.stdout.write(`\n${`median ${unit} ms (incl. ip netns exec)`.padEnd(34)} ${'portal'.padStart(11)} ${'IPaddr2'.padStart(11)}   portal/IPaddr2 per round: median (min, max)\n`);
  for (const [label, p, i] of ROWS) {
    process.stdout.write(`${label.padEnd(34)} ${med(p).toFixed(1).padStart(8)} ms ${med(i).toFixed(1).padStart(8)} ms   ${fmt(ratio(t, p, i))}\n`);
  }
  process.stdout.write(`baselines (${unit}): ip netns exec true ${med('ip netns exec true').toFixed(1)} ms, ${floor} ${med(floor).toFixed(1)} ms\n`);
  for (const k of ['portal monitor', 'portal probe (stopped)', 'IPaddr2 monitor']) process.stdout.write(`${k} / ${floor} (${unit}): ${fmt(ratio(t, k, floor))}\n`);
  for (const [what, p, i] of GOALS) process.stdout.write(`goal (${what}, ${unit}, median per-round ratio <= 1): ${ratio(t, p, i).median <= 1 ? 'met' : 'NOT met'}\n`);
}
process.stdout.write(`${loadLine()}\n`);
