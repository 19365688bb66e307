/**
 * The cluster plan: the resources and constraints to put into the CIB, in a
 * form both renderers (pcs, crmsh) turn into commands. Keeping one plan is what
 * makes the two scripts build the same configuration.
 */

export type OpName = 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify';
export type Role = 'Promoted' | 'Unpromoted';

export interface PlanOp {
  readonly name: OpName;
  /** Seconds; 0 for non-recurring operations. */
  readonly interval: number;
  /** Seconds. */
  readonly timeout: number;
  readonly role?: Role;
  /** OCF_CHECK_LEVEL for deeper recurring monitors. */
  readonly depth?: number;
}

export interface AgentRef {
  readonly standard: 'ocf';
  readonly provider: string;
  readonly type: string;
}

export type NameValue = readonly [name: string, value: string];

export interface PlanPrimitive {
  readonly id: string;
  readonly agent: AgentRef;
  readonly params: readonly NameValue[];
  readonly ops: readonly PlanOp[];
}

export interface PlanPromotable {
  readonly id: string;
  readonly primitive: PlanPrimitive;
  readonly meta: readonly NameValue[];
}

/** A fence device: a stonith-class primitive that fences `node` and never runs there. */
export interface PlanFenceDevice {
  readonly id: string;
  /** stonith agent type, e.g. fence_ipmilan */
  readonly agent: string;
  /** pcmk_host_list first, then the description's params */
  readonly params: readonly NameValue[];
  readonly node: string;
  readonly monitor: PlanOp;
}

export interface PlanGroup {
  readonly id: string;
  /** In start order; Pacemaker stops them in reverse. */
  readonly members: readonly PlanPrimitive[];
  readonly meta: readonly NameValue[];
}

export type PlanConstraint =
  | {
      readonly type: 'colocation';
      readonly id: string;
      /** The dependent: placed where `withRsc` is in `withRole`. */
      readonly rsc: string;
      readonly withRsc: string;
      readonly withRole: Role;
      readonly score: 'INFINITY';
    }
  | {
      readonly type: 'order';
      readonly id: string;
      readonly first: string;
      readonly firstAction: 'promote';
      readonly then: string;
      readonly thenAction: 'start';
      /** Symmetrical: the reverse (stop then, then demote first) is implied. */
      readonly kind: 'Mandatory';
    }
  | {
      readonly type: 'location';
      readonly id: string;
      readonly rsc: string;
      /** Only the Promoted role of a promotable clone, or any role when absent. */
      readonly role?: Role;
      readonly node: string;
      readonly score: number;
    };

export interface ClusterPlan {
  readonly cluster: string;
  readonly nodes: readonly string[];
  /** cib-bootstrap-options. */
  readonly properties: readonly NameValue[];
  /**
   * Operation defaults (op_defaults meta attributes). Pacemaker 2.1 hands an
   * agent its operation's meta attributes (OCF_RESKEY_CRM_meta_*), op_defaults
   * included, but not the resource's own meta attributes.
   */
  readonly opDefaults: readonly NameValue[];
  readonly fenceDevices: readonly PlanFenceDevice[];
  readonly promotables: readonly PlanPromotable[];
  readonly groups: readonly PlanGroup[];
  readonly constraints: readonly PlanConstraint[];
  /** Notes for the script header (e.g. stand-ins in use). */
  readonly notes: readonly string[];
}

export function agentName(a: AgentRef): string {
  return `${a.standard}:${a.provider}:${a.type}`;
}
