/**
 * Typed model of LIO's configfs tree (/sys/kernel/config/target), shared by the desired
 * configuration (from saveconfig.json) and the live state (read from configfs).
 * Attribute and parameter values are kept as the strings written to configfs.
 */

export type BackstoreKind = 'block' | 'fileio' | 'ramdisk' | 'pscsi';
export const BACKSTORE_KINDS: readonly BackstoreKind[] = ['block', 'fileio', 'ramdisk', 'pscsi'];

/** Kernel plugin (HBA directory prefix core/<plugin>_<N>) of each backstore kind. */
export const HBA_PLUGIN: Readonly<Record<BackstoreKind, string>> = {
  block: 'iblock',
  fileio: 'fileio',
  ramdisk: 'rd_mcp',
  pscsi: 'pscsi',
};

export function kindOfPlugin(plugin: string): BackstoreKind | undefined {
  return BACKSTORE_KINDS.find((k) => HBA_PLUGIN[k] === plugin);
}

export type Attributes = Readonly<Record<string, string>>;

interface StorageObjectCommon {
  name: string;
  /** T10 VPD unit serial; must be identical on every node. */
  wwn?: string;
  attributes: Attributes;
  /**
   * Settings of the ALUA group default_tg_pt_gp that differ from the kernel's defaults
   * (ALUA_RW_PARAMS, as integers). The INQUIRY product id is not configured: the kernel
   * derives it from attrib/emulate_model_alias, as it does under targetctl restore.
   */
  alua?: Attributes;
}
export interface BlockObject extends StorageObjectCommon { kind: 'block'; dev: string; readonly: boolean; writeBack?: boolean }
export interface FileioObject extends StorageObjectCommon { kind: 'fileio'; dev: string; size: number; writeBack: boolean; aio: boolean }
export interface RamdiskObject extends StorageObjectCommon { kind: 'ramdisk'; size: number; nullio: boolean }
export interface PscsiObject extends StorageObjectCommon { kind: 'pscsi'; dev: string }
export type StorageObject = BlockObject | FileioObject | RamdiskObject | PscsiObject;

/** Identity of a storage object, as targetcli writes it: "/backstores/<kind>/<name>". */
export type StorageObjectRef = `/backstores/${BackstoreKind}/${string}`;
export function storageObjectRef(kind: BackstoreKind, name: string): StorageObjectRef {
  return `/backstores/${kind}/${name}`;
}
export function parseStorageObjectRef(ref: string): { kind: BackstoreKind; name: string } | undefined {
  const m = /^\/backstores\/([a-z]+)\/([^/]+)$/.exec(ref);
  if (!m) return undefined;
  const kind = BACKSTORE_KINDS.find((k) => k === m[1]);
  return kind ? { kind, name: m[2]! } : undefined;
}

export interface ChapAuth {
  userid: string;
  password: string;
  mutualUserid: string;
  mutualPassword: string;
}
export const NO_AUTH: ChapAuth = { userid: '', password: '', mutualUserid: '', mutualPassword: '' };

export interface MappedLun { index: number; tpgLun: number; writeProtect: boolean; alias?: string }
export interface NodeAcl {
  nodeWwn: string;
  /** Free-form group name (acls/<wwn>/tag) targetcli uses for initiator groups. */
  tag?: string;
  mappedLuns: MappedLun[];
  attributes: Attributes;
  auth: ChapAuth;
  cmdsnDepth?: number;
}
export interface NetworkPortal { ip: string; port: number; iser: boolean }
/** storageObject is null only for a live LUN directory that has no device link. */
export interface Lun { index: number; storageObject: StorageObjectRef | null; alias?: string }
export interface Tpg {
  tag: number;
  enable: boolean;
  attributes: Attributes;
  parameters: Attributes;
  auth: ChapAuth;
  luns: Lun[];
  portals: NetworkPortal[];
  acls: NodeAcl[];
}
/** `parameters`: target-level `iscsi/<iqn>/param/*` (e.g. cmd_completion_affinity, which rtslib >= 2.1.74 saves). */
export interface Target { wwn: string; tpgs: Tpg[]; parameters?: Attributes }

