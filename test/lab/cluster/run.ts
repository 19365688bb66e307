/**
 * The two-node cluster lab (npm run test:lab:cluster): two node VMs (labA, labB) with DRBD 8.4 between
 * them on a replication link of their own, corosync on two links, Pacemaker built by the generated
 * `lioha cluster pcs` (or crm) script with fencing by the lab's fence_lab agent, and an initiator VM that
 * writes verified blocks through the portal address while the scenarios fail and move the target.
 *
 * Usage: tsx test/lab/cluster/run.ts [--full | --matrix S,P] [--crm] [--scenarios a,b,c] [--switchover-tool crm_resource|pcs] [--topology one|aa]
 * --topology aa: the active/active description lab-aa.json (a second group g_tgt2 on DRBD r1 preferring labB, and the
 * discovery portal); its scenario is `discovery` (the default with that topology).
 * Prints per-scenario figures and writes <run>/results.json; exits non-zero when a check fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Vm, type FenceRequest, type LabPaths } from './vm.js';
import { matrixScenarios } from './matrix.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Date.now() / 1000;
const log = (m: string) => process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const { values: argv } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    // "S,P": S switchovers and P power-offs, the power-offs spread among the switchovers (issue 15's matrix: 100,20)
    matrix: { type: 'string' },
    crm: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    run: { type: 'string' },
    'switchover-tool': { type: 'string', default: 'crm_resource' },
    topology: { type: 'string', default: 'one' },
  },
});

const repo = resolve(import.meta.dirname, '../../..');
const cache = process.env.LAB_CACHE ?? '/var/cache/lioha/lab'; // as test/lab/lib.sh
const runDir = argv.run ?? join(cache, 'cluster-runs', new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19));
fs.mkdirSync(runDir, { recursive: true });
const sockDir = fs.mkdtempSync('/tmp/lioha-cl-');
const paths: LabPaths = { repo, img: join(cache, 'current'), run: runDir, sock: sockDir, ns: `lioha-cl-${process.pid}` };
const GROUP = 'g_tgt';
const LAST_MEMBER = 'p_portal_vg1';
const VIP = '192.0.2.10';

// ---------------------------------------------------------------------------------------------- fencing
interface FenceEvent { t: number; by: string; op: string; node: string }
const fenceLog: FenceEvent[] = [];
const vms = new Map<string, Vm>();
async function fenceHandler(from: Vm, req: FenceRequest): Promise<Record<string, unknown>> {
  if (req.op === 'ping') return { ok: true };
  if (req.op === 'list') return { ok: true, nodes: ['labA', 'labB'] };
  const target = vms.get(req.node ?? '');
  if (!target || target.spec.role !== 'node') return { ok: false, error: `unknown node ${req.node}` };
  if (req.op === 'status') return { ok: true, state: target.running ? 'on' : 'off' };
  fenceLog.push({ t: now(), by: from.name, op: req.op, node: target.name });
  log(`fence: ${from.name} asks ${req.op} ${target.name}`);
  if (req.op === 'off' || req.op === 'reboot') {
    // reboot is carried out as off: the harness powers the node on again when the scenario lets it
    // rejoin (the seed's policy: the cluster is started by an operator, not at boot)
    await target.powerOff();
    return { ok: true };
  }
  if (req.op === 'on') return { ok: true };
  return { ok: false, error: `unsupported ${req.op}` };
}

const A = new Vm({ name: 'labA', role: 'node', addr0: '192.0.2.1', addr1: '198.51.100.1', taps: ['a0', 'a1'], mem: 768, mac: 1 }, paths, fenceHandler);
const B = new Vm({ name: 'labB', role: 'node', addr0: '192.0.2.2', addr1: '198.51.100.2', taps: ['b0', 'b1'], mem: 768, mac: 2 }, paths, fenceHandler);
const I = new Vm({ name: 'labI', role: 'initiator', addr0: '192.0.2.100', taps: ['i0'], mem: 512, mac: 3 }, paths, fenceHandler);
for (const v of [A, B, I]) vms.set(v.name, v);
const nodes = [A, B];
const other = (v: Vm) => (v === A ? B : A);

// ---------------------------------------------------------------------------------------------- helpers
async function waitFor<T>(what: string, timeoutS: number, fn: () => Promise<T | undefined | false>, everyMs = 1000): Promise<T> {
  const end = now() + timeoutS;
  for (;;) {
    const r = await fn();
    if (r) return r;
    if (now() > end) throw new Error(`timed out after ${timeoutS}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface RscState { id: string; role: string; node?: string; failed: boolean }
interface ClusterState { online: string[]; rsc: RscState[]; failures: string[] }
async function clusterState(v: Vm): Promise<ClusterState | undefined> {
  const r = await v.run('crm_mon -1 --output-as=xml', 60);
  if (r.rc !== 0) return undefined;
  const x = r.out;
  const online = [...x.matchAll(/<node name="([^"]+)"[^>]*online="true"/g)].map((m) => m[1]!);
  const rsc: RscState[] = [];
  for (const m of x.matchAll(/<resource id="([^"]+)"[^>]*role="([^"]+)"[^>]*failed="(true|false)"[^>]*?(\/>|>\s*<node name="([^"]+)")/g)) {
    rsc.push({ id: m[1]!, role: m[2]!, failed: m[3] === 'true', node: m[5] });
  }
  const failures = [...x.matchAll(/<failure ([^>]*)\/>/g)].map((m) => m[1]!);
  return { online, rsc, failures };
}
function groupOn(s: ClusterState, vg = 'vg1'): string | undefined {
  const members = s.rsc.filter((r) => r.id === `p_vg_${vg}` || r.id === `p_target_${vg}` || r.id === `p_portal_${vg}`);
  if (members.length < 3 || !members.every((r) => r.role === 'Started' && r.node === members[0]!.node)) return undefined;
  return members[0]!.node;
}
/** Waits for the group Started on `node`, or on either node when `node` is undefined. */
async function waitGroupOn(v: Vm, node: string | undefined, timeoutS: number): Promise<ClusterState> {
  let last = now();
  const where = node ?? 'either node';
  return waitFor(`${GROUP} started on ${where} (seen from ${v.name})`, timeoutS, async () => {
    const s = await clusterState(v);
    const on = s && groupOn(s);
    if (s && on && (node === undefined || on === node)) return s;
    if (now() - last > 30) {
      last = now();
      log(`still waiting for ${GROUP} on ${where}: ${s ? s.rsc.map((r) => `${r.id}=${r.role}@${r.node ?? '-'}${r.failed ? '(failed)' : ''}`).join(' ') : 'no state'}${s?.failures.length ? ` failures: ${s.failures.join(' | ')}` : ''}`);
    }
    return undefined;
  }, 2000);
}
/** Where the group runs; waits while it is being recovered or re-probed (after a cleanup, say). */
async function activeNode(): Promise<Vm> {
  return waitFor(`${GROUP} started somewhere`, 300, async () => {
    for (const v of nodes) {
      if (!v.running) continue;
      const s = await clusterState(v);
      const n = s && groupOn(s);
      if (n) return vms.get(n)!;
    }
    return undefined;
  }, 2000);
}

interface Alert { t: number; kind: string; node: string; rsc: string; task: string; rc: string; interval: string }
async function alerts(v: Vm): Promise<Alert[]> {
  const r = await v.run('cat /run/lab-alerts.log');
  return r.out.split('\n').filter(Boolean).map((l) => {
    const [t, kind, node, ...kv] = l.split(' ');
    const f = Object.fromEntries(kv.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    return { t: Number(t), kind: kind!, node: node!, rsc: f.rsc ?? '', task: f.task ?? '', rc: f.rc ?? '', interval: f.interval ?? '' };
  });
}

/** exec-time (ms) of the last operations in the CIB history, per resource and operation, on one node */
async function execTimes(v: Vm, node: string): Promise<Record<string, Record<string, number>>> {
  const r = await v.run('cibadmin -Q -o status', 60);
  const out: Record<string, Record<string, number>> = {};
  const ns = new RegExp(`<node_state [^>]*uname="${node}"[^]*?</node_state>`).exec(r.out)?.[0] ?? '';
  for (const m of ns.matchAll(/<lrm_rsc_op ([^>]*)>/g)) {
    const a = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const rsc = /^(.*)_(last|monitor|last_failure)/.exec(a.id ?? '')?.[1] ?? a.id!;
    const op = a.operation === 'monitor' ? `monitor_${Number(a.interval) / 1000}s` : a.operation!;
    if (a['exec-time'] === undefined) continue;
    (out[rsc] ??= {})[op] = Number(a['exec-time']);
  }
  return out;
}

// ----------------------------------------------------------------------------------------- portal probe
class PortalProbe {
  events: { state: 'up' | 'down'; t: number }[] = [];
  private p: ChildProcess;
  constructor() {
    this.p = spawn('ip', ['netns', 'exec', paths.ns, 'python3', join(repo, 'test/lab/cluster/probe.py'), VIP, '3260'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    this.p.stdout!.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const [s, t] = buf.slice(0, i).split(' ');
        buf = buf.slice(i + 1);
        this.events.push({ state: s as 'up' | 'down', t: Number(t) });
      }
    });
  }
  /** First "up" after t0 that follows a "down" at or after t0; 0 when the portal never went down. */
  answeringAfter(t0: number): number | undefined {
    const ev = this.events.filter((e) => e.t >= t0);
    const down = ev.findIndex((e) => e.state === 'down');
    if (down < 0) return this.isUp() ? 0 : undefined;
    const up = ev.slice(down).find((e) => e.state === 'up');
    return up ? up.t - t0 : undefined;
  }
  isUp(): boolean { return this.events.at(-1)?.state === 'up'; }
  stop(): void { this.p.kill(); }
}

