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

export interface ClusterOptions {
  /** stonith-enabled. The seed runs VMs without fencing; real hardware should fence. */
  readonly stonith: boolean;
  /** Location score of a group for its preferred node. */
  readonly preferenceScore: number;
  /** resource-stickiness of groups and DRBD clones; must exceed preferenceScore so nothing fails back. */
  readonly resourceStickiness: number;
  /** Failures on a node before Pacemaker moves the group away from it. */
  readonly migrationThreshold: number;
  /** Seconds after which a failure no longer counts. 0 disables expiry. */
  readonly failureTimeout: number;
}

export interface ClusterDescription {
  /** Cluster name, informative (goes into the generated scripts' headers). */
  readonly cluster: string;
  readonly nodes: readonly ClusterNode[];
  readonly options: ClusterOptions;
  readonly drbd: readonly DrbdResource[];
  readonly volumeGroups: readonly VolumeGroupSpec[];
  /** The discovery portal (lioha-portald on its own address), when asked for. */
  readonly discovery?: DiscoverySpec;
}

export const DEFAULT_OPTIONS: ClusterOptions = {
  stonith: true,
  preferenceScore: 100,
  resourceStickiness: 200,
  migrationThreshold: 3,
  failureTimeout: 600,
};