/** What a resource wants: its targets and the storage objects they use. */
export interface DesiredState {
  storageObjects: Map<StorageObjectRef, StorageObject>;
  targets: Map<string, Target>;
  /** Configured values left out because the kernel decides them (attribute-decider.ts): "<ref> <attribute>=<value> (<why>)". */
  kernelDecided?: readonly string[];
}

/** A storage object as found in configfs. */
export interface LiveStorageObject {
  kind: BackstoreKind;
  name: string;
  /** Directory relative to the target root: core/<plugin>_<N>/<name>. */
  dir: string;
  hba: string;
  enabled: boolean;
  /** udev_path attribute ('' for ramdisk). */
  dev: string;
  /** Unit serial and product id ('' when read for a depth-0 monitor, which does not compare them). */
  wwn: string;
  productId: string;
  attributes: Attributes;
  /** All default_tg_pt_gp parameters (read only when asked). */
  alua?: Attributes;
}
export interface LiveState {
  storageObjects: Map<StorageObjectRef, LiveStorageObject>;
  /** Only the targets that were asked for, read shallow or in full. */
  targets: Map<string, Target>;
  /** Every HBA directory name, for index allocation. */
  hbas: string[];
  /** HBAs of a known plugin holding no storage object (left by a start killed between the two mkdirs). */
  emptyHbas?: string[];
  /** LUN links of every target on the node: storage object ref -> target wwns using it (a monitor reads them only when it needs them: readLive). */
  users: Map<StorageObjectRef, Set<string>>;
}

/** The ALUA target port group every storage object has; lioha manages no other. */
export const ALUA_DEFAULT_GROUP = 'default_tg_pt_gp';
/** Writable ALUA group parameters, in the order they are applied (type before state). */
export const ALUA_RW_PARAMS = [
  'alua_access_type', 'alua_access_status', 'alua_write_metadata', 'preferred', 'nonop_delay_msecs', 'trans_delay_msecs',
  'implicit_trans_secs', 'alua_support_offline', 'alua_support_standby', 'alua_support_transitioning',
  'alua_support_active_nonoptimized', 'alua_support_unavailable', 'alua_support_active_optimized', 'alua_access_state',
] as const;
/** The kernel's values for a new default_tg_pt_gp (recorded 6.1 tree). */
export const ALUA_DEFAULTS: Readonly<Record<string, string>> = {
  alua_access_type: '3', alua_access_status: '0', alua_write_metadata: '0', preferred: '0', nonop_delay_msecs: '100',
  trans_delay_msecs: '0', implicit_trans_secs: '0', alua_support_offline: '1', alua_support_standby: '1',
  alua_support_transitioning: '1', alua_support_active_nonoptimized: '1', alua_support_unavailable: '1',
  alua_support_active_optimized: '1', alua_access_state: '0',
};
/** Read forms of the two ALUA parameters the kernel shows as text (rtslib alua.py). */
export const ALUA_TYPE_NAMES = ['None', 'Implicit', 'Explicit', 'Implicit and Explicit'];
export const ALUA_STATUS_NAMES = ['None', 'Altered by Explicit STPG', 'Altered by Implicit ALUA'];
/** INQUIRY product id the kernel sets when emulate_model_alias is 0 (transport->inquiry_prod). */
export const INQUIRY_PROD: Readonly<Record<string, string>> = { iblock: 'IBLOCK', fileio: 'FILEIO', rd_mcp: 'RAMDISK-MCP', pscsi: 'PSCSI' };

/** np directory name: IPv6 addresses in brackets. */
export function portalDirName(p: { ip: string; port: number }): string {
  return p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
}
export function parsePortalDirName(name: string): { ip: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(name);
  if (!m) return undefined;
  return { ip: (m[1] ?? m[2])!, port: Number(m[3]) };
}

/** iSCSI name check: lib/names.ts. */
export { isIscsiName } from '../names.js';