// --------------------------------------------------------------------------------------- writer stalls
async function writerGaps(): Promise<{ a: number; b: number }[]> {
  const r = await I.run('cat /run/writer/gaps 2>/dev/null');
  return r.out.split('\n').filter((l) => /^\d/.test(l)).map((l) => { const [a, b] = l.split(' ').map(Number); return { a: a!, b: b! }; });
}
async function writerStatus(): Promise<{ acked: number; errors: number }> {
  return JSON.parse(await I.sh('writer_status')) as { acked: number; errors: number };
}

// ------------------------------------------------------------------------------------------- scenarios
interface Figures {
  scenario: string; from: string; to: string; ok: boolean; error?: string;
  group_started_s?: number; portal_answering_s?: number; stall_s?: number; fenced_s?: number;
  rejoin_s?: number; resync_s?: number; acked_during?: number; write_errors_during?: number;
  exec_ms?: Record<string, Record<string, number>>;
  /** the discovery scenario's own figures and observations */
  discovery?: Record<string, unknown>;
}
const figures: Figures[] = [];

async function rejoin(v: Vm, fig: Figures): Promise<void> {
  if (!v.running) {
    const t = now();
    await v.waitExit(1);
    await v.boot();
    await v.sh('node_prepare');
    await v.sh('cluster_start');
    await v.sh('cluster_online 2', 400);
    fig.rejoin_s = now() - t;
  }
  // DRBD resyncs the returning node from the survivor; crm-unfence-peer.sh lifts the fencing constraint
  const t = now();
  await waitFor(`DRBD UpToDate/UpToDate on ${v.name}`, 600, async () => (await v.run('drbd_uptodate')).rc === 0, 2000);
  fig.resync_s = now() - t;
  await waitFor('the DRBD fencing constraint lifted', 120, async () =>
    !(await other(v).run('cibadmin -Q -o constraints')).out.includes('drbd-fence-by-handler'), 2000);
}

/** body returns the node that should run the group after the event, and optionally the node to read the cluster's state from. */
async function scenario(name: string, fig: Omit<Figures, 'ok' | 'scenario'>, body: (t0: number) => Promise<{ survivor: Vm; t0: number; observer?: Vm }>): Promise<void> {
  const f: Figures = { scenario: name, ok: false, ...fig };
  figures.push(f);
  log(`=== ${name}: ${f.from} -> ${f.to}`);
  const st0 = await writerStatus();
  try {
    for (const v of [...nodes, I]) if (v.running) await v.syncClock();
    const t0 = now();
    const { survivor, observer } = await body(t0);
    const s = await waitGroupOn(observer ?? survivor, survivor.name, 600);
    const started = (await alerts(survivor)).filter((a) => a.rsc === LAST_MEMBER && a.task === 'start' && a.rc === '0' && a.t >= t0);
    if (started[0]) f.group_started_s = started[0].t - t0;
    f.portal_answering_s = await waitFor('the portal answering', 120, async () => probe!.answeringAfter(t0) ?? false, 500).catch(() => undefined);
    // the writer goes on: let it acknowledge writes after the event, then take the longest gap overlapping the event
    const acked = (await writerStatus()).acked;
    await waitFor('writes acknowledged after the event', 300, async () => (await writerStatus()).acked > acked + 20, 1000);
    const tEnd = now();
    const gaps = (await writerGaps()).filter((g) => g.b >= t0 && g.a <= tEnd);
    f.stall_s = gaps.reduce((m, g) => Math.max(m, g.b - g.a), 0);
    const fence = fenceLog.find((e) => e.t >= t0);
    if (fence) f.fenced_s = fence.t - t0;
    f.exec_ms = await execTimes(survivor, survivor.name);
    if (s.failures.length) log(`failed actions after ${name}: ${s.failures.join(' | ')}`);
    f.ok = true;
  } catch (e) {
    f.error = (e as Error).message;
    log(`${name} FAILED: ${f.error}`);
  }
  const st1 = await writerStatus().catch(() => st0);
  f.acked_during = st1.acked - st0.acked;
  f.write_errors_during = st1.errors - st0.errors;
  log(`${name}: ${JSON.stringify({ ...f, exec_ms: undefined })}`);
}

