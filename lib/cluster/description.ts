/**
 * The cluster description an administrator writes by hand (JSON): which nodes,
 * which DRBD resources, and which volume groups with their targets and portal
 * addresses run on top of them. Both script generators (pcs, crmsh) read only this.
 */
import type { DiscoverySpec } from './discovery.js';

export interface ClusterNode {
  /** The node name as Pacemaker knows it (`crm_node -n`). */
  readonly name: string;
  /** Corosync ring addresses, informative; the scripts do not set up corosync. */
  readonly addresses: readonly string[];
}

export interface DrbdResource {
  /** DRBD resource name from drbd.conf, e.g. r0. */
  readonly name: string;
  /** Extra ocf:linbit:drbd parameters (drbdconf, adjust_master_score, ...). */
  readonly params: Readonly<Record<string, string>>;
}

export interface TargetSpec {
  readonly iqn: string;
  /** targetcli saveconfig.json that holds this target (on node-local disk or on the VG's metadata LV). */
  readonly config: string;
}

export interface PortalSpec {
  /** The service (virtual) address the initiators log in to. */
  readonly ip: string;
  readonly cidrNetmask?: number;
  readonly nic?: string;
  /** iSCSI port; 3260 unless stated. */
  readonly port?: number;
}

export interface VolumeGroupSpec {
  /** LVM volume group name. */
  readonly vg: string;
  /** The DRBD resource whose device(s) are this VG's physical volumes. */
  readonly drbd: string;
  /** Group id in the CIB; g_<vg> unless stated (the seed calls its only group g_tgt). */
  readonly group: string;
  /** Node the group runs on when both are fine; it does not move back automatically. */
  readonly preferredNode: string;
  /** Save/restore the ddmap change maps of this VG's LUNs. */
  readonly ddmap: boolean;
  readonly targets: readonly TargetSpec[];
  readonly portals: readonly PortalSpec[];
  /**
   * Drop new connections to the portal while it comes up or goes down (the
   * portal agent's block=drop, nftables), so initiators retransmit instead of
   * being reset while nothing listens.
   */
  readonly blockConnections: boolean;
  /** Extra parameters per member agent, checked against that agent's definition. */
  readonly params: Readonly<Partial<Record<MemberRole, Readonly<Record<string, string>>>>>;
}

/** The lioha agents a volume-group group is made of, in start order. */
export const MEMBER_ROLES = ['vg', 'ddmap', 'target', 'portal'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/**
 * A fence (STONITH) device that powers one node off. It never runs on the node
 * it fences, so the survivor of a split can always reach it.
 */
export interface FenceDevice {
  /** CIB id, e.g. fence_node1. */
  readonly id: string;
  /** The fence agent (stonith class), e.g. fence_ipmilan. */
  readonly agent: string;
  /** The node this device fences (pcmk_host_list). */
  readonly node: string;
  /** Agent parameters (ip, username, pcmk_delay_base, ...); secrets belong in a 0600 file the agent reads. */
  readonly params: Readonly<Record<string, string>>;
}

/** What a partition without quorum does; with corosync two_node the survivor of a two-node cluster keeps quorum. */
export const NO_QUORUM_POLICIES = ['stop', 'freeze', 'ignore', 'demote'] as const;
export type NoQuorumPolicy = (typeof NO_QUORUM_POLICIES)[number];

export interface ClusterOptions {
  /** stonith-enabled. The seed runs VMs without fencing; real hardware should fence. */
  readonly stonith: boolean;
  /**
   * no-quorum-policy. stop (Pacemaker's default, and the recommendation with
   * fencing and corosync two_node: 1): a node that lost quorum stops everything.
   */
  readonly noQuorumPolicy: NoQuorumPolicy;
  /** Location score of a group for its preferred node. */
  readonly preferenceScore: number;
  /** resource-stickiness of groups and DRBD clones; must exceed preferenceScore so nothing fails back. */
  readonly resourceStickiness: number;
  /** Failures on a node before Pacemaker moves the group away from it. */
  readonly migrationThreshold: number;
  /** Seconds after which a failure no longer counts. 0 disables expiry. */
  readonly failureTimeout: number;
  /**
   * Every operation timeout is multiplied by this (1 to 10, default 1): for nodes much slower than
   * the hardware the agents' timeouts were chosen for, such as the TCG-emulated VMs of the lab.
   */
  readonly timeoutScale: number;
}

export interface ClusterDescription {
  /** Cluster name, informative (goes into the generated scripts' headers). */
  readonly cluster: string;
  readonly nodes: readonly ClusterNode[];
  readonly options: ClusterOptions;
  readonly drbd: readonly DrbdResource[];
  readonly volumeGroups: readonly VolumeGroupSpec[];
  /** Fence devices; needed when options.stonith is true. */
  readonly fencing: readonly FenceDevice[];
  /** The discovery portal (lioha-portald on its own address), when asked for. */
  readonly discovery?: DiscoverySpec;
}

export const DEFAULT_OPTIONS: ClusterOptions = {
  stonith: true,
  noQuorumPolicy: 'stop',
  preferenceScore: 100,
  resourceStickiness: 200,
  migrationThreshold: 3,
  failureTimeout: 600,
  timeoutScale: 1,
};
