/**
 * Every path of LIO's configfs tree, in one place (as rtslib's node classes keep theirs).
 * Paths are relative to the target root (TARGET_ROOT under the agent's root) unless a name
 * says otherwise. Names that become path components are validated by lib/names.ts before
 * they get here; the backends additionally refuse any path that leaves their root.
 */
import { portalDirName } from './model.js';

/** Where LIO's configfs lives, under the agent's root. */
export const TARGET_ROOT = '/sys/kernel/config/target';
/** The iSCSI fabric directory (exists once iscsi_target_mod is loaded and registered). */
export const ISCSI_DIR = 'iscsi';
/** Backstores: core/<plugin>_<N>/<name>. */
export const CORE_DIR = 'core';

export const HBA_RE = /^([a-z_]+?)_(\d+)$/;
export const TPGT_RE = /^tpgt_(\d+)$/;
/** Every TPG directory's name starts so (tpgt_<tag>). */
export const TPG_PREFIX = 'tpgt_';
/** core/alua: the ALUA LU groups, beside the HBAs. */
export const CORE_ALUA = 'alua';
/** A TPG's LUN, network-portal and ACL groups; attribute groups of any object. */
export const LUN_GROUP = 'lun';
export const NP_GROUP = 'np';
export const ACL_GROUP = 'acls';
export const ATTRIB_GROUP = 'attrib';
export const PARAM_GROUP = 'param';
/** Under <dbroot>: LIO's APTPL files. */
export const DBROOT_PR_DIR = 'pr';
export const LUN_RE = /^lun_(\d+)$/;
/** The TPG LUN a mapped LUN's link points to (its text ends in <tpg>/lun/lun_<N>), undefined for another text. */
const LUN_LINK_RE = /\/lun\/lun_(\d+)$/;
export const tpgLunOfLink = (linkText: string): number | undefined => {
  const m = LUN_LINK_RE.exec(linkText);
  return m ? Number(m[1]) : undefined;
};

/** Absolute path (under the agent's root) of a target-root relative path. */
export const absolute = (rel: string): string => (rel ? `${TARGET_ROOT}/${rel}` : TARGET_ROOT);

export const hbaDir = (hba: string): string => `${CORE_DIR}/${hba}`;
export const storageObjectDir = (hba: string, name: string): string => `${CORE_DIR}/${hba}/${name}`;
export const targetDir = (iqn: string): string => `${ISCSI_DIR}/${iqn}`;
export const targetParamDir = (iqn: string): string => `${targetDir(iqn)}/param`;
export const tpgName = (tag: number): string => `${TPG_PREFIX}${tag}`;
export const tpgDir = (iqn: string, tag: number): string => `${targetDir(iqn)}/${tpgName(tag)}`;
export const lunName = (index: number): string => `lun_${index}`;
export const lunsDir = (iqn: string, tag: number): string => `${tpgDir(iqn, tag)}/lun`;
export const lunDir = (iqn: string, tag: number, index: number): string => `${lunsDir(iqn, tag)}/${lunName(index)}`;
export const npsDir = (iqn: string, tag: number): string => `${tpgDir(iqn, tag)}/np`;
export const npDir = (iqn: string, tag: number, portal: { ip: string; port: number }): string => `${npsDir(iqn, tag)}/${portalDirName(portal)}`;
/** np/<name>/iser: 1 when the portal also serves iSER. */
export const npIserFile = (np: string): string => `${np}/iser`;
export const aclsDir = (iqn: string, tag: number): string => `${tpgDir(iqn, tag)}/acls`;
export const aclDir = (iqn: string, tag: number, initiator: string): string => `${aclsDir(iqn, tag)}/${initiator}`;
export const mappedLunDir = (acl: string, index: number): string => `${acl}/${lunName(index)}`;
/** Node-global: LIO writes persistent reservation (APTPL) files under <dbroot>/pr. */
export const DBROOT_FILE = 'dbroot';
export const aluaGroupDir = (so: string, group: string): string => `${so}/alua/${group}`;
/** Write-only: one saved PR registration per write, before the device is exported. */
export const aptplMetadataFile = (so: string): string => `${so}/pr/res_aptpl_metadata`;
export const aclTagFile = (acl: string): string => `${acl}/tag`;