const SCENARIOS: Record<string, () => Promise<void>> = {
  // A move with a constraint, then its clear once the group runs on the peer; no failback.
  // `crm_resource --move/--clear` is what `pcs resource move-with-constraint`/`clear` and `crm resource
  // move`/`clear` run underneath. Under TCG pcs itself (Python) needed over 5 minutes of a busy guest to get
  // there, so the figures would time pcs's start-up, not the failover; --switchover-tool pcs runs pcs.
  async switchover() {
    const from = await activeNode(); const to = other(from);
    const viaPcs = argv['switchover-tool'] === 'pcs';
    const move = viaPcs ? `pcs resource move-with-constraint ${GROUP} ${to.name}` : `crm_resource --move --resource ${GROUP} --node ${to.name}`;
    const clear = viaPcs ? `pcs resource clear ${GROUP}` : `crm_resource --clear --resource ${GROUP}`;
    await scenario(`switchover (${viaPcs ? 'pcs resource move' : 'crm_resource --move'} + clear)`, { from: from.name, to: to.name }, async (t0) => {
      await from.sh(move, 600);
      return { survivor: to, t0 };
    });
    await to.sh(clear, 600);
    await sleep(10_000);
    const c = await to.sh('cibadmin -Q -o constraints');
    if (c.includes('cli-ban') || c.includes('cli-prefer')) throw new Error('the clear left a cli-ban/cli-prefer constraint');
    const s = await clusterState(to);
    if (!s || groupOn(s) !== to.name) throw new Error(`the group did not stay on ${to.name} after the clear (failback?)`);
  },
  // hard power-off of the active node (qemu killed): fenced, fails over, rejoins, resyncs, no failback
  async poweroff() {
    const from = await activeNode(); const to = other(from);
    const fig = { from: from.name, to: to.name };
    await scenario('power-off of the active node (qemu killed)', fig, async (t0) => {
      await from.kill();
      return { survivor: to, t0 };
    });
    const f = figures.at(-1)!;
    await rejoin(from, f);
    await sleep(10_000);
    const s = await clusterState(to);
    if (!s || groupOn(s) !== to.name) throw new Error(`the group did not stay on ${to.name} after ${from.name} rejoined (failback?)`);
  },
  // kernel panic (sysrq c): the node hangs until the survivor fences it through qemu
  async panic() {
    const from = await activeNode(); const to = other(from);
    await scenario('kernel panic (sysrq c)', { from: from.name, to: to.name }, async (t0) => {
      void from.run('echo c > /proc/sysrq-trigger');
      await waitFor(`${from.name} fenced (powered off)`, 300, async () => !from.running, 500);
      return { survivor: to, t0 };
    });
    if (!fenceLog.some((e) => e.node === from.name && e.by === to.name)) throw new Error(`${to.name} did not fence ${from.name}`);
    // the fenced node rejoins before the next scenario (bothNodes); the power-off scenario checks the rejoin itself
  },
  // graceful shutdown of the active node's cluster stack (pacemakerd TERM, then corosync): the group is
  // stopped there and started on the peer, nobody is fenced; the node starts its stack again, no failback
  async shutdown() {
    const from = await activeNode(); const to = other(from);
    await scenario('graceful shutdown of the active node', { from: from.name, to: to.name }, async (t0) => {
      void from.sh('cluster_stop', 900).catch((e: Error) => log(`cluster_stop: ${e.message}`));
      return { survivor: to, t0 };
    });
    const f = figures.at(-1)!;
    await waitFor(`${from.name}'s cluster stack stopped`, 600, async () => (await from.run('pgrep -x corosync')).rc === 1, 2000);
    if (fenceLog.some((e) => e.t >= now() - 900 && e.node === from.name)) throw new Error(`${from.name} was fenced on a graceful shutdown`);
    await from.sh('cluster_start');
    await rejoin(from, f);
    await noFailback(to);
  },
  // corosync killed on the active node: its Pacemaker loses the membership, the peer fences it and takes over
  async 'kill-corosync'() {
    const from = await activeNode(); const to = other(from);
    await scenario('corosync killed on the active node', { from: from.name, to: to.name }, async (t0) => {
      await from.sh('pkill -KILL -x corosync');
      await waitFor(`${from.name} fenced`, 600, async () => !from.running, 1000);
      return { survivor: to, t0 };
    });
  },
  // pacemakerd killed on the active node: its subdaemons go on; nothing may move, nothing may be lost
  async 'kill-pacemakerd'() {
    const on = await activeNode();
    await scenario('pacemakerd killed on the active node', { from: on.name, to: on.name }, async (t0) => {
      await on.sh('pkill -KILL -x pacemakerd');
      await sleep(70_000); // longer than every monitor interval (61 s depth 10)
      // crm_mon asks pacemakerd first (Pacemaker 2.1) and fails on this node until it is back: read the peer's view
      return { survivor: on, t0, observer: other(on) };
    });
    const f = figures.at(-1)!;
    if (fenceLog.some((e) => e.node === on.name && e.t >= now() - 300)) f.error = `${on.name} was fenced`;
    // pacemakerd started again takes the running subdaemons back (Pacemaker 2.1)
    await on.sh(`(env PATH="$PATH" PCMK_logfile=/var/log/cluster/pacemaker.log setsid pacemakerd >/dev/null 2>&1 < /dev/null &)`);
    await waitFor('pacemakerd back', 120, async () => (await on.run('pgrep -x pacemakerd')).rc === 0, 2000);
  },
  // both corosync links blocked on labA: a split; labA wins the fence race (the device fencing it waits
  // 30 s, lab.json), labB is fenced, the group runs on labA; labB boots and rejoins once the links are back
  async 'corosync-links'() {
    const from = await activeNode();
    await scenario('corosync links blocked (split, fence race)', { from: from.name, to: A.name }, async (t0) => {
      // knet gives each link a port of its own (link 0 5405, link 1 5406): block both, or ring1 carries on
      await A.sh('block_port udp 5405-5406');
      await waitFor('labB fenced', 600, async () => !B.running, 1000);
      await A.sh('unblock_all');
      return { survivor: A, t0 };
    });
  },
  // DRBD's replication link blocked on the active node: the Primary fences its peer at the resource level
  // (crm-fence-peer.sh), goes on writing alone, nothing moves; the link back, the peer resyncs and is unfenced
  async 'drbd-link'() {
    const on = await activeNode(); const peer = other(on);
    await scenario('DRBD replication link blocked', { from: on.name, to: on.name }, async (t0) => {
      await on.sh('block_port tcp 7789');
      await waitFor('the DRBD fencing constraint placed', 300, async () =>
        (await on.run('cibadmin -Q -o constraints')).out.includes('drbd-fence-by-handler'), 2000);
      await sleep(30_000);
      return { survivor: on, t0 };
    });
    const f = figures.at(-1)!;
    await on.sh('unblock_all');
    await rejoin(peer, f);
  },
  // the service link (eth0: portal address, corosync ring 0) loses its carrier on the active node: the
  // portal monitor fails (check_link), the group moves to the peer; corosync goes on over ring 1
  async 'portal-link'() {
    const from = await activeNode(); const to = other(from);
    await scenario('portal link down on the active node', { from: from.name, to: to.name }, async (t0) => {
      await from.setLink(0, false);
      return { survivor: to, t0 };
    });
    await from.setLink(0, true);
    await to.sh(`crm_resource --cleanup --resource ${GROUP}`, 300);
    await noFailback(to);
  },
  // operator error: `targetcli clearconfig` behind Pacemaker's back; the target's monitor notices, the
  // target (and the portal after it) are recovered where they run
  async clearconfig() {
    const on = await activeNode();
    await scenario('targetcli clearconfig behind Pacemaker', { from: on.name, to: on.name }, async (t0) => {
      await on.sh('targetcli clearconfig confirm=True', 300);
      await waitFor('the target recovered', 600, async () => (await alerts(on)).some((a) => a.rsc === LAST_MEMBER && a.task === 'start' && a.rc === '0' && a.t >= t0), 2000);
      return { survivor: on, t0 };
    });
    await on.sh(`crm_resource --cleanup --resource ${GROUP}`, 300);
  },
  // operator errors the stack refuses: vgchange -an and drbdadm secondary while LIO holds the LV open
  async 'operator-refused'() {
    const on = await activeNode();
    await scenario('vgchange -an and drbdadm secondary behind Pacemaker', { from: on.name, to: on.name }, async (t0) => {
      const vg = await on.run('vgchange -an vg1');
      const dr = await on.run('drbdadm secondary r0');
      if (vg.rc === 0) throw new Error('vgchange -an succeeded under a running target');
      if (dr.rc === 0) throw new Error('drbdadm secondary succeeded under an active VG');
      await sleep(40_000); // the vg (30 s) and target (10 s) monitors run meanwhile
      return { survivor: on, t0 };
    });
    const s = await clusterState(on);
    if (s?.failures.length) throw new Error(`failed actions after refused operator commands: ${s.failures.join(' | ')}`);
  },
  // the backing disk under DRBD fails on the active node: DRBD detaches it (on-io-error detach) and the
  // Primary goes on diskless through its peer, without an I/O error; ocf:linbit:drbd then gives the diskless
  // node a lower promotion score than its UpToDate peer, so Pacemaker moves the group to the node that has
  // the good disk (a controlled switchover; the vg monitor reports the diskless state as degraded, 190).
  // The disk back, DRBD re-attaches and resyncs.
  async 'disk-failure'() {
    const from = await activeNode(); const to = other(from);
    await scenario('backing disk fails under DRBD on the active node', { from: from.name, to: to.name }, async (t0) => {
      await from.sh('disk_fail');
      await waitFor('DRBD detached (Diskless)', 300, async () => /Diskless\//.test(await from.sh('drbd_state')), 2000);
      return { survivor: to, t0 };
    });
    const f = figures.at(-1)!;
    await from.sh('disk_restore');
    const t = now();
    await waitFor(`DRBD UpToDate/UpToDate on ${from.name}`, 600, async () => (await from.run('drbd_uptodate')).rc === 0, 2000);
    f.resync_s = now() - t;
    await to.sh(`crm_resource --cleanup --resource ${GROUP}`, 300);
    await noFailback(to);
  },
};

/** The CI-sized run: a switchover, a power-off with its rejoin and resync, and a kernel panic. */
const CI_SCENARIOS = ['switchover', 'poweroff', 'panic'];

/** A node fenced by the previous scenario boots and rejoins (resynced, unfenced) before the next one. */
async function bothNodes(): Promise<void> {
  for (const v of nodes) {
    if (v.running) continue;
    log(`${v.name} is down since the previous scenario: it rejoins first`);
    await rejoin(v, { scenario: `rejoin of ${v.name}`, from: v.name, to: v.name, ok: true });
    await noFailback(other(v));
  }
}

/** The group stays on `v` (no failback) once everything is back. */
async function noFailback(v: Vm): Promise<void> {
  await sleep(10_000);
  const s = await clusterState(v);
  if (!s || groupOn(s) !== v.name) throw new Error(`the group did not stay on ${v.name} (failback?)`);
}

// ------------------------------------------------------------------- PR, era backup and status on two nodes
// Issue 16 item 7 (persistent reservations survive a switchover), issue 20 (`lioha backup` after a switchover
// copies only the written segments; an unclean stop gives DIRTY and a full read), issue 18 (`lioha status` on
// each node before and after a switchover). The wiring is the description's (lab.json volumeGroups[0].params):
// vg mounts the metadata filesystem vg1/meta on /mnt/iscsi-target/vg1, the target keeps its APTPL files in
// pr_dir=/mnt/iscsi-target/vg1/pr, ddmap (backend era) puts LUN 1 (vg1/lun1) behind /dev/mapper/era-vg1-lun1.
const META = '/mnt/iscsi-target/vg1';
const INI = 'iqn.2016-09.com.example:lab-initiator';
/** The lab's backup destination: on the metadata filesystem, the one filesystem both nodes reach after a
 * switchover (it moves with the group, as a backup server's NFS export would be reachable from both). */
const BACKUP_DEST = `${META}/backup/lun1.img`;
const featureData: Record<string, Record<string, unknown>> = {};
const saveFeatures = () => fs.writeFileSync(join(runDir, 'features.json'), JSON.stringify(featureData, null, 2));

/** Runs one feature check as a scenario entry (ok/error in the figures), its data kept in <run>/features.json. */
async function feature(name: string, from: Vm, to: Vm, body: (d: Record<string, unknown>) => Promise<void>): Promise<void> {
  const f: Figures = { scenario: name, from: from.name, to: to.name, ok: false };
  figures.push(f);
  const d: Record<string, unknown> = (featureData[name] = {});
  log(`=== ${name}: ${from.name} -> ${to.name}`);
  try {
    await body(d);
    f.ok = true;
  } catch (e) {
    f.error = (e as Error).message;
    log(`${name} FAILED: ${f.error}`);
  }
  saveFeatures();
  log(`${name}: ${f.ok ? 'ok' : 'FAIL'} ${JSON.stringify(d)}`);
}
function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
  log(`  ok: ${what}`);
}
const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
const segments = (s: string) => lines(s).filter((l) => /^\d+$/.test(l)).map(Number);
const union = (...xs: number[][]) => [...new Set(xs.flat())].sort((a, b) => a - b);
const sameSet = (a: number[], b: number[]) => union(a).join(',') === union(b).join(',');

