/**
 * `lioha status`: one verdict (OK, DEGRADED, FAILED) with its reasons, and the
 * facts behind it, from crm_mon, /proc/drbd, configfs, /proc/net/tcp and the
 * ddmap states. Pure: the caller reads, this judges.
 */
import { parseEraDeviceName } from '../ddmap/backends/era/names.js';
import type { DdmapLunState } from '../stats/ddmap-states.js';
import type { DrbdDevice, DrbdSnapshot } from '../stats/drbd.js';
import type { LioSnapshot, LioTpg } from '../stats/lio.js';
import { listensOn, type TcpSocket } from '../proc/net-tcp.js';
import { tryParseIp } from '../net/ip.js';
import { groupNode, leftoverBans, type ClusterStatus } from './crm-mon.js';

export type Verdict = 'OK' | 'DEGRADED' | 'FAILED';
/** Nagios/monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL. */
export const VERDICT_EXIT: Record<Verdict, number> = { OK: 0, DEGRADED: 1, FAILED: 2 };

export interface Finding { level: Exclude<Verdict, 'OK'>; text: string }

export interface GroupView {
  id: string;
  node?: string;
  members: { id: string; role: string; node?: string; failed: boolean }[];
  failures: { resource: string; operation: string; node: string; exitCode: number; exitStatus: string; reason: string; when: string }[];
  failCounts: { resource: string; node: string; count: number }[];
  bans: { id: string; node: string; fix: string }[];
}

export interface PortalView { ip: string; port: number; listening: boolean }
export interface LunView { index: number; backstore?: string; device?: string; ddmap?: string }
export interface AclView { initiator: string; loggedIn: boolean; connections: { address?: string; state: string }[]; mappedLuns: number }
export interface TpgView { tag: number; enabled: boolean; portals: PortalView[]; luns: LunView[]; acls: AclView[]; dynamicSessions: string[] }
export interface TargetView { wwn: string; tpgs: TpgView[] }

export interface StatusReport {
  verdict: Verdict;
  reason: string;
  findings: Finding[];
  node: string;
  cluster?: { dc?: string; quorum?: boolean; nodes: { name: string; state: string }[] };
  clusterError?: string;
  groups: GroupView[];
  drbd: { loaded: boolean; devices: DrbdDevice[] };
  targets: TargetView[];
  ddmap: DdmapLunState[];
}

export interface StatusInput {
  node: string;
  cluster?: ClusterStatus;
  clusterError?: string;
  lio: LioSnapshot;
  drbd: DrbdSnapshot;
  ddmap: DdmapLunState[];
  sockets: TcpSocket[];
}

const CONNECTED = new Set(['Connected', 'SyncSource', 'SyncTarget', 'PausedSyncS', 'PausedSyncT', 'VerifyS', 'VerifyT', 'StartingSyncS', 'StartingSyncT', 'WFBitMapS', 'WFBitMapT', 'WFSyncUUID', 'Ahead', 'Behind', 'Established']);

/** /dev/<vg>/<lv> or /dev/mapper/<vg>-<lv> ('-' doubled inside names) -> vg, lv. */
export function vgLvOf(device: string | undefined): { vg: string; lv: string } | undefined {
  if (!device) return undefined;
  // ddmap backend=era: LIO opens /dev/mapper/era-<vg>-<lv>, the LV's era device
  const era = device.startsWith('/dev/mapper/') ? parseEraDeviceName(device.slice('/dev/mapper/'.length)) : null;
  if (era) return era;
  let m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(device);
  if (m && m[1] !== 'mapper') return { vg: m[1]!, lv: m[2]! };
  m = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(device);
  return m ? { vg: m[1]!.replace(/--/g, '-'), lv: m[2]!.replace(/--/g, '-') } : undefined;
}

function nodeState(n: ClusterStatus['nodes'][number]): string {
  if (n.unclean) return 'UNCLEAN';
  if (!n.online) return 'offline';
  if (n.standby) return 'standby';
  if (n.maintenance) return 'maintenance';
  return n.dc ? 'online, DC' : 'online';
}

function portalListening(sockets: TcpSocket[], ip: string, port: number): boolean {
  const addr = tryParseIp(ip);
  if (!addr) return false;
  return listensOn(sockets, addr, port);
}

function tpgView(tpg: LioTpg, sockets: TcpSocket[], ddmap: DdmapLunState[]): TpgView {
  return {
    tag: tpg.tag,
    enabled: tpg.enabled,
    portals: tpg.portals.map((p) => ({ ...p, listening: portalListening(sockets, p.ip, p.port) })),
    luns: tpg.luns.map((l) => {
      const vl = vgLvOf(l.device);
      const st = vl && ddmap.find((d) => d.vg === vl.vg && d.lv === vl.lv);
      return { index: l.index, ...(l.backstore ? { backstore: l.backstore } : {}), ...(l.device ? { device: l.device } : {}), ...(st ? { ddmap: st.state ?? 'unreadable' } : {}) };
    }),
    acls: tpg.acls.map((a) => ({
      initiator: a.initiator,
      loggedIn: !!a.session,
      connections: (a.session?.connections ?? []).map((c) => ({ ...(c.address ? { address: c.address } : {}), state: c.state })),
      mappedLuns: a.mappedLuns.length,
    })),
    dynamicSessions: tpg.dynamicSessions,
  };
}