// ---- runtime state and statistics (read by lib/stats and lib/status) ----------------------------

/** Entries of iscsi/ that are not targets. */
export const ISCSI_NON_TARGETS: ReadonlySet<string> = new Set(['discovery_auth', 'lio_version', 'cpus_allowed_list']);
/** Entries the kernel creates in a TPG LUN and in a mapped LUN directory; anything else is the link. */
export const LUN_ENTRIES: ReadonlySet<string> = new Set(['alua_tg_pt_gp', 'alua_tg_pt_offline', 'alua_tg_pt_status', 'alua_tg_pt_write_md', 'statistics']);
export const MAPPED_LUN_ENTRIES: ReadonlySet<string> = new Set(['write_protect', 'statistics']);

export const tpgEnableFile = (iqn: string, tag: number): string => `${tpgDir(iqn, tag)}/enable`;
export const tpgAttribFile = (iqn: string, tag: number, key: string): string => `${tpgDir(iqn, tag)}/attrib/${key}`;
/** Initiator names of sessions without an ACL (generate_node_acls=1), each followed by "\n" and a NUL. */
export const tpgDynamicSessionsFile = (iqn: string, tag: number): string => `${tpgDir(iqn, tag)}/dynamic_sessions`;
/** "No active iSCSI Session ..." or the ACL's session and its connections. */
export const aclInfoFile = (acl: string): string => `${acl}/info`;
/** Per-session counters of an ACL (empty files while no session is logged in). */
export const aclSessionStatsDir = (acl: string): string => `${acl}/fabric_statistics/iscsi_sess_stats`;
/** Per-LUN port counters: read_mbytes, write_mbytes, in_cmds, dev (the device's dev_index). */
export const lunPortStatsDir = (lun: string): string => `${lun}/statistics/scsi_tgt_port`;
/** Per initiator and mapped LUN: read_mbytes, write_mbytes, num_cmds, dev (the TPG LUN's lun_index). */
export const mappedLunStatsDir = (mappedLun: string): string => `${mappedLun}/statistics/scsi_auth_intr`;
/** Target-wide iSCSI counters: iscsi_instance, iscsi_login_stats, iscsi_logout_stats, iscsi_sess_err, iscsi_tgt_attr. */
export const targetFabricStatsDir = (iqn: string, group: string): string => `${targetDir(iqn)}/fabric_statistics/${group}`;
/** Device-wide counters of a storage object (scsi_lu). */
export const storageObjectStatsDir = (hba: string, name: string): string => `${storageObjectDir(hba, name)}/statistics/scsi_lu`;
export const udevPathFile = (storageObject: string): string => `${storageObject}/udev_path`;

// ---- groups inside an object's directory (the object's path comes from the functions above) ------

/** Entries of an object's groups, relative to the object's directory (as the emulator sees a write). */
export const attribEntry = (key: string): string => `attrib/${key}`;
export const paramEntry = (key: string): string => `param/${key}`;
export const authEntry = (key: string): string => `auth/${key}`;
export const wwnEntry = (key: string): string => `wwn/${key}`;
export const prEntry = (name: string): string => `pr/${name}`;