/** A switchover as an operator makes it (move, wait, clear); returns seconds until the group ran on `to`. */
async function moveGroup(to: Vm): Promise<number> {
  const from = other(to);
  const t0 = now();
  await from.sh(`crm_resource --move --resource ${GROUP} --node ${to.name}`, 600);
  await waitGroupOn(to, to.name, 600);
  const dt = now() - t0;
  await to.sh(`crm_resource --clear --resource ${GROUP}`, 600);
  await waitFor('the move constraint cleared', 120, async () => !/cli-ban|cli-prefer/.test((await to.run('cibadmin -Q -o constraints', 60)).out), 2000);
  return dt;
}

/** Issue 18: `lioha status` on every running node shows the group on `active`, the initiator's session there,
 * DRBD Primary/UpToDate there and Secondary (peer Primary) on the other node, no target enabled on the other.
 * Retried for up to 15 minutes, each try up to 7 (a starved TCG guest took 50 s for one status, 16 s for `node -e 0`): after a switchover the session logs in again on its own. */
async function statusBoth(tag: string, active: Vm): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of nodes) {
    if (!v.running) continue;
    const file = `status-${tag}.json`;
    let last = '';
    await waitFor(`lioha status on ${v.name} (${tag}) as expected`, 900, async () => {
      const r = await v.run(`node_status /lab/out/${file} ${GROUP} ${active.name}${v === active ? ` ${INI}` : ''}`, 420);
      last = `${r.out}${r.err}`.trim();
      if (r.rc !== 0) return false;
      const s = JSON.parse(fs.readFileSync(join(v.out, file), 'utf8')) as {
        verdict: string; node: string; drbd: { devices: { role: string; peerRole?: string; disk: string; connection?: string }[] };
        groups: { id: string; node?: string }[]; targets: { tpgs: { enabled: boolean; acls: { initiator: string; loggedIn: boolean }[]; luns: { index: number; device?: string; ddmap?: string }[] }[] }[];
      };
      const d = s.drbd.devices[0];
      if (v !== active && !(d && d.role === 'Secondary' && d.peerRole === 'Primary')) { last = `DRBD here ${JSON.stringify(d)}, want Secondary/Primary`; return false; }
      const ms = /status_ms (\d+)/.exec(r.out)?.[1];
      const luns = s.targets.flatMap((t) => t.tpgs).filter((t) => t.enabled).flatMap((t) => t.luns);
      out[v.name] = {
        verdict: s.verdict, group_node: s.groups.find((g) => g.id === GROUP)?.node, status_ms: ms ? Number(ms) : undefined,
        drbd: d ? `${d.role}/${d.peerRole} ${d.disk} ${d.connection}` : undefined,
        sessions: s.targets.flatMap((t) => t.tpgs).flatMap((t) => t.acls).filter((a) => a.loggedIn).map((a) => a.initiator),
        luns: luns.map((l) => `${l.index}:${l.device ?? '?'}${l.ddmap ? `:${l.ddmap}` : ''}`),
      };
      return true;
    }, 5000).catch((e: Error) => { throw new Error(`${e.message}: ${last.split('\n').slice(-4).join(' | ')}`); });
  }
  log(`  ok: lioha status (${tag}): ${JSON.stringify(out)}`);
  return out;
}
/** statusBoth as a check of its own (issue 18): its failure is its own figures entry, and does not cut short
 * the PR or backup check around it (a starved node's recovery can keep the status from settling). */
async function statusCheck(tag: string, active: Vm): Promise<Record<string, unknown> | undefined> {
  const f: Figures = { scenario: `status ${tag}`, from: active.name, to: active.name, ok: false };
  figures.push(f);
  try {
    const r = await statusBoth(tag, active);
    f.ok = true;
    (featureData.status ??= {})[tag] = r;
    return r;
  } catch (e) {
    f.error = (e as Error).message;
    log(`status ${tag} FAILED: ${f.error}`);
    return undefined;
  } finally {
    saveFeatures();
  }
}

/** Issue 18: the initiator writes then reads `mib` MiB of LUN 1 with O_DIRECT; on the active node `v`, the
 * counters `lioha stats --format json` exports grow by as much: the initiator's mapped LUN 1 and the TPG LUN
 * (LIO counts whole MiB, so exactly `mib`, or one more if udev's probe after the write crosses a MiB), and its
 * session's data octets out by at least that (the writer's LUN 0 traffic shares the session). */
async function countersMatchIo(v: Vm, mib: number): Promise<Record<string, unknown>> {
  type C = { mapped: { r: number; w: number } | null; lun: { r: number; w: number } | null; session: { rx: number; tx: number } | null };
  const read = async () => JSON.parse((await v.sh(`lun_counters ${INI} 1`, 180)).trim().split('\n').at(-1)!) as C;
  const a = await read();
  expectThat(!!(a.mapped && a.lun && a.session), `${v.name}: lioha stats shows ${INI}'s mapped LUN 1, the TPG LUN and its session`);
  const dev = (await I.sh(`disk_of ${INI} 1`)).trim();
  await I.sh(`io_mib ${dev} ${mib}`, 600);
  const b = await read();
  const M = 1048576;
  const delta = { mapped_w: (b.mapped!.w - a.mapped!.w) / M, mapped_r: (b.mapped!.r - a.mapped!.r) / M, lun_w: (b.lun!.w - a.lun!.w) / M,
    lun_r: (b.lun!.r - a.lun!.r) / M, session_rx: (b.session!.rx - a.session!.rx) / M, session_tx: (b.session!.tx - a.session!.tx) / M };
  const about = (x: number) => x >= mib && x <= mib + 1;
  expectThat(about(delta.mapped_w) && about(delta.mapped_r), `${v.name}: ${INI}'s LUN 1 counters grew by ${delta.mapped_w} MiB written, ${delta.mapped_r} MiB read for the initiator's ${mib} + ${mib} MiB`);
  expectThat(about(delta.lun_w) && about(delta.lun_r), `${v.name}: the TPG LUN 1 counters grew by ${delta.lun_w} MiB written, ${delta.lun_r} MiB read`);
  // Reads only: LIO's rxdata_octs counts Data-Out PDUs, not the data inside write commands (docs/monitoring.md);
  // the first run saw 0.0 MiB of the 8 MiB written there, so the write side is recorded, not checked.
  expectThat(delta.session_tx >= mib, `${v.name}: the session's data octets out grew by ${delta.session_tx.toFixed(1)} MiB (at least ${mib}; in: ${delta.session_rx.toFixed(1)} MiB, not checked)`);
  return { device: dev, mib, delta };
}

async function writerMoves(what: string): Promise<void> {
  const a = (await writerStatus()).acked;
  await waitFor(`the writer acknowledging writes ${what}`, 300, async () => (await writerStatus()).acked > a + 10, 1000);
}

/** The backup scenarios' writes to LUN 1 from the initiator: O_DIRECT at these byte offsets:lengths. */
const LUN1_WRITES = {
  w1: ['0:4096', '16384:16384', '40960:8192', '1048576:65536', '15728640:512'],
  w1b: ['131072:4096', '3162112:20480', '9437184:512'],
  w2: ['8192:4096', '5242880:32768', '5291520:1024', '16776704:512'],
  w3: ['6291456:4096', '12582912:16384', '16384:512'],
};
async function lun1Write(set: keyof typeof LUN1_WRITES): Promise<number[]> {
  const dev = (await I.sh(`disk_of ${INI} 1`)).trim();
  const segs = segments(await I.sh(`seg_write ${dev} ${LUN1_WRITES[set].join(' ')}`, 300));
  expectThat(segs.length > 0, `${set}: ${LUN1_WRITES[set].length} O_DIRECT writes to LUN 1 (${dev}) from labI touch segments ${segs.join(' ')}`);
  return segs;
}
interface BackupJson { mode: string; reason: string; segments: number; segmentsPlanned: number; counters: { segmentsDone: number; segmentsWritten: number; bytesRead: number }; dumpsConsumed: number; state: string; seconds: number }
async function lun1Backup(v: Vm, d: Record<string, unknown>, key: string): Promise<BackupJson> {
  const r = await v.run(`lun_backup lun1 ${BACKUP_DEST}`, 900);
  if (r.rc !== 0) throw new Error(`lioha backup run on ${v.name} exited ${r.rc}: ${`${r.err}${r.out}`.trim().split('\n').slice(-4).join(' | ')}`);
  const b = JSON.parse(r.out.slice(r.out.indexOf('{'))) as BackupJson; // the report is the last thing on stdout
  d[key] = { node: v.name, mode: b.mode, reason: b.reason, planned: b.segmentsPlanned, read: b.counters.segmentsDone, written: b.counters.segmentsWritten, of: b.segments, dumps: b.dumpsConsumed, state: b.state, seconds: b.seconds };
  return b;
}
/** `lioha backup check` and a byte compare of the LV (nothing writes to it meanwhile: the snapshot's content). */
async function lun1Verified(v: Vm, what: string): Promise<void> {
  await v.sh(`lun_check lun1 ${BACKUP_DEST}`, 600);
  await v.sh(`lun_cmp lun1 ${BACKUP_DEST}`, 600);
  expectThat(true, `${what}: lioha backup check passes and the destination equals vg1/lun1 byte for byte (on ${v.name})`);
}