const fmtBytes = (n: number) => (n >= 1073741824 ? `${(n / 1073741824).toFixed(1)} GiB` : n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`);

export function buildReport(i: StatusInput): StatusReport {
  const findings: Finding[] = [];
  const fail = (text: string) => findings.push({ level: 'FAILED', text });
  const warn = (text: string) => findings.push({ level: 'DEGRADED', text });
  const groups: GroupView[] = [];
  const c = i.cluster;
  if (!c) fail(`Pacemaker not answering: ${i.clusterError ?? 'crm_mon failed'}`);
  else {
    if (c.dc === undefined) warn('no DC elected');
    else if (c.quorum === false) warn('partition without quorum');
    for (const n of c.nodes) {
      if (n.unclean) fail(`node ${n.name} is UNCLEAN (fencing pending)`);
      else if (!n.online) warn(`node ${n.name} is offline: no failover target`);
      else if (n.standby) warn(`node ${n.name} is in standby`);
    }
    const bans = leftoverBans(c);
    for (const g of c.groups) {
      const node = groupNode(g);
      const ids = new Set(g.members.map((m) => m.id));
      const gv: GroupView = {
        id: g.id,
        ...(node ? { node } : {}),
        members: g.members.map((m) => ({ id: m.id, role: m.role, ...(m.nodes[0] ? { node: m.nodes[0] } : {}), failed: m.failed })),
        failures: c.failures.filter((f) => ids.has(f.resource)),
        failCounts: c.failCounts.filter((f) => ids.has(f.resource)),
        bans: bans.filter((b) => b.resource === g.id || ids.has(b.resource)).map((b) => ({ id: b.id, node: b.node, fix: `pcs resource clear ${b.resource} (or crm resource clear ${b.resource})` })),
      };
      groups.push(gv);
      const stopped = g.members.filter((m) => !m.active);
      if (g.members.some((m) => m.failed || m.blocked)) fail(`group ${g.id}: ${g.members.filter((m) => m.failed || m.blocked).map((m) => m.id).join(', ')} failed`);
      else if (!node) fail(`group ${g.id} is not running${stopped.length ? ` (${stopped.map((m) => m.id).join(', ')} stopped)` : ''}`);
      else if (stopped.length) fail(`group ${g.id} on ${node}: ${stopped.map((m) => m.id).join(', ')} stopped`);
      for (const b of gv.bans) warn(`leftover ${b.id} keeps ${g.id} off ${b.node} and blocks failover there; run ${b.fix}`);
      if (gv.failures.length) warn(`group ${g.id}: ${gv.failures.length} failed action(s); after fixing the cause run pcs resource cleanup ${g.id}`);
    }
  }
  for (const d of i.drbd.devices) {
    const name = d.resource ?? `minor ${d.minor}`;
    if (d.role === 'Primary' && d.disk !== 'UpToDate') fail(`DRBD ${name} is Primary with disk ${d.disk}`);
    if (!d.connection || !CONNECTED.has(d.connection)) warn(`DRBD ${name} is ${d.connection ?? 'disconnected'}: not replicating`);
    else if (d.resync) warn(`DRBD ${name} resyncing, ${d.resync.percent}% done${d.resync.etaSeconds !== undefined ? `, ETA ${d.resync.etaSeconds} s` : ''}`);
    else if (d.peerDisk && d.peerDisk !== 'UpToDate') warn(`DRBD ${name} peer disk is ${d.peerDisk}`);
    if (!d.resync && (d.counters.outOfSyncBytes ?? 0) > 0) warn(`DRBD ${name} has ${fmtBytes(d.counters.outOfSyncBytes!)} out of sync`);
  }
  const targets: TargetView[] = i.lio.targets.map((t) => ({ wwn: t.wwn, tpgs: t.tpgs.map((tpg) => tpgView(tpg, i.sockets, i.ddmap)) }));
  const runsHere = groups.some((g) => g.node === i.node);
  for (const t of targets) {
    for (const tpg of t.tpgs) {
      if (!tpg.enabled) {
        if (runsHere) warn(`target ${t.wwn} tpgt_${tpg.tag} is disabled`);
        continue;
      }
      for (const p of tpg.portals) if (!p.listening) fail(`target ${t.wwn} portal ${p.ip}:${p.port} is not listening`);
      for (const l of tpg.luns) if (!l.backstore) fail(`target ${t.wwn} lun_${l.index} has no backing device`);
    }
  }
  for (const s of i.ddmap) if (s.state === null) warn(`ddmap ${s.vg}/${s.lv}: unreadable state file`);
  const verdict: Verdict = findings.some((f) => f.level === 'FAILED') ? 'FAILED' : findings.length ? 'DEGRADED' : 'OK';
  const sessions = targets.reduce((n, t) => n + t.tpgs.reduce((m, tpg) => m + tpg.acls.filter((a) => a.loggedIn).length + tpg.dynamicSessions.length, 0), 0);
  const summary = [
    ...groups.map((g) => (g.node ? `${g.id} on ${g.node}` : `${g.id} stopped`)),
    ...(i.drbd.devices.length ? [`DRBD ${i.drbd.devices.map((d) => `${d.resource ?? d.minor} ${d.role}/${d.disk}`).join(', ')}`] : []),
    `${sessions} session(s) here`,
  ].join('; ');
  const order = [...findings].sort((a, b) => (a.level === b.level ? 0 : a.level === 'FAILED' ? -1 : 1));
  return {
    verdict,
    reason: verdict === 'OK' ? summary : order[0]!.text + (order.length > 1 ? ` (+${order.length - 1} more)` : ''),
    findings: order,
    node: i.node,
    ...(c ? { cluster: { ...(c.dc ? { dc: c.dc } : {}), ...(c.quorum !== undefined ? { quorum: c.quorum } : {}), nodes: c.nodes.map((n) => ({ name: n.name, state: nodeState(n) })) } } : {}),
    ...(i.clusterError ? { clusterError: i.clusterError } : {}),
    groups,
    drbd: { loaded: i.drbd.loaded, devices: i.drbd.devices },
    targets,
    ddmap: i.ddmap,
  };
}
