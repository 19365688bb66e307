/**
 * The configfs paths the statistics and status readers use, relative to the
 * target root (/sys/kernel/config/target). Kept in this one module so they fold
 * into lib/configfs/layout.ts without hunting through the readers.
 */

export const CORE = 'core';
export const ISCSI = 'iscsi';
/** Entries of iscsi/ that are not targets. */
export const ISCSI_NON_TARGETS: ReadonlySet<string> = new Set(['discovery_auth', 'lio_version', 'cpus_allowed_list']);
export const TPGT_RE = /^tpgt_(\d+)$/;
export const LUN_RE = /^lun_(\d+)$/;
export const HBA_RE = /^([a-z_]+?)_(\d+)$/;
/** Entries the kernel creates in a TPG LUN and in a mapped LUN directory; anything else is the link. */
export const LUN_ENTRIES: ReadonlySet<string> = new Set(['alua_tg_pt_gp', 'alua_tg_pt_offline', 'alua_tg_pt_status', 'alua_tg_pt_write_md', 'statistics']);
export const MAPPED_LUN_ENTRIES: ReadonlySet<string> = new Set(['write_protect', 'statistics']);

export const targetDir = (wwn: string) => `${ISCSI}/${wwn}`;
export const tpgDir = (wwn: string, tag: number) => `${ISCSI}/${wwn}/tpgt_${tag}`;
export const tpgEnable = (wwn: string, tag: number) => `${tpgDir(wwn, tag)}/enable`;
export const tpgAttrib = (wwn: string, tag: number, key: string) => `${tpgDir(wwn, tag)}/attrib/${key}`;
/** Initiator names of sessions without an ACL (generate_node_acls=1), one a line. */
export const tpgDynamicSessions = (wwn: string, tag: number) => `${tpgDir(wwn, tag)}/dynamic_sessions`;
export const lunsDir = (wwn: string, tag: number) => `${tpgDir(wwn, tag)}/lun`;
export const lunDir = (wwn: string, tag: number, lun: number) => `${lunsDir(wwn, tag)}/lun_${lun}`;
export const npsDir = (wwn: string, tag: number) => `${tpgDir(wwn, tag)}/np`;
export const aclsDir = (wwn: string, tag: number) => `${tpgDir(wwn, tag)}/acls`;
export const aclDir = (wwn: string, tag: number, ini: string) => `${aclsDir(wwn, tag)}/${ini}`;
/** "No active iSCSI Session ..." or the session and its connections. */
export const aclInfo = (wwn: string, tag: number, ini: string) => `${aclDir(wwn, tag, ini)}/info`;
export const mappedLunDir = (wwn: string, tag: number, ini: string, mlun: number) => `${aclDir(wwn, tag, ini)}/lun_${mlun}`;

/** Per-LUN port counters (scsi_tgt_port): read_mbytes, write_mbytes, in_cmds. */
export const lunPortStats = (wwn: string, tag: number, lun: number) => `${lunDir(wwn, tag, lun)}/statistics/scsi_tgt_port`;
/** Per initiator and mapped LUN (scsi_auth_intr): read_mbytes, write_mbytes, num_cmds. */
export const mappedLunStats = (wwn: string, tag: number, ini: string, mlun: number) => `${mappedLunDir(wwn, tag, ini, mlun)}/statistics/scsi_auth_intr`;
/** Per-session counters of an ACL (empty files while no session is logged in). */
export const aclSessionStats = (wwn: string, tag: number, ini: string) => `${aclDir(wwn, tag, ini)}/fabric_statistics/iscsi_sess_stats`;
/** Target-wide iSCSI counters: iscsi_instance, iscsi_login_stats, iscsi_logout_stats, iscsi_sess_err, iscsi_tgt_attr. */
export const targetFabricStats = (wwn: string, group: string) => `${targetDir(wwn)}/fabric_statistics/${group}`;
/** Device-wide counters of a storage object (scsi_lu). */
export const storageObjectDir = (hba: string, name: string) => `${CORE}/${hba}/${name}`;
export const storageObjectStats = (hba: string, name: string) => `${storageObjectDir(hba, name)}/statistics/scsi_lu`;

/**
 * The statistics subtrees the seed logged every minute (S2 その13), as globs
 * over the target root: core/* /* /statistics, iscsi/* /fabric_statistics,
 * iscsi/* /tpgt_N/acls/* /fabric_statistics, .../acls/* /* /statistics, .../lun/* /statistics.
 */
export const STATISTICS_DIR_NAMES: ReadonlySet<string> = new Set(['statistics', 'fabric_statistics']);