const FEATURE_SCENARIOS: Record<string, () => Promise<void>> = {
  // Issue 16 item 7: two I_T nexuses (the writer's session, and iface hostB with its own initiator name)
  // register with APTPL, the writer's nexus holds Write Exclusive - Registrants Only (so the writer keeps
  // writing), the group switches over, and both nexuses read back the same keys and reservation on the new node.
  async pr() {
    const from = await activeNode(); const to = other(from);
    await feature('pr: registrations and reservation across a switchover', from, to, async (d) => {
      d.status_before = await statusCheck('pr-before', from);
      const devA = (await I.sh(`disk_of ${INI} 0`)).trim();
      const devB = lines(await I.sh('host2_login', 300)).at(-1)!;
      d.devices = { writer_nexus: devA, host2: devB };
      await I.sh(`pr ${devA} --out --register --param-sark=0xa1 --param-aptpl`);
      await I.sh(`clear_ua ${devB} && pr ${devB} --out --register --param-sark=0xb2 --param-aptpl`);
      await I.sh(`pr ${devA} --out --reserve --param-rk=0xa1 --prout-type=5`);
      const before = await I.sh(`pr_state ${devB}`);
      d.before = before;
      expectThat(/0xa1/.test(before) && /0xb2/.test(before), 'both keys registered (0xa1 writer nexus, 0xb2 host2)');
      expectThat(/Key=0xa1/.test(before) && /Write Exclusive, registrants only/.test(before), 'reservation Write Exclusive, registrants only, held by 0xa1');
      const fullBefore = await I.sh(`pr_full ${devB}`);
      const files = await from.sh(`aptpl_files; grep -l 'sa_res_key=178' ${META}/pr/aptpl_* && grep -l 'sa_res_key=161' ${META}/pr/aptpl_*`);
      d.aptpl_before = files;
      expectThat(true, `APTPL file with both registrations in pr_dir on ${from.name}`);
      await writerMoves('under the reservation (its nexus is registered)');
      d.switch_s = await moveGroup(to);
      await writerMoves(`after the switchover to ${to.name}`);
      const afterB = await I.sh(`pr_state ${devB}`);
      const afterA = await I.sh(`pr_state ${devA}`);
      d.after = afterB;
      expectThat(afterB === before, `host2 reads the same keys and reservation on ${to.name}`);
      expectThat(afterA === before, `the writer's nexus reads the same keys and reservation on ${to.name}`);
      const fullAfter = await I.sh(`pr_full ${devB}`);
      d.full_status_equal = fullAfter === fullBefore;
      if (fullAfter !== fullBefore) d.full_status = { before: fullBefore, after: fullAfter };
      d.aptpl_after = await to.sh('aptpl_files');
      d.status_after = await statusCheck('pr-after', to);
      // leave nothing behind: the holder releases, then clears every registration (APTPL file emptied)
      await I.sh(`pr ${devA} --out --release --param-rk=0xa1 --prout-type=5 && pr ${devA} --out --clear --param-rk=0xa1`);
      const end = await I.sh(`pr_state ${devB}`);
      expectThat(/NO registered reservation keys/.test(end) && /NO reservation/.test(end), 'released and cleared: no key, no reservation');
      await I.sh('host2_logout', 120);
      await writerMoves('after the release');
    });
  },
  // Issue 20: a full first backup, writes, a switchover (ddmap's stop on the old node dumps the era changes
  // onto the metadata filesystem), writes on the new node, and an incremental backup there that copies exactly
  // the segments written since the first one.
  async backup() {
    const from = await activeNode(); const to = other(from);
    await feature('backup: era incremental after a switchover', from, to, async (d) => {
      d.w1 = await lun1Write('w1');
      const b1 = await lun1Backup(from, d, 'backup1');
      expectThat(b1.mode === 'full', `first backup on ${from.name}: full read (${b1.reason})`);
      await lun1Verified(from, 'first backup');
      await from.sh(`cp ${BACKUP_DEST} ${META}/backup/lun1.b1 && sync -f ${META}/backup/lun1.b1`, 300);
      const w1b = (d.w1b = await lun1Write('w1b'));
      d.status_before = await statusCheck('backup-before', from);
      d.switch_s = await moveGroup(to);
      const dumps = lines(await to.sh(`ls ${META}/ddmap/lun1.*.ddmapdump`));
      expectThat(dumps.length === 1, `one dump saved by ddmap's stop on ${from.name}: ${dumps.join(' ')}`);
      const bits = segments(await to.sh(`ddmap_dump_bits ${dumps[0]}`));
      expectThat(sameSet(bits, w1b), `the dump is exactly the segments written after the first backup (${bits.join(' ')})`);
      expectThat(/DDMAP_ACTIVE/.test(await to.sh('ddmap_state lun1')), `ddmap state ACTIVE on ${to.name} (CLEAN at the stop, ACTIVE at the start)`);
      d.status_after = await statusCheck('backup-after', to);
      const w2 = (d.w2 = await lun1Write('w2'));
      const want = union(w1b, w2);
      const b2 = await lun1Backup(to, d, 'backup2');
      expectThat(b2.mode === 'incremental', `second backup on ${to.name}: incremental (${b2.reason})`);
      expectThat(b2.dumpsConsumed === 1, 'it merged the dump from the old node');
      expectThat(b2.segmentsPlanned === want.length && b2.counters.segmentsDone === want.length, `it read ${b2.counters.segmentsDone} segments, planned ${b2.segmentsPlanned}, want ${want.length} (W1b | W2)`);
      expectThat(b2.counters.segmentsWritten === want.length, `it wrote ${b2.counters.segmentsWritten} segments`);
      const changed = segments(await to.sh(`seg_diff ${META}/backup/lun1.b1 ${BACKUP_DEST}`, 300));
      d.changed = changed;
      // read count = |W1b | W2| and every one of them changed in the destination: the set read is W1b | W2
      expectThat(sameSet(changed, want), `the destination changed in exactly W1b | W2 (${changed.join(' ')})`);
      await lun1Verified(to, 'incremental backup');
      expectThat(/DDMAP_ACTIVE/.test(await to.sh('ddmap_state lun1')), 'ddmap state ACTIVE after the backup');
      await to.sh(`rm ${META}/backup/lun1.b1 && cp ${BACKUP_DEST} ${META}/backup/lun1.b2 && sync -f ${META}/backup/lun1.b2`, 300);
    });
  },
  // Issue 20: an unclean stop. Writes, then the coordinator's power-off scenario kills the active node; the
  // survivor's ddmap start finds ACTIVE and sets DIRTY, and the next backup reads everything (and rewrites only
  // what differs). After `backup`, or alone (it then takes the reference backup itself).
  async 'backup-unclean'() {
    // Run alone, it first makes the reference the `backup` scenario leaves: a backup (ddmap ACTIVE after it),
    // verified and kept as lun1.b2, so that the full read after the crash can be compared segment by segment.
    const ref = await activeNode();
    if ((await ref.run(`test -f ${META}/backup/lun1.b2`)).rc !== 0) {
      await feature('backup: the reference backup before the unclean stop', ref, ref, async (d) => {
        await lun1Backup(ref, d, 'reference');
        await lun1Verified(ref, 'reference backup');
        expectThat(/DDMAP_ACTIVE/.test(await ref.sh('ddmap_state lun1')), `ddmap state ACTIVE on ${ref.name} after the reference backup`);
        await ref.sh(`cp ${BACKUP_DEST} ${META}/backup/lun1.b2 && sync -f ${META}/backup/lun1.b2`, 300);
      });
    }
    const w3 = await lun1Write('w3');
    await SCENARIOS.poweroff!();
    const to = await activeNode();
    await feature('backup: DIRTY after an unclean stop, full read', other(to), to, async (d) => {
      d.w3 = w3;
      const st = await to.sh('ddmap_state lun1');
      expectThat(/DDMAP_DIRTY/.test(st), `ddmap state DIRTY on ${to.name} after the power-off`);
      d.log = lines(await to.sh(`tail -3 ${META}/ddmap/lun1.log`));
      const b = await lun1Backup(to, d, 'backup3');
      expectThat(b.mode === 'full' && /DIRTY/.test(b.reason), `full read: ${b.reason}`);
      expectThat(b.counters.segmentsDone === b.segments, `every segment read (${b.counters.segmentsDone} of ${b.segments})`);
      const changed = segments(await to.sh(`seg_diff ${META}/backup/lun1.b2 ${BACKUP_DEST}`, 300));
      d.changed = changed;
      expectThat(sameSet(changed, w3) && b.counters.segmentsWritten === w3.length, `only what differed was rewritten: ${b.counters.segmentsWritten} segments, W3 = ${w3.join(' ')}`);
      await lun1Verified(to, 'full backup after DIRTY');
      expectThat(/DDMAP_ACTIVE/.test(await to.sh('ddmap_state lun1')), 'ddmap state ACTIVE after the full backup');
    });
  },
  // Issue 18 on its own: lioha status before and after a plain switchover, and the counters `lioha stats`
  // exports against a known I/O of the initiator on each node. It writes LUN 1 from offset 0: run it after
  // the backup scenarios, whose segment sets it would change.
  async status() {
    const from = await activeNode(); const to = other(from);
    await feature('status: lioha status and counters before and after a switchover', from, to, async (d) => {
      d.before = await statusBoth('status-before', from);
      d.counters_before = await countersMatchIo(from, 8);
      d.switch_s = await moveGroup(to);
      d.after = await statusBoth('status-after', to);
      d.counters_after = await countersMatchIo(to, 8);
    });
  },
};
Object.assign(SCENARIOS, FEATURE_SCENARIOS);


