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

const BACKSTORE_NAMES = ['read_mbytes', 'write_mbytes', 'num_cmds'] as const;

export function readLio(t: TreeReader, opts: ReadOptions = {}): LioSnapshot {
  try {
    return readAll(t, opts);
  } finally {
    t.release();
  }
}

function readAll(t: TreeReader, opts: ReadOptions): LioSnapshot {
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
        const v = t.readIn(P.storageObjectStatsDir(hba, name), BACKSTORE_NAMES);
        backstores.push({ backstore: bs, hba, name, device: deviceOf(dir), readBytes: mib(counter(v[0])), writeBytes: mib(counter(v[1])), commands: counter(v[2]) });
      }
    }
    backstores.sort((a, b) => (a.backstore < b.backstore ? -1 : 1));
  }
  return { loaded, targets, backstores };
}

/**
 * The attributes of a LUN's or mapped LUN's statistics directory each counter set reads, in one
 * readIn: `dev` (the device index that maps a mapped LUN to its TPG LUN), then the I/O counters
 * (scsi_tgt_port counts commands in in_cmds, scsi_auth_intr in num_cmds).
 */
const IO_NAMES = (cmds: string): Record<CounterSet, readonly string[]> => ({
  all: ['dev', 'read_mbytes', 'write_mbytes', cmds],
  read: ['read_mbytes'],
  write: ['write_mbytes'],
  none: [],
});
const LUN_IO = IO_NAMES('in_cmds');
const MAPPED_IO = IO_NAMES('num_cmds');

/** Reads a statistics directory's counters into `into`; returns its `dev` (set 'all' only). */
function readIo(t: TreeReader, dir: string, names: Record<CounterSet, readonly string[]>, set: CounterSet, into: LunIo): string | undefined {
  if (set === 'none') return undefined;
  const v = t.readIn(dir, names[set]);
  if (set === 'read') into.readBytes = mib(counter(v[0]));
  else if (set === 'write') into.writeBytes = mib(counter(v[0]));
  else {
    into.readBytes = mib(counter(v[1]));
    into.writeBytes = mib(counter(v[2]));
    into.commands = counter(v[3]);
  }
  return v[0];
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
    const dev = readIo(t, P.lunPortStatsDir(dir), LUN_IO, set, lun);
    if (set === 'all' && dev !== undefined) devLun.set(dev, devLun.has(dev) ? -1 : index);
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
      const m: LioMappedLun = { index, tpgLun: -1 };
      const dev = readIo(t, P.mappedLunStatsDir(dir), MAPPED_IO, set, m);
      if (set === 'all') m.tpgLun = tpgLunOf(t, dir, dev, devLun);
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
function tpgLunOf(t: TreeReader, dir: string, dev: string | undefined, devLun: ReadonlyMap<string, number>): number {
  const byDev = devLun.get(dev ?? '');
  if (byDev !== undefined && byDev >= 0) return byDev;
  const to = linkIn(t, dir);
  return (to === undefined ? undefined : P.tpgLunOfLink(to)) ?? -1;
}

const SESSION_NAMES = ['cmd_pdus', 'rsp_pdus', 'txdata_octs', 'rxdata_octs', 'conn_digest_errors', 'conn_timeout_errors'] as const;
function readSessionCounters(t: TreeReader, ss: string): LioSessionCounters {
  const v = t.readIn(ss, SESSION_NAMES);
  return {
    commandPdus: counter(v[0]),
    responsePdus: counter(v[1]),
    txBytes: counter(v[2]),
    rxBytes: counter(v[3]),
    digestErrors: counter(v[4]),
    timeoutErrors: counter(v[5]),
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
