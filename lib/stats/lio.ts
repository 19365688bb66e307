/**
 * LIO statistics and topology from configfs, read through a TreeReader: what
 * `lioha stats` exports and `lioha status` shows. OCF-free; nothing here writes.
 */
import * as P from '../configfs/layout.js';
import { counter, linkToRel, type TreeReader } from './tree-reader.js';
import { parseAclInfo, parseDynamicSessions, type IscsiSession } from './session-info.js';

const MIB = 1048576;
/** LIO reports data counters in whole MiB (u64 bytes >> 20, as u32). */
const mib = (v: number | undefined) => (v === undefined ? undefined : v * MIB);

export interface LunIo {
  readBytes?: number;
  writeBytes?: number;
  commands?: number;
}

export interface LioLun extends LunIo {
  index: number;
  /** /backstores/<kind>/<name>, undefined when the LUN has no (recognisable) device. */
  backstore?: string;
  /** Storage object path relative to the target root (core/iblock_0/lun0). */
  objectDir?: string;
  /** The backing device or file (udev_path). */
  device?: string;
}

export interface LioMappedLun extends LunIo {
  index: number;
  /** The TPG LUN it maps, -1 when the link is missing. */
  tpgLun: number;
}

export interface LioSessionCounters {
  commandPdus?: number;
  responsePdus?: number;
  /** Data octets sent to the initiator (reads). */
  txBytes?: number;
  /** Data octets received from the initiator (writes). */
  rxBytes?: number;
  digestErrors?: number;
  timeoutErrors?: number;
}

export interface LioAcl {
  initiator: string;
  session?: IscsiSession;
  sessionCounters: LioSessionCounters;
  mappedLuns: LioMappedLun[];
}

export interface LioPortal {
  ip: string;
  port: number;
}

export interface LioTpg {
  tag: number;
  enabled: boolean;
  generateNodeAcls: boolean;
  luns: LioLun[];
  acls: LioAcl[];
  portals: LioPortal[];
  /** Initiators logged in without an ACL (generate_node_acls=1). */
  dynamicSessions: string[];
}

export interface LioFabricStats {
  loginAccepts?: number;
  loginRedirects?: number;
  loginFailures: Partial<Record<LoginFailureReason, number>>;
  normalLogouts?: number;
  abnormalLogouts?: number;
  digestErrors?: number;
  connectionErrors?: number;
  formatErrors?: number;
  sessions?: number;
  failedSessions?: number;
  /** Last failed login: initiator name and reason code (iscsi_tgt_attr). */
  lastFailureInitiator?: string;
}

export const LOGIN_FAILURE_REASONS = ['authenticate', 'authorize', 'negotiate', 'other'] as const;
export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

export interface LioTarget {
  wwn: string;
  tpgs: LioTpg[];
  fabric: LioFabricStats;
}

export interface LioBackstore extends LunIo {
  backstore: string;
  hba: string;
  name: string;
  device?: string;
}

export interface LioSnapshot {
  loaded: boolean;
  targets: LioTarget[];
  backstores: LioBackstore[];
}

const PLUGIN_KIND: Record<string, string> = { iblock: 'block', fileio: 'fileio', rd_mcp: 'ramdisk', pscsi: 'pscsi' };

/** core/<plugin>_<N>/<name> -> /backstores/<kind>/<name> */
export function backstoreOf(objectDir: string): string | undefined {
  const [core, hba, name, extra] = objectDir.split('/');
  const m = hba ? P.HBA_RE.exec(hba) : null;
  const kind = m ? PLUGIN_KIND[m[1]!] : undefined;
  if (core !== P.CORE_DIR || !kind || !name || extra !== undefined) return undefined;
  return `/backstores/${kind}/${name}`;
}

/** The link in a LUN or mapped-LUN directory (the one entry that is a symlink), relative to the target root. */
function linkIn(t: TreeReader, dir: string): string | undefined {
  for (const e of t.entries(dir)) {
    if (!e.link) continue;
    const text = t.readlink(`${dir}/${e.name}`);
    if (text !== undefined) return linkToRel(text, t.base);
  }
  return undefined;
}

function sortByIndex<T extends { index: number }>(a: T[]): T[] {
  return a.sort((x, y) => x.index - y.index);
}

function parsePortal(dirName: string): LioPortal | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(dirName);
  return m ? { ip: (m[1] ?? m[2])!, port: Number(m[3]) } : undefined;
}

/**
 * What a reader needs, so that a scrape reads nothing more (a 32 x 32 target has 1,024 mapped
 * LUNs: every attribute read per mapped LUN is a thousand opens):
 *   all    every counter, the mapped LUNs' TPG LUNs, session and login statistics (Prometheus, JSON)
 *   none   topology and sessions only (lioha status)
 *   read, write   those bytes of LUNs and mapped LUNs only (one munin graph: no TPG LUN, no commands)
 */
