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
 * Usage: npm run bench:portal [monitor-rounds] [start-stop-rounds]   (root; npm run build first)
 */
import { spawnSync } from 'node:child_process';
import { builtAgentPath } from '../test/helpers/agent.js';
import { createPair, netnsUnavailable } from '../test/helpers/netns.js';
import { median } from './measure.js';

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

/** Runs one action inside the namespace; returns wall milliseconds. */
function time(a: Agent, action: string, ok: number[], extra: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ip', ['netns', 'exec', pair.a, 'env', '-i', ...envArgs(a, extra), a.path, action], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!ok.includes(r.status ?? -1)) throw new Error(`${a.name} ${action}: exit ${r.status}: ${(r.stderr ?? '').slice(0, 400)}`);
  return ms;
}

function baseline(cmd: string[]): number {
  const t0 = process.hrtime.bigint();
  spawnSync('ip', ['netns', 'exec', pair.a, ...cmd], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const portal: Agent = { name: 'portal', path: builtAgentPath('portal'), params: { ip: '192.0.2.71', cidr_netmask: '24', nic: pair.dev } };
const portalNoDad: Agent = { name: 'portal dad=false', path: portal.path, params: { ...portal.params, ip: '192.0.2.72', dad: 'false' } };
const ipaddr2: Agent = { name: 'IPaddr2', path: IPADDR2, params: { ip: '192.0.2.73', cidr_netmask: '24', nic: pair.dev } };
const agents = [portal, portalNoDad, ipaddr2];
const shuffle = <T>(xs: T[]) => [...xs].sort(() => Math.random() - 0.5);

const t = new Map<string, number[]>();
const rec = (k: string, ms: number) => (t.get(k) ?? t.set(k, []).get(k)!).push(ms);

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
  const cases: [string, () => number][] = [
    ['ip netns exec true', () => baseline(['true'])],
    ['ip netns exec node -e 0', () => baseline([process.execPath, '-e', '0'])],
    ...[portal, ipaddr2].map((a): [string, () => number] => [`${a.name} monitor`, () => time(a, 'monitor', [0], { OCF_RESKEY_CRM_meta_interval: '10000' })]),
    ...[portal, ipaddr2].map((a): [string, () => number] => [
      `${a.name} probe (stopped)`,
      () => time({ ...a, params: { ...a.params, ip: '192.0.2.99' } }, 'monitor', [7], { OCF_RESKEY_CRM_meta_interval: '0' }),
    ]),
  ];
  for (const [name, fn] of shuffle(cases)) {
    const ms = fn();
    if (r >= 0) rec(name, ms);
  }
}
for (const a of agents) time(a, 'stop', [0]);

const med = (k: string) => median(t.get(k) ?? [NaN]);
const row = (label: string, p: string, i: string) => {
  const a = med(p);
  const b = med(i);
  process.stdout.write(`${label.padEnd(34)} ${a.toFixed(1).padStart(8)} ms ${b.toFixed(1).padStart(8)} ms   x${(a / b).toFixed(2)}\n`);
};
process.stdout.write(`\n${'median (wall, incl. ip netns exec)'.padEnd(34)} ${'portal'.padStart(11)} ${'IPaddr2'.padStart(11)}   portal/IPaddr2\n`);
row('start (portal dad=true)', 'portal start', 'IPaddr2 start');
row('start (portal dad=false)', 'portal dad=false start', 'IPaddr2 start');
row('stop', 'portal stop', 'IPaddr2 stop');
row('monitor, running', 'portal monitor', 'IPaddr2 monitor');
row('probe, stopped', 'portal probe (stopped)', 'IPaddr2 probe (stopped)');
row('monitor right after start', 'portal monitor (after start)', 'IPaddr2 monitor (after start)');
process.stdout.write(`\nbaselines: ip netns exec true ${med('ip netns exec true').toFixed(1)} ms, ip netns exec node -e 0 ${med('ip netns exec node -e 0').toFixed(1)} ms\n`);
const goal = med('portal monitor') <= med('IPaddr2 monitor');
process.stdout.write(`goal (portal monitor no slower than IPaddr2's): ${goal ? 'met' : 'NOT met'}\n`);