// ------------------------------------------------------------------------------------------- topologies
/**
 * `--topology one` (default): lab.json, one group. `--topology aa`: lab-aa.json, active/active: g_tgt (vg1 on r0,
 * portal 192.0.2.10, labA preferred), g_tgt2 (vg2 on r1, portal 192.0.2.11, labB preferred) and the discovery
 * portal g_discovery (lioha-portald on 192.0.2.20); the initiator is configured with the discovery address only.
 */
interface Topology {
  description: string;
  /** suffix of the node.sh set-up functions (node_prepare, drbd_create, ..., vg_create, drbd_release) */
  fnSuffix: string;
  vgs: string[];
  /** initiator.sh function that logs in to g_tgt's target and prints its device (the writer's) */
  initiatorLogin: string;
  defaultScenarios: string[];
  /** --full */
  fullScenarios: string[];
  /** waits for what the topology adds once g_tgt runs on labA */
  ready?: () => Promise<void>;
  scenarios: Record<string, () => Promise<void>>;
}
const TGT1 = 'iqn.2016-09.com.example:labtgt';
const TGT2 = 'iqn.2016-09.com.example:labtgt2';
const DISCO = '192.0.2.20';
const TOPOLOGIES: Record<string, Topology> = {
  one: { description: 'test/lab/cluster/lab.json', fnSuffix: '', vgs: ['vg1'], initiatorLogin: 'initiator_login', defaultScenarios: CI_SCENARIOS, fullScenarios: Object.keys(SCENARIOS), scenarios: {} },
  aa: {
    description: 'test/lab/cluster/lab-aa.json', fnSuffix: '_aa', vgs: ['vg1', 'vg2'], initiatorLogin: 'initiator_login_aa',
    defaultScenarios: ['discovery'], fullScenarios: ['discovery'], ready: aaReady, scenarios: { discovery: discoveryScenario },
  },
};
const topo: Topology = (() => {
  const t = TOPOLOGIES[argv.topology ?? 'one'];
  if (!t) throw new Error(`unknown --topology ${argv.topology} (one of: ${Object.keys(TOPOLOGIES).join(', ')})`);
  return t;
})();

function discoveryOn(s: ClusterState): string | undefined {
  const m = s.rsc.filter((r) => r.id === 'p_portal_discovery' || r.id === 'p_discovery');
  if (m.length < 2 || !m.every((r) => r.role === 'Started' && r.node === m[0]!.node)) return undefined;
  return m[0]!.node;
}
const describeState = (s: ClusterState | undefined) =>
  s ? s.rsc.map((r) => `${r.id}=${r.role}@${r.node ?? '-'}${r.failed ? '(failed)' : ''}`).join(' ') + (s.failures.length ? ` failures: ${s.failures.join(' | ')}` : '') : 'no state';

/** aa: g_tgt2 runs on its preferred labB and the discovery portal runs somewhere. */
async function aaReady(): Promise<void> {
  let last = now();
  await waitFor('g_tgt2 on labB and g_discovery started', 600, async () => {
    const s = await clusterState(B);
    if (s && groupOn(s, 'vg2') === 'labB' && discoveryOn(s)) return true;
    if (now() - last > 30) { last = now(); log(`still waiting for g_tgt2 on labB and g_discovery: ${describeState(s)}`); }
    return undefined;
  }, 2000);
}

interface Session { target: string; current: string; persistent: string; state: string }
async function sessions(): Promise<Session[]> {
  return (await I.sh('session_info', 120)).split('\n').filter(Boolean).map((l) => {
    const [target, current, persistent, state] = l.split(' ');
    return { target: target!, current: current ?? '', persistent: persistent ?? '', state: state ?? '' };
  });
}
/** The nodes that hold an established connection from the initiator to `ip`:3260 (seen on the nodes, `ss`). */
async function nodesHolding(ip: string): Promise<string[]> {
  const on: string[] = [];
  for (const v of nodes) {
    const r = await v.run('iscsi_conns', 120);
    if (r.out.split('\n').some((l) => { const [local, peer] = l.split(' '); return !!local?.endsWith(`${ip}:3260`) && !!peer?.includes('192.0.2.100:'); })) on.push(v.name);
  }
  return on;
}
/** The initiator's session to `target` is logged in, was made through the discovery address, is connected to `ip`, and that connection ends on `node`. */
async function expectSession(target: string, ip: string, node: string, what: string): Promise<void> {
  const s = (await sessions()).find((x) => x.target === target);
  if (!s) throw new Error(`${what}: no session to ${target}`);
  if (s.state !== 'LOGGED_IN') throw new Error(`${what}: session to ${target} is ${s.state}`);
  if (!s.persistent.startsWith(`${DISCO}:3260`)) throw new Error(`${what}: session to ${target} has persistent portal ${s.persistent}, not the discovery address`);
  if (!s.current.startsWith(`${ip}:3260`)) throw new Error(`${what}: session to ${target} is connected to ${s.current}, not ${ip} (no redirect?)`);
  const on = await nodesHolding(ip);
  if (on.length !== 1 || on[0] !== node) throw new Error(`${what}: the initiator's connection to ${ip} ends on ${on.join(', ') || 'no node'}, expected ${node}`);
  log(`${what}: ${target} via ${s.persistent} -> ${s.current} on ${node}`);
}
const lastLine = (out: string) => out.trim().split('\n').at(-1)!;

/** Latency through the discovery portal against the target's own portal, interleaved rounds in the initiator VM (libiscsi). */
async function discoveryLatency(rounds: number): Promise<Record<string, unknown>> {
  const rows = (await I.sh(`disco_bench ${rounds}`, 1800)).split('\n').filter(Boolean).map((l) => l.trim().split(' '));
  const by: Record<string, Map<number, number>> = {};
  const failed: string[] = [];
  for (const [r, c, us] of rows) {
    if (!c) continue;
    if (!us) { failed.push(`${c}#${r}`); continue; }
    (by[c] ??= new Map()).set(Number(r), Number(us) / 1000);
  }
  const stat = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length ? { n: v.length, min: +v[0]!.toFixed(1), median: +v[Math.floor(v.length / 2)]!.toFixed(1), max: +v.at(-1)!.toFixed(1) } : { n: 0 };
  };
  const ratio = (a: string, b: string) => stat([...(by[a] ?? new Map<number, number>()).entries()].filter(([r]) => by[b]?.has(r)).map(([r, x]) => x / by[b]!.get(r)!));
  const ms = Object.fromEntries(Object.entries(by).map(([c, m]) => [c, stat([...m.values()])]));
  return {
    rounds, ms, failed,
    ratio_discovery_cold_vs_direct: ratio('st_portal_cold', 'st_direct'),
    ratio_discovery_warm_vs_direct: ratio('st_portal_warm', 'st_direct'),
    ratio_redirected_login_vs_direct: ratio('login_portal', 'login_direct'),
  };
}

/**
 * Issue 19's proof with open-iscsi: the initiator, configured with the discovery address only, sees the targets of
 * both groups (on two nodes) and is redirected to the node serving each; g_tgt2 switches over to labA; its session
 * comes back, a log-out and log-in through the discovery address lands on labA, and with both groups on one node
 * both LUNs answer. The writer on labtgt goes on throughout.
 */