export type CounterSet = 'all' | 'none' | 'read' | 'write';

export interface ReadOptions {
  /** Targets to read (default: every target). */
  targets?: readonly string[];
  /** Also the device-wide counters of every storage object (core/ * / * /statistics/scsi_lu). */
  backstores?: boolean;
  /** Which counters (default 'all'). */
  counters?: CounterSet;
}

type DeviceOf = (objectDir: string) => string | undefined;

export function readLio(t: TreeReader, opts: ReadOptions = {}): LioSnapshot {
  const top = t.entries(P.ISCSI_DIR);
  const loaded = top.length > 0 || t.entries(P.CORE_DIR).length > 0;
  const wanted = opts.targets ? new Set(opts.targets) : undefined;
  const counters = opts.counters ?? 'all';
  const devices = new Map<string, string | undefined>();
  const deviceOf: DeviceOf = (objectDir) => {
    if (!devices.has(objectDir)) devices.set(objectDir, t.read(P.udevPathFile(objectDir)) || undefined);
    return devices.get(objectDir);
  };
  const targets: LioTarget[] = [];
  for (const e of top) {
    if (!e.dir || P.ISCSI_NON_TARGETS.has(e.name)) continue;
    if (wanted && !wanted.has(e.name)) continue;
    targets.push(readTarget(t, e.name, deviceOf, counters));
  }
  targets.sort((a, b) => (a.wwn < b.wwn ? -1 : a.wwn > b.wwn ? 1 : 0));
  const backstores: LioBackstore[] = [];
  if (opts.backstores) {
    for (const hba of t.dirs(P.CORE_DIR)) {
      if (hba === P.CORE_ALUA || !P.HBA_RE.test(hba)) continue;
      for (const name of t.dirs(P.hbaDir(hba))) {
        const dir = P.storageObjectDir(hba, name);
        const bs = backstoreOf(dir);
        if (!bs) continue;
        const s = P.storageObjectStatsDir(hba, name);
        backstores.push({
          backstore: bs, hba, name, device: deviceOf(dir),
          readBytes: mib(counter(t.read(`${s}/read_mbytes`))),
          writeBytes: mib(counter(t.read(`${s}/write_mbytes`))),
          commands: counter(t.read(`${s}/num_cmds`)),
        });
      }
    }
    backstores.sort((a, b) => (a.backstore < b.backstore ? -1 : 1));
  }
  return { loaded, targets, backstores };
}

/** The I/O counters of one statistics directory (scsi_tgt_port: in_cmds; scsi_auth_intr: num_cmds), as many as the set asks for. */
function readIo(t: TreeReader, dir: string, cmds: string, set: CounterSet, into: LunIo): void {
  if (set === 'none') return;
  if (set !== 'write') into.readBytes = mib(counter(t.read(`${dir}/read_mbytes`)));
  if (set !== 'read') into.writeBytes = mib(counter(t.read(`${dir}/write_mbytes`)));
  if (set === 'all') into.commands = counter(t.read(`${dir}/${cmds}`));
}

