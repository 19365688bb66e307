/**
 * From a validated description to the cluster plan: one promotable DRBD clone
 * per DRBD resource, one group per volume group, and the constraints that tie a
 * group to its clone's Promoted instance and to its preferred node.
 */
import type { AgentDefinition } from '../definition.js';
import { parseValue } from '../param-value.js';
import type { ClusterDescription, MemberRole, VolumeGroupSpec } from './description.js';
import { idPart } from './parse-description.js';
import { DRBD_AGENT, STATEFUL_AGENT, type ForeignAgent } from './foreign-agents.js';
import { opsFromActions } from './ops.js';
import { discoveryGroup } from './discovery.js';
import { groupStorageNotes } from './group-storage.js';
import { LIOHA_PROVIDER, type AgentRegistry } from './member-agents.js';
import type {
  ClusterPlan, NameValue, PlanConstraint, PlanGroup, PlanPrimitive, PlanPromotable,
} from './plan.js';

export interface PlanOptions {
  /**
   * Replace each ocf:linbit:drbd clone by ocf:pacemaker:Stateful, for machines
   * without DRBD (sandboxes, CI). Everything else stays the same.
   */
  readonly drbdStandIn?: boolean;
  /**
   * Meta attributes every agent call sees, e.g. lioha-root and lioha-path to
   * run the agents against a sandbox root with command doubles. Written as
   * operation defaults: Pacemaker 2.1 passes an operation's meta attributes to
   * the agent (probes included) but not the resource's. Meant for sandbox
   * clusters: they apply to every resource of the cluster.
   */
  readonly meta?: Readonly<Record<string, string>>;
}

export class PlanError extends Error {}

/**
 * Member start order inside a group. The portal address comes up last and goes
 * down first. With the iet backend ddmap sits between target and portal: its change
 * maps live in the target's LUNs, so they must be saved (ddmap stop) after initiators
 * are cut off (portal stop) and before the target goes away (target stop).
 */
export const GROUP_ORDER: readonly MemberRole[] = ['vg', 'target', 'ddmap', 'portal'];
/**
 * With the era backend ddmap owns the era devices LIO's backstores open: it starts
 * after the VG (its LVs are active) and before the target (the devices exist when LIO
 * opens them), and stops after the target released them (save the map, remove the device)
 * and before the VG is deactivated (an era device holds its LVs open).
 */
export const GROUP_ORDER_ERA: readonly MemberRole[] = ['vg', 'ddmap', 'target', 'portal'];

/** The member order of a volume group's group (depends on where ddmap's maps live). */
export function groupOrder(v: Pick<VolumeGroupSpec, 'ddmap' | 'params'>): readonly MemberRole[] {
  return v.ddmap && v.params.ddmap?.['backend'] === 'era' ? GROUP_ORDER_ERA : GROUP_ORDER;
}

