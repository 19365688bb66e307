/**
 * The cluster as `crm_mon --output-as=xml --include=all` shows it: nodes, groups
 * and their members, promotable clones, failed actions, fail counts and
 * leftover `cli-ban` constraints (a ban left by `pcs resource move` blocks
 * failover to that node). Pure: parsing only.
 */
import { child, childrenNamed, parseXml, type XmlElement } from './xml-lite.js';

export interface ClusterNode { name: string; online: boolean; standby: boolean; maintenance: boolean; unclean: boolean; dc: boolean }
export interface ClusterResource {
  id: string;
  agent: string;
  role: string;
  active: boolean;
  failed: boolean;
  managed: boolean;
  blocked: boolean;
  nodes: string[];
}
export interface ClusterGroup { id: string; members: ClusterResource[] }
export interface ClusterClone { id: string; promotable: boolean; instances: ClusterResource[] }
export interface FailedAction { resource: string; operation: string; node: string; exitCode: number; exitStatus: string; reason: string; when: string; interval: number }
export interface FailCount { node: string; resource: string; count: number }
export interface Ban { id: string; resource: string; node: string; weight: number }

export interface ClusterStatus {
  quorum?: boolean;
  dc?: string;
  nodes: ClusterNode[];
  groups: ClusterGroup[];
  clones: ClusterClone[];
  primitives: ClusterResource[];
  failures: FailedAction[];
  failCounts: FailCount[];
  bans: Ban[];
}

const yes = (v: string | undefined) => v === 'true';

function resource(e: XmlElement): ClusterResource {
  return {
    id: e.attrs.id ?? '',
    agent: e.attrs.resource_agent ?? '',
    role: e.attrs.role ?? 'Unknown',
    active: yes(e.attrs.active),
    failed: yes(e.attrs.failed),
    managed: e.attrs.managed !== 'false',
    blocked: yes(e.attrs.blocked),
    nodes: childrenNamed(e, 'node').map((n) => n.attrs.name ?? ''),
  };
}

/** The resource id without a clone instance suffix (p_drbd:0 -> p_drbd). */
const baseId = (id: string) => id.replace(/:\d+$/, '');

export function parseCrmMon(xml: string): ClusterStatus {
  const doc = parseXml(xml);
  const top = child(doc, 'pacemaker-result') ?? child(doc, 'crm_mon');
  if (!top) throw new Error('not crm_mon XML output');
  const summary = child(top, 'summary');
  const dc = child(summary, 'current_dc');
  const out: ClusterStatus = {
    ...(dc?.attrs.present === 'true' ? { dc: dc.attrs.name, quorum: yes(dc.attrs.with_quorum) } : {}),
    nodes: childrenNamed(child(top, 'nodes'), 'node').map((n) => ({
      name: n.attrs.name ?? '', online: yes(n.attrs.online), standby: yes(n.attrs.standby),
      maintenance: yes(n.attrs.maintenance), unclean: yes(n.attrs.unclean), dc: yes(n.attrs.is_dc),
    })),
    groups: [], clones: [], primitives: [], failures: [], failCounts: [], bans: [],
  };
  for (const r of child(top, 'resources')?.children ?? []) {
    if (r.name === 'group') out.groups.push({ id: r.attrs.id ?? '', members: childrenNamed(r, 'resource').map(resource) });
    else if (r.name === 'clone') {
      out.clones.push({
        id: r.attrs.id ?? '',
        promotable: yes(r.attrs.multi_state),
        instances: [...childrenNamed(r, 'resource'), ...childrenNamed(r, 'group').flatMap((g) => childrenNamed(g, 'resource'))].map(resource),
      });
    } else if (r.name === 'resource') out.primitives.push(resource(r));
  }
  for (const f of childrenNamed(child(top, 'failures'), 'failure')) {
    const key = f.attrs.op_key ?? '';
    out.failures.push({
      resource: key.replace(/_[a-z-]+_\d+$/, ''),
      operation: f.attrs.task ?? '',
      node: f.attrs.node ?? '',
      exitCode: Number(f.attrs.exitcode ?? -1),
      exitStatus: f.attrs.exitstatus ?? '',
      reason: f.attrs.exitreason ?? '',
      when: f.attrs['last-rc-change'] ?? '',
      interval: Number(f.attrs.interval ?? 0),
    });
  }
  for (const n of childrenNamed(child(top, 'node_history'), 'node')) {
    for (const h of childrenNamed(n, 'resource_history')) {
      const count = Number(h.attrs['fail-count'] ?? 0);
      if (count > 0) out.failCounts.push({ node: n.attrs.name ?? '', resource: baseId(h.attrs.id ?? ''), count });
    }
  }
  for (const b of childrenNamed(child(top, 'bans'), 'ban')) {
    out.bans.push({ id: b.attrs.id ?? '', resource: b.attrs.resource ?? '', node: b.attrs.node ?? '', weight: Number(b.attrs.weight ?? 0) });
  }
  return out;
}

/** Where a group runs: the node of its members, undefined when stopped or split. */
export function groupNode(g: ClusterGroup): string | undefined {
  const nodes = new Set(g.members.filter((m) => m.active).flatMap((m) => m.nodes));
  return nodes.size === 1 ? [...nodes][0] : undefined;
}

/** Bans `pcs resource move`/`crm resource move` leave behind (cli-ban-*, cli-prefer-*). */
export const leftoverBans = (s: ClusterStatus) => s.bans.filter((b) => b.id.startsWith('cli-ban') || b.id.startsWith('cli-prefer'));