function readTpg(t: TreeReader, wwn: string, tag: number, deviceOf: DeviceOf, set: CounterSet): LioTpg {
  const luns: LioLun[] = [];
  // Device index -> TPG LUN (-1: ambiguous). scsi_tgt_port/dev is the device's dev_index; a mapped
  // LUN's scsi_auth_intr/dev is its TPG LUN's lun_index, which core_tpg_add_lun sets to the same
  // dev_index. One read instead of readdir + readlink per mapped LUN; the link is still read when
  // the index is ambiguous (one device exported twice in a TPG).
  const devLun = new Map<string, number>();
  for (const lname of t.names(P.lunsDir(wwn, tag))) {
    const lm = P.LUN_RE.exec(lname);
    if (!lm) continue;
    const index = Number(lm[1]);
    const dir = P.lunDir(wwn, tag, index);
    const objectDir = linkIn(t, dir);
    const backstore = objectDir ? backstoreOf(objectDir) : undefined;
    const lun: LioLun = { index, ...(backstore ? { backstore, objectDir, device: deviceOf(objectDir!) } : {}) };
    const s = P.lunPortStatsDir(dir);
    if (set === 'all') {
      const dev = t.read(`${s}/dev`);
      if (dev !== undefined) devLun.set(dev, devLun.has(dev) ? -1 : index);
    }
    readIo(t, s, 'in_cmds', set, lun);
    luns.push(lun);
  }
  const acls: LioAcl[] = [];
  for (const ini of t.names(P.aclsDir(wwn, tag))) {
    const acl = P.aclDir(wwn, tag, ini);
    const mapped: LioMappedLun[] = [];
    for (const ml of t.names(acl)) {
      const mm = P.LUN_RE.exec(ml);
      if (!mm) continue;
      const index = Number(mm[1]);
      const dir = P.mappedLunDir(acl, index);
      const s = P.mappedLunStatsDir(dir);
      const m: LioMappedLun = { index, tpgLun: set === 'all' ? tpgLunOf(t, dir, s, devLun) : -1 };
      readIo(t, s, 'num_cmds', set, m);
      mapped.push(m);
    }
    const info = t.read(P.aclInfoFile(acl));
    const session = info ? parseAclInfo(info) : undefined;
    const sessionCounters = session && set === 'all' ? readSessionCounters(t, P.aclSessionStatsDir(acl)) : {};
    acls.push({ initiator: ini, ...(session ? { session } : {}), sessionCounters, mappedLuns: sortByIndex(mapped) });
  }
  acls.sort((a, b) => (a.initiator < b.initiator ? -1 : 1));
  const portals = t.names(P.npsDir(wwn, tag)).map(parsePortal).filter((p): p is LioPortal => !!p);
  return {
    tag,
    enabled: t.read(P.tpgEnableFile(wwn, tag)) === '1',
    generateNodeAcls: t.read(P.tpgAttribFile(wwn, tag, 'generate_node_acls')) === '1',
    luns: sortByIndex(luns),
    acls,
    portals,
    dynamicSessions: parseDynamicSessions(t.read(P.tpgDynamicSessionsFile(wwn, tag))),
  };
}

/** The TPG LUN of a mapped LUN: by device index, else by its link; -1 when neither tells. */
function tpgLunOf(t: TreeReader, dir: string, statsDir: string, devLun: ReadonlyMap<string, number>): number {
  const byDev = devLun.get(t.read(`${statsDir}/dev`) ?? '');
  if (byDev !== undefined && byDev >= 0) return byDev;
  const to = linkIn(t, dir);
  return (to === undefined ? undefined : P.tpgLunOfLink(to)) ?? -1;
}

function readSessionCounters(t: TreeReader, ss: string): LioSessionCounters {
  return {
    commandPdus: counter(t.read(`${ss}/cmd_pdus`)),
    responsePdus: counter(t.read(`${ss}/rsp_pdus`)),
    txBytes: counter(t.read(`${ss}/txdata_octs`)),
    rxBytes: counter(t.read(`${ss}/rxdata_octs`)),
    digestErrors: counter(t.read(`${ss}/conn_digest_errors`)),
    timeoutErrors: counter(t.read(`${ss}/conn_timeout_errors`)),
  };
}

function readTarget(t: TreeReader, wwn: string, deviceOf: DeviceOf, set: CounterSet): LioTarget {
  const tpgs: LioTpg[] = [];
  for (const tname of t.names(P.targetDir(wwn))) {
    const tm = P.TPGT_RE.exec(tname);
    if (tm) tpgs.push(readTpg(t, wwn, Number(tm[1]), deviceOf, set));
  }
  tpgs.sort((a, b) => a.tag - b.tag);
  return { wwn, tpgs, fabric: set === 'all' ? readFabric(t, wwn) : { loginFailures: {} } };
}

function readFabric(t: TreeReader, wwn: string): LioFabricStats {
  const g = (group: string, f: string) => counter(t.read(`${P.targetFabricStatsDir(wwn, group)}/${f}`));
  const lastIni = t.read(`${P.targetFabricStatsDir(wwn, 'iscsi_tgt_attr')}/fail_intr_name`);
  return {
    loginAccepts: g('iscsi_login_stats', 'accepts'),
    loginRedirects: g('iscsi_login_stats', 'redirects'),
    loginFailures: {
      authenticate: g('iscsi_login_stats', 'authenticate_fails'),
      authorize: g('iscsi_login_stats', 'authorize_fails'),
      negotiate: g('iscsi_login_stats', 'negotiate_fails'),
      other: g('iscsi_login_stats', 'other_fails'),
    },
    normalLogouts: g('iscsi_logout_stats', 'normal_logouts'),
    abnormalLogouts: g('iscsi_logout_stats', 'abnormal_logouts'),
    digestErrors: g('iscsi_sess_err', 'digest_errors'),
    connectionErrors: g('iscsi_sess_err', 'cxn_errors'),
    formatErrors: g('iscsi_sess_err', 'format_errors'),
    sessions: g('iscsi_instance', 'sessions'),
    failedSessions: g('iscsi_instance', 'fail_sess'),
    ...(lastIni && lastIni !== 'None' ? { lastFailureInitiator: lastIni } : {}),
  };
}