export function buildPlan(d: ClusterDescription, agents: AgentRegistry, opts: PlanOptions = {}): ClusterPlan {
  const promotables = d.drbd.map((r) => drbdClone(r.name, r.params, d, opts));
  const groups = d.volumeGroups.map((v) => volumeGroup(v, agents, failurePolicy(d)));
  const constraints: PlanConstraint[] = [];
  for (const v of d.volumeGroups) {
    const clone = cloneId(v.drbd);
    constraints.push(
      {
        type: 'colocation', id: `col_${v.group}_with_${clone}`,
        rsc: v.group, withRsc: clone, withRole: 'Promoted', score: 'INFINITY',
      },
      {
        type: 'order', id: `ord_${clone}_promote_${v.group}`,
        first: clone, firstAction: 'promote', then: v.group, thenAction: 'start', kind: 'Mandatory',
      },
      {
        type: 'location', id: `loc_${v.group}_prefers_${idPart(v.preferredNode)}`,
        rsc: v.group, node: v.preferredNode, score: d.options.preferenceScore,
      },
    );
  }
  // The DRBD clone's Promoted role follows its groups' preference, so that on a
  // fresh start DRBD is promoted where the groups want to run. (Only DRBD
  // resources with volume groups get one; the validator guarantees they agree.)
  for (const r of d.drbd) {
    const v = d.volumeGroups.find((g) => g.drbd === r.name);
    if (!v) continue;
    constraints.push({
      type: 'location', id: `loc_${cloneId(r.name)}_promoted_prefers_${idPart(v.preferredNode)}`,
      rsc: cloneId(r.name), role: 'Promoted', node: v.preferredNode, score: d.options.preferenceScore,
    });
  }
  const fenceDevices = d.fencing.map((f) => ({
    id: f.id,
    agent: f.agent,
    params: [['pcmk_host_list', f.node], ...Object.entries(f.params)] as NameValue[],
    node: f.node,
    monitor: { name: 'monitor', interval: 60, timeout: 20 * d.options.timeoutScale } as const,
  }));
  if (d.discovery) {
    const x = discoveryGroup(d.discovery, agents, failurePolicy(d), primitive, d.options.preferenceScore);
    groups.push(x.group);
    constraints.push(...x.constraints);
  }
  const duplicate = firstDuplicate([
    ...fenceDevices.map((f) => f.id),
    ...promotables.flatMap((p) => [p.id, p.primitive.id]),
    ...groups.flatMap((g) => [g.id, ...g.members.map((m) => m.id)]),
    ...constraints.map((c) => c.id),
  ]);
  if (duplicate) throw new PlanError(`CIB id ${duplicate} would be used twice; rename a group or volume group`);

  const notes: string[] = [];
  if (d.options.stonith && fenceDevices.length === 0) {
    notes.push('stonith is enabled but the description lists no fence device: configure one per node before starting resources');
  }
  if (opts.drbdStandIn) notes.push('DRBD replaced by ocf:pacemaker:Stateful (stand-in for machines without DRBD)');
  if (opts.meta && Object.keys(opts.meta).length > 0) {
    notes.push(`operation defaults for every agent call: ${Object.keys(opts.meta).join(', ')} (sandbox use)`);
  }
  for (const v of d.volumeGroups) notes.push(...groupStorageNotes(v));
  if (d.discovery) {
    const c = d.discovery.config;
    notes.push(`discovery portal: write ${c} on every node with \`lioha cluster discovery-config <description> -o ${c}\` (back-ends: the volume groups' portals)`);
  }
  if (d.options.timeoutScale !== 1) notes.push(`every operation timeout is ${d.options.timeoutScale} times the agents' own (options.timeoutScale)`);
  const k = d.options.timeoutScale;
  const scaled = (p: PlanPrimitive): PlanPrimitive => (k === 1 ? p : { ...p, ops: p.ops.map((o) => ({ ...o, timeout: o.timeout * k })) });
  return {
    cluster: d.cluster,
    nodes: d.nodes.map((n) => n.name),
    properties: [['stonith-enabled', String(d.options.stonith)], ['no-quorum-policy', d.options.noQuorumPolicy]],
    opDefaults: Object.entries(opts.meta ?? {}),
    fenceDevices,
    promotables: promotables.map((x) => ({ ...x, primitive: scaled(x.primitive) })),
    groups: groups.map((g) => ({ ...g, members: g.members.map(scaled) })),
    constraints,
    notes,
  };
}

/** LIO's and the portal agent's default iSCSI port. */
export const ISCSI_PORT = 3260;

/** The port a group's portal resource listens on: the portal's own, else the group's portal params, else the agent's default. */
export function portalPort(v: Pick<VolumeGroupSpec, 'params'>, p: Pick<VolumeGroupSpec['portals'][number], 'port'>): number {
  return p.port ?? Number(v.params.portal?.['port'] ?? ISCSI_PORT);
}

/** One target resource per configuration file (the agent reads one config): file -> its IQNs, in description order. */
export function targetResources(v: Pick<VolumeGroupSpec, 'targets'>): Map<string, string[]> {
  const byConfig = new Map<string, string[]>();
  for (const t of v.targets) byConfig.set(t.config, [...(byConfig.get(t.config) ?? []), t.iqn]);
  return byConfig;
}

export function cloneId(drbd: string): string {
  return `ms_drbd_${idPart(drbd)}`;
}

function drbdClone(
  name: string, params: Readonly<Record<string, string>>, d: ClusterDescription, opts: PlanOptions,
): PlanPromotable {
  const agent: ForeignAgent = opts.drbdStandIn ? STATEFUL_AGENT : DRBD_AGENT;
  const p: NameValue[] = opts.drbdStandIn ? [] : [['drbd_resource', name], ...Object.entries(params)];
  const nodes = d.nodes.length;
  return {
    id: cloneId(name),
    primitive: {
      id: `p_drbd_${idPart(name)}`,
      agent: agent.ref,
      params: p,
      ops: opsFromActions(`${agent.ref.provider}:${agent.ref.type}`, agent.actions),
    },
    meta: [
      ['promotable', 'true'],
      ['promoted-max', '1'],
      ['promoted-node-max', '1'],
      ['clone-max', String(Math.min(2, nodes))],
      ['clone-node-max', '1'],
      // drbd.ocf needs notifications to follow its peer (and refuses to start without).
      ['notify', 'true'],
      ...failurePolicy(d),
    ],
  };
}