async function discoveryScenario(): Promise<void> {
  const f: Figures = { scenario: 'discovery portal; g_tgt2 switched to labA', from: 'labB', to: 'labA', ok: false };
  const d: Record<string, unknown> = {};
  f.discovery = d;
  figures.push(f);
  log(`=== ${f.scenario}`);
  const st0 = await writerStatus();
  try {
    for (const v of [...nodes, I]) await v.syncClock();
    let s = await clusterState(A);
    if (!s || groupOn(s) !== 'labA' || groupOn(s, 'vg2') !== 'labB' || !discoveryOn(s)) throw new Error(`the groups are not on two nodes: ${describeState(s)}`);
    d.discovery_portal_on = discoveryOn(s);
    // SendTargets through the discovery address lists both groups' targets, each at the discovery address
    let t = now();
    const st = (await I.sh('disco_discover', 300)).trim().split('\n');
    d.iscsiadm_discovery_s = now() - t;
    for (const tgt of [TGT1, TGT2]) if (!st.includes(`${DISCO}:3260,1 ${tgt}`)) throw new Error(`iscsiadm discovery through ${DISCO} did not list ${tgt} at ${DISCO}:3260,1: ${st.join(' | ')}`);
    const recs = (await I.sh('iscsiadm -m node')).trim().split('\n');
    if (recs.some((r) => !r.startsWith(`${DISCO}:3260,`))) throw new Error(`the initiator has node records for other addresses than the discovery address: ${recs.join(' | ')}`);
    log(`discovery through ${DISCO}: ${st.join(' | ')}`);
    // the writer's session (labtgt, logged in through the discovery address at set-up) was sent to 192.0.2.10 on labA
    await expectSession(TGT1, '192.0.2.10', 'labA', 'labtgt');
    // figures, before the kernel logs in to labtgt2 (libiscsi logs in to it under the same initiator name)
    d.latency = await discoveryLatency(Number(process.env.LAB_DISCO_ROUNDS ?? 10));
    log(`latency: ${JSON.stringify(d.latency)}`);
    // labtgt2 through the discovery address: redirected to 192.0.2.11 on labB
    t = now();
    const dev2 = lastLine(await I.sh(`disco_login ${TGT2}`, 600));
    d.login_tgt2_s = now() - t;
    await expectSession(TGT2, '192.0.2.11', 'labB', 'labtgt2, groups on two nodes');
    await I.sh(`read_block ${dev2}`, 300);
    // switchover of g_tgt2 to labA (the other group stays)
    const t0 = now();
    await A.sh('crm_resource --move --resource g_tgt2 --node labA', 600);
    s = await waitFor('g_tgt2 started on labA', 600, async () => { const x = await clusterState(A); return x && groupOn(x, 'vg2') === 'labA' ? x : undefined; }, 2000);
    const started = (await alerts(A)).filter((a) => a.rsc === 'p_portal_vg2' && a.task === 'start' && a.rc === '0' && a.t >= t0);
    f.group_started_s = started[0] ? started[0].t - t0 : now() - t0;
    await A.sh('crm_resource --clear --resource g_tgt2', 600);
    // the running session to labtgt2 comes back by itself, now served by labA, and its LUN answers
    await waitFor('the labtgt2 session logged in again and its LUN answering', 600, async () =>
      (await sessions()).find((x) => x.target === TGT2)?.state === 'LOGGED_IN' && (await I.run(`read_block ${dev2}`, 300)).rc === 0, 2000);
    d.session_back_s = now() - t0;
    await expectSession(TGT2, '192.0.2.11', 'labA', 'labtgt2 after the switchover');
    // log out, and in again through the discovery address: lands on labA
    await I.sh(`disco_logout ${TGT2}`, 300);
    t = now();
    const dev2b = lastLine(await I.sh(`disco_login ${TGT2}`, 600));
    d.relogin_tgt2_s = now() - t;
    await expectSession(TGT2, '192.0.2.11', 'labA', 'labtgt2 logged in again');
    // both groups on labA: discovery lists both, both LUNs answer, the writer goes on, nothing fails back
    const st2 = (await I.sh('disco_discover', 300)).trim().split('\n');
    for (const tgt of [TGT1, TGT2]) if (!st2.includes(`${DISCO}:3260,1 ${tgt}`)) throw new Error(`after the switchover, discovery did not list ${tgt}: ${st2.join(' | ')}`);
    await expectSession(TGT1, '192.0.2.10', 'labA', 'labtgt, both groups on labA');
    const dev1 = lastLine(await I.sh(`iscsi_dev ${TGT1}`));
    await I.sh(`read_block ${dev1} && read_block ${dev2b}`, 300);
    const acked = (await writerStatus()).acked;
    await waitFor('the writer acknowledging writes on labtgt', 300, async () => (await writerStatus()).acked > acked + 20, 1000);
    await sleep(10_000);
    s = await clusterState(A);
    if (!s || groupOn(s) !== 'labA' || groupOn(s, 'vg2') !== 'labA') throw new Error(`both groups should stay on labA after the clear: ${describeState(s)}`);
    const c = await A.sh('cibadmin -Q -o constraints');
    if (c.includes('cli-ban') || c.includes('cli-prefer')) throw new Error('the clear left a cli-ban/cli-prefer constraint');
    if (s.failures.length) log(`failed actions after the discovery scenario: ${s.failures.join(' | ')}`);
    f.exec_ms = await execTimes(A, 'labA');
    f.ok = true;
  } catch (e) {
    f.error = (e as Error).message;
    log(`${f.scenario} FAILED: ${f.error}`);
  }
  const st1 = await writerStatus().catch(() => st0);
  f.acked_during = st1.acked - st0.acked;
  f.write_errors_during = st1.errors - st0.errors;
  log(`${f.scenario}: ${JSON.stringify({ ...f, exec_ms: undefined })}`);
}

// ------------------------------------------------------------------------------------------------ main
let probe: PortalProbe | undefined;
/** Debug door: `echo 'labA crm_mon -1' | socat - UNIX:<sockdir>/debug.sock` runs a command in a VM. */
function debugServer(): void {
  net.createServer({ allowHalfOpen: true }, (c) => {
    c.on('error', () => { /* a client that went away must not end the run */ });
    let buf = '';
    c.on('data', (d) => { buf += d.toString(); });
    c.on('end', () => {
      const [name, ...rest] = buf.trim().split(' ');
      const v = vms.get(name ?? '');
      if (!v) { c.end(`no VM ${name}\n`); return; }
      void v.run(rest.join(' '), 120).then((r) => c.end(`rc=${r.rc}\n${r.out}${r.err}`));
    });
  }).listen(join(sockDir, 'debug.sock')).unref();
}