/** A TPG's (or a target's, an ACL's, a storage object's) attribute and parameter groups. */
export const attribDir = (obj: string): string => `${obj}/attrib`;
export const attribFile = (obj: string, key: string): string => `${obj}/${attribEntry(key)}`;
export const paramDir = (obj: string): string => `${obj}/param`;
export const paramFile = (obj: string, key: string): string => `${obj}/${paramEntry(key)}`;
/** CHAP credentials of a TPG or an ACL: auth/<userid|password|userid_mutual|password_mutual|authenticate_target>. */
export const authDir = (obj: string): string => `${obj}/auth`;
export const authFile = (obj: string, key: string): string => `${obj}/${authEntry(key)}`;
/** A storage object's INQUIRY identity: wwn/<vpd_unit_serial|product_id|vendor_id|revision>. */
export const wwnFile = (so: string, key: string): string => `${so}/${wwnEntry(key)}`;
/** A storage object's persistent-reservation directory. */
export const prDir = (so: string): string => `${so}/pr`;
export const prFile = (so: string, name: string): string => `${so}/${prEntry(name)}`;
/** Outside configfs: the APTPL file LIO rewrites under <dbroot>/pr on every PERSISTENT RESERVE OUT. */
export const dbrootAptplFile = (dbroot: string, serial: string): string => `${dbroot}/pr/aptpl_${serial}`;
/** The LUN, network-portal and ACL directories of a TPG, given the TPG's directory. */
export const lunsOf = (tpg: string): string => `${tpg}/lun`;
export const lunOf = (tpg: string, lun: string): string => `${lunsOf(tpg)}/${lun}`;
export const npsOf = (tpg: string): string => `${tpg}/np`;
export const npOf = (tpg: string, np: string): string => `${npsOf(tpg)}/${np}`;
export const aclsOf = (tpg: string): string => `${tpg}/acls`;
export const aclOf = (tpg: string, initiator: string): string => `${aclsOf(tpg)}/${initiator}`;
/** The statistics subtrees of an object (statistics/) and of a fabric object (fabric_statistics/). */
export const statisticsDir = (obj: string): string => `${obj}/statistics`;
export const fabricStatisticsDir = (obj: string): string => `${obj}/fabric_statistics`;

// ---- recognising paths (for reasons and checks on planned operations) ----------------------------

/** A path under core/: a backstore or a storage object. */
export const isCorePath = (rel: string): boolean => rel.startsWith(`${CORE_DIR}/`);

const STORAGE_OBJECT_ATTRIBUTE_RE = new RegExp(`^${CORE_DIR}/[^/]+/[^/]+/${ATTRIB_GROUP}/([^/]+)$`);
/** The attribute a storage-object attribute path (core/<hba>/<name>/attrib/<attribute>) names, if it is one. */
export const storageObjectAttributeOf = (rel: string): string | undefined => STORAGE_OBJECT_ATTRIBUTE_RE.exec(rel)?.[1];
/** A path of (or under) a network portal: <tpg>/np/<ip:port>. */
export const isNpPath = (rel: string): boolean => rel.includes('/np/');
/** The TPG directory of a network-portal path. */
export const tpgOfNpPath = (rel: string): string => rel.slice(0, rel.lastIndexOf('/np/'));
/** Absolute paths of the per-LUN and per-initiator-LUN throughput counters: wwn, tag, (initiator,) lun, read|write. */
export const LUN_MBYTES_PATH_RE = new RegExp(`^${TARGET_ROOT}/${ISCSI_DIR}/([^/]+)/tpgt_(\\d+)/lun/lun_(\\d+)/statistics/scsi_tgt_port/(read|write)_mbytes$`);
export const MAPPED_LUN_MBYTES_PATH_RE = new RegExp(`^${TARGET_ROOT}/${ISCSI_DIR}/([^/]+)/tpgt_(\\d+)/acls/([^/]+)/lun_(\\d+)/statistics/scsi_auth_intr/(read|write)_mbytes$`);

// ---- the kernel's own entries of an empty tree ---------------------------------------------------

/** The default ALUA logical-unit group the kernel creates with core/. */
export const DEFAULT_LU_GP_DIR = `${CORE_DIR}/alua/lu_gps/default_lu_gp`;
/** Discovery-session CHAP credentials (iscsi/discovery_auth/). */
export const DISCOVERY_AUTH_DIR = `${ISCSI_DIR}/discovery_auth`;
/** A file directly under iscsi/ (lio_version, cpus_allowed_list). */
export const iscsiFile = (name: string): string => `${ISCSI_DIR}/${name}`;
/** Discovery CHAP files sit directly in discovery_auth/ (no auth/ group there). */
export const discoveryAuthFile = (key: string): string => `${DISCOVERY_AUTH_DIR}/${key}`;