/**
 * Stickiness (above the location preference: no automatic failback), how many
 * failures move a resource away, and when a failure is forgotten.
 */
function failurePolicy(d: ClusterDescription): NameValue[] {
  const o = d.options;
  return [
    ['resource-stickiness', String(o.resourceStickiness)],
    ['migration-threshold', String(o.migrationThreshold)],
    ...(o.failureTimeout > 0 ? [['failure-timeout', `${o.failureTimeout}s`] as const] : []),
  ];
}

function volumeGroup(v: VolumeGroupSpec, agents: AgentRegistry, meta: readonly NameValue[]): PlanGroup {
  const vgId = idPart(v.vg);
  const members: PlanPrimitive[] = [];
  const iqns = v.targets.map((t) => t.iqn);
  for (const role of groupOrder(v)) {
    if (role === 'ddmap' && !v.ddmap) continue;
    const def = agents[role];
    if (!def) throw new PlanError(`volume group ${v.vg} needs the ${role} agent, which this build does not have`);
    const user = v.params[role] ?? {};
    const make = (id: string, generated: Record<string, string | undefined>): PlanPrimitive =>
      primitive(id, def, generated, user, `volume group ${v.vg}, ${def.name}`);
    switch (role) {
      case 'vg':
        members.push(make(`p_vg_${vgId}`, { vgname: v.vg, drbd_resource: v.drbd }));
        break;
      case 'ddmap': {
        // era runs lvm for its metadata LVs: the same device filter as the vg resource unless given.
        const ddmapUser = v.params.ddmap ?? {};
        const extra = ddmapUser['backend'] === 'era' && !('extra_devices' in ddmapUser) ? v.params.vg?.['extra_devices'] : undefined;
        members.push(make(`p_ddmap_${vgId}`, { vgname: v.vg, extra_devices: extra }));
        break;
      }
      case 'target': {
        const byConfig = targetResources(v);
        let n = 0;
        for (const [config, list] of byConfig) {
          const id = byConfig.size === 1 ? `p_target_${vgId}` : `p_target_${vgId}_${n++}`;
          members.push(make(id, { iqn: list.join(' '), config }));
        }
        break;
      }
      case 'portal':
        v.portals.forEach((pt, i) => {
          const id = v.portals.length === 1 ? `p_portal_${vgId}` : `p_portal_${vgId}_${i}`;
          members.push(
            make(id, {
              ip: pt.ip,
              cidr_netmask: pt.cidrNetmask?.toString(),
              nic: pt.nic,
              port: pt.port?.toString(),
              iqn: iqns.join(' '),
              block: v.blockConnections ? 'drop' : undefined,
            }),
          );
        });
        break;
    }
  }
  return { id: v.group, members, meta };
}

function primitive(
  id: string,
  def: AgentDefinition,
  generated: Record<string, string | undefined>,
  user: Readonly<Record<string, string>>,
  where: string,
): PlanPrimitive {
  const params: NameValue[] = [];
  for (const [name, value] of Object.entries(generated)) {
    if (value === undefined) continue;
    if (!def.parameters.some((p) => p.name === name)) {
      throw new PlanError(`${where}: the agent has no parameter ${name} (its definition changed?)`);
    }
    if (name in user) throw new PlanError(`${where}: parameter ${name} is set from the description; remove it from params`);
    params.push([name, value]);
  }
  for (const [name, value] of Object.entries(user)) {
    const p = def.parameters.find((x) => x.name === name);
    if (!p) {
      throw new PlanError(
        `${where}: unknown parameter ${name} (known: ${def.parameters.map((x) => x.name).join(', ')})`,
      );
    }
    if (p.secret) throw new PlanError(`${where}: ${name} is a secret; keep it in a 0600 file, not in the description`);
    try {
      parseValue(p, value);
    } catch (e) {
      throw new PlanError(`${where}: ${(e as { reason?: string }).reason ?? (e as Error).message}`);
    }
    params.push([name, value]);
  }
  for (const p of def.parameters) {
    if (p.required && !params.some(([n]) => n === p.name)) {
      throw new PlanError(`${where}: required parameter ${p.name} is not set`);
    }
  }
  return {
    id,
    agent: { standard: 'ocf', provider: LIOHA_PROVIDER, type: def.name },
    params,
    ops: opsFromActions(`lioha:${def.name}`, def.actions),
  };
}

function firstDuplicate(ids: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}