async function main(): Promise<number> {
  debugServer();
  const T = now();
  const timing: Record<string, number> = {};
  execFileSync('bash', [join(repo, 'test/lab/cluster/net.sh'), 'up', paths.ns], { stdio: 'inherit' });
  log(`run ${runDir}; booting labA, labB, labI (TCG, smp 1)`);
  await Promise.all([A.boot(), B.boot(), I.boot()]);
  timing.boot_s = now() - T;
  log(`booted in ${timing.boot_s.toFixed(0)}s; preparing the nodes and the initiator`);
  const x = topo.fnSuffix;
  await Promise.all([A.sh(`node_prepare${x}`), B.sh(`node_prepare${x}`), I.sh('initiator_prepare')]);
  log(`DRBD metadata, ${topo.vgs.join(', ')}`);
  // first boot: DRBD metadata, both disks marked in sync (fresh, all zero), the VG and its LUN, then down
  await Promise.all(nodes.map((v) => v.sh(`drbd_create${x}`)));
  await waitFor('DRBD connected', 120, async () => (await A.run(`drbd_connected${x}`)).rc === 0);
  await A.sh(`drbd_skip_initial_sync${x}`);
  await waitFor('DRBD UpToDate', 60, async () => (await A.run(`drbd_uptodate${x}`)).rc === 0);
  await A.sh(`vg_create${x}`);
  await Promise.all(nodes.map((v) => v.sh(`drbd_release${x}`)));
  timing.storage_s = now() - T - timing.boot_s;
  log(`storage ready (${timing.storage_s.toFixed(0)}s); starting corosync and pacemaker`);
  let t = now();
  await Promise.all(nodes.map((v) => v.sh('cluster_start')));
  await A.sh('cluster_online 2', 400);
  timing.cluster_online_s = now() - t;
  t = now();
  const kind = argv.crm ? 'crm' : 'pcs';
  log(`cluster online (${timing.cluster_online_s.toFixed(0)}s); running the generated ${kind} script`);
  // written into labA's own output folder, which the guest sees as /lab/out (the run folder is not under the repo)
  const script = join(A.out, `lab.${kind}.sh`);
  execFileSync('node', [join(repo, 'dist/bin/lioha'), 'cluster', kind, topo.description, '-o', script], { cwd: repo, stdio: 'inherit' });
  const inGuest = `/lab/out/lab.${kind}.sh`;
  // lab instrumentation, not part of the generated configuration: the alert agent behind the figures
  await A.sh(`cibadmin -C -o configuration -X '<alerts><alert id="lab_alert" path="/usr/local/bin/lab-alert"/></alerts>'`, 120);
  // pcs checks every agent's meta-data through crm_resource, which gives an agent 5 s: a node start-up under
  // TCG on a loaded host can take that long. The script changes nothing unless it completes (it edits a copy
  // of the CIB and pushes it at the end), so a failed attempt is retried, and counted in the results.
  const md = await A.run('s=$(date +%s%N); $LAB_AGENTS/vg meta-data >/dev/null; echo $(( ($(date +%s%N) - s) / 1000000 ))');
  log(`vg meta-data takes ${md.out.trim()} ms in a guest`);
  timing.metadata_ms = Number(md.out.trim());
  for (let attempt = 1; ; attempt++) {
    const gen = await A.run(`sh -x ${inGuest} 2> >(tee /lab/out/${kind}-script-trace.txt >&2)`, 900);
    if (gen.rc === 0) break;
    const why = `${gen.err}${gen.out}`.trim();
    if (attempt < 3 && /does not provide valid metadata/.test(why)) {
      timing.script_retries = attempt;
      log(`the generated ${kind} script failed on an agent's meta-data (attempt ${attempt}), retrying: ${why.split('\n').filter((l) => /^Error/.test(l))[0]}`);
      continue;
    }
    throw new Error(`the generated ${kind} script failed (${gen.rc}): ${why}`);
  }
  timing.script_s = now() - t;
  // DRBD is promoted where its promotion score shows first: the 100 that prefers labA only breaks a tie, and
  // a node whose resync ends later loses the race (run of 2026-11-28 10:59: promoted on labB, group started
  // there, no failure). Either node is a good start: the scenarios ask where the group runs (activeNode).
  // The active-active topology places its two groups itself (topo.ready) and still wants labA.
  const firstNode = topo.ready ? 'labA' : undefined;
  log(`script done (${timing.script_s.toFixed(0)}s); waiting for ${GROUP} on ${firstNode ?? 'either node'}`);
  t = now();
  const first = await waitGroupOn(A, firstNode, 600);
  if (topo.ready) await topo.ready();
  timing.group_start_s = now() - t;
  log(`${GROUP} started on ${groupOn(first)} (${timing.group_start_s.toFixed(0)}s); initiator login`);
  probe = new PortalProbe();
  await waitFor('the portal answering', 120, async () => probe!.isUp(), 500);
  const dev = (await I.sh(topo.initiatorLogin, 600)).trim().split('\n').at(-1)!;
  await I.sh(`writer_start ${dev}`);
  await waitFor('the writer writing', 120, async () => ((await writerStatus().catch(() => ({ acked: 0 }))).acked > 50), 1000);
  log(`writer running on ${dev}: ${JSON.stringify(await writerStatus())}`);
  // let every monitor run, the depth-10 ones (61 s) included, before the first event
  const soak = Number(process.env.LAB_SOAK_S ?? 75);
  log(`soak ${soak}s (monitors, depth 10 every 61 s)`);
  await sleep(soak * 1000);
  const s0 = await clusterState(A);
  const soakFailures = s0?.failures ?? ['no state'];
  if (soakFailures.length) log(`failed actions during the soak: ${soakFailures.join(' | ')}`);
  const wanted = argv.scenarios?.split(',') ?? (argv.matrix ? matrixScenarios(argv.matrix) : argv.full ? topo.fullScenarios : topo.defaultScenarios);
  const tS = now();
  for (const name of wanted) {
    const fn = SCENARIOS[name] ?? topo.scenarios[name];
    if (!fn) throw new Error(`unknown scenario ${name}`);
    try { await bothNodes(); await fn(); } catch (e) {
      const f = figures.at(-1);
      if (f) { f.ok = false; f.error = `${f.error ?? ''} ${(e as Error).message}`.trim(); }
      log(`${name}: ${(e as Error).message}`);
    }
  }
  timing.scenarios_s = now() - tS;
  const report = JSON.parse((await I.sh('writer_stop', 600)).trim().split('\n').at(-1)!) as Record<string, number>;
  // TCG share: node -e 0 and one agent action (dummy monitor), in a guest and on the host
  const tcg = await tcgFigures();
  const results = { run: runDir, kind, timing, soakFailures, figures, writer: report, fenceLog, tcg, total_s: now() - T };
  fs.writeFileSync(join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  printFigures(results);
  const bad: string[] = [];
  if (report.lost !== 0 || report.corrupted !== 0) bad.push(`writer: ${report.lost} lost, ${report.corrupted} corrupted`);
  if (!((report.acked ?? 0) > 0) || !((report.verified ?? 0) > 0)) bad.push('writer: nothing acknowledged or verified');
  if (soakFailures.length) bad.push(`failed actions during the soak: ${soakFailures.join(' | ')}`);
  for (const f of figures) if (!f.ok) bad.push(`${f.scenario}: ${f.error}`);
  for (const b of bad) log(`FAIL: ${b}`);
  return bad.length ? 1 : 0;
}

async function tcgFigures(): Promise<Record<string, number>> {
  const host = (cmd: string[], env: Record<string, string> = {}) => {
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) { const s = process.hrtime.bigint(); try { execFileSync(cmd[0]!, cmd.slice(1), { env: { PATH: process.env.PATH!, ...env }, stdio: 'ignore' }); } catch { /* rc 7 */ } xs.push(Number(process.hrtime.bigint() - s) / 1e6); }
    return Math.min(...xs);
  };
  const survivor = nodes.find((v) => v.running)!;
  const g = JSON.parse(await survivor.sh(`m() { local b=999999 i s e; for i in 1 2 3; do s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); [ $(( (e-s)/1000000 )) -lt $b ] && b=$(( (e-s)/1000000 )); done; echo $b; }
echo "{\\"node\\": $(m env -i node -e 0), \\"dummy\\": $(m env -i OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=x $LAB_AGENTS/dummy monitor)}"`)) as { node: number; dummy: number };
  const hn = host(['node', '-e', '0']);
  const hd = host([join(repo, 'dist/resource.d/lioha/dummy'), 'monitor'], { OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'x' });
  return { guest_node_e0_ms: g.node, host_node_e0_ms: hn, guest_dummy_monitor_ms: g.dummy, host_dummy_monitor_ms: hd, node_ratio: g.node / hn, dummy_ratio: g.dummy / hd };
}

function printFigures(r: { figures: Figures[]; writer: Record<string, number>; tcg: Record<string, number>; timing: Record<string, number>; total_s: number }): void {
  const n = (x?: number) => (x === undefined ? '   -  ' : x.toFixed(1).padStart(6));
  const out: string[] = ['', 'scenario                                        from->to     started  portal   stall  fenced  resync  acked  ok'];
  for (const f of r.figures) {
    out.push(`${f.scenario.padEnd(47)} ${`${f.from}->${f.to}`.padEnd(11)} ${n(f.group_started_s)}  ${n(f.portal_answering_s)}  ${n(f.stall_s)}  ${n(f.fenced_s)}  ${n(f.resync_s)}  ${String(f.acked_during ?? '-').padStart(5)}  ${f.ok ? 'ok' : 'FAIL'}`);
  }
  out.push('', 'agent op exec-time on the survivor (ms, CIB history):');
  for (const f of r.figures) {
    const e = f.exec_ms ?? {};
    out.push(`  ${f.scenario}: ${Object.entries(e).filter(([k]) => /^p_/.test(k)).map(([k, ops]) => `${k} ${Object.entries(ops).map(([o, ms]) => `${o}=${ms}`).join(' ')}`).join('; ')}`);
  }
  // Repeated scenarios (a matrix): one line each with how many passed and the spread of its figures.
  const byName = new Map<string, Figures[]>();
  for (const f of r.figures) byName.set(f.scenario, [...(byName.get(f.scenario) ?? []), f]);
  if ([...byName.values()].some((fs) => fs.length > 1)) {
    const spread = (xs: (number | undefined)[]) => {
      const v = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
      return v.length ? `${v[0]!.toFixed(1)} / ${v[v.length >> 1]!.toFixed(1)} / ${v[v.length - 1]!.toFixed(1)} s` : '-';
    };
    out.push('', 'repeated scenarios (min / median / max):');
    for (const [name, fs] of byName) {
      out.push(`  ${name}: ${fs.filter((f) => f.ok).length} of ${fs.length} ok; group started ${spread(fs.map((f) => f.group_started_s))}; stall ${spread(fs.map((f) => f.stall_s))}${fs.some((f) => f.fenced_s !== undefined) ? `; fenced ${spread(fs.map((f) => f.fenced_s))}` : ''}`);
    }
  }
  const w = r.writer;
  out.push('', `writer: acknowledged ${w.acked}, verified ${w.verified}, lost ${w.lost}, corrupted ${w.corrupted}, write errors ${w.errors}, longest stall ${w.max_gap_s?.toFixed(1)} s over ${w.duration_s?.toFixed(0)} s`);
  const t = r.tcg;
  out.push(`TCG: node -e 0 ${t.guest_node_e0_ms} ms in a guest vs ${t.host_node_e0_ms?.toFixed(0)} ms on the host (x${t.node_ratio?.toFixed(1)}); dummy monitor ${t.guest_dummy_monitor_ms} ms vs ${t.host_dummy_monitor_ms?.toFixed(0)} ms (x${t.dummy_ratio?.toFixed(1)})`);
  out.push(`timing: ${Object.entries(r.timing).map(([k, v]) => `${k}=${v.toFixed(0)}`).join(' ')} total=${r.total_s.toFixed(0)}s`, '');
  process.stdout.write(out.join('\n'));
}

let rc = 1;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: powering the VMs off`);
    for (const v of vms.values()) v.proc?.kill('SIGKILL');
    try { execFileSync('bash', [join(repo, 'test/lab/cluster/net.sh'), 'down', paths.ns]); } catch { /* gone */ }
    process.exit(130);
  });
}
try {
  rc = await main();
} catch (e) {
  log(`ERROR: ${(e as Error).stack ?? e}`);
} finally {
  probe?.stop();
  for (const v of nodes) {
    if (v.running) await Promise.race([v.run('mkdir -p /lab/out/logs && cp -r /var/log/cluster/. /run/lab-alerts.log /lab/out/logs/ 2>/dev/null; dmesg > /lab/out/logs/dmesg.txt; cat /proc/drbd > /lab/out/logs/proc-drbd.txt; crm_mon -1 -rf > /lab/out/logs/crm_mon.txt 2>&1; cibadmin -Q > /lab/out/logs/cib.xml', 120), sleep(120_000)]);
  }
  for (const v of vms.values()) await v.kill().catch(() => {});
  // keep guest logs for a post-mortem
  try { execFileSync('bash', [join(repo, 'test/lab/cluster/net.sh'), 'down', paths.ns]); } catch { /* already gone */ }
  fs.rmSync(sockDir, { recursive: true, force: true });
  for (const v of nodes) fs.rmSync(join(runDir, `${v.name}.scratch.img`), { force: true });
  log(`results: ${runDir}`);
}
process.exit(rc);
