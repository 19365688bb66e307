import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { TemplateKind } from './emulator-templates.js';
import { DEFAULT_SERIES, kernelSeries, RECORDED_KERNELS, type KernelTree } from './kernel-trees.js';
import { ConfigFsError, EMULATOR_MARKER, linkTextToRel, relToLinkText, underBase, type ConfigFs, type ConfigFsOp } from './io.js';
import { INQUIRY_PROD, isIscsiName, parsePortalDirName, portalDirName } from './model.js';
import { excludes } from './network-portals.js';

/**
 * A configfs emulator on a plain directory tree. It performs the kernel's side effects so the
 * agents can be exercised without target_core_mod: mkdir of an object creates its attribute
 * files and default groups (templates recorded from a real 6.1 kernel), links are only
 * allowed between the right object kinds, rmdir refuses non-empty or linked objects, default
 * groups cannot be removed, read-only and write-only attributes behave as such, and writes
 * are validated where the kernel validates them. All state lives in the tree itself, so
 * several processes (agents run by Pacemaker, tests) share one emulated kernel.
 *
 * Every operation is atomic, as a configfs syscall is: a new object is built in a hidden
 * staging directory and renamed into place, a removed one is renamed away before it is
 * deleted, an attribute is replaced by rename. A process killed at any point leaves the
 * tree as it was before or after the operation. Where a write changes a second, derived
 * attribute (authenticate_target, AuthMethod, info), the derived one is written first, so a
 * killed write is simply redone by the next start.
 */

export { EMULATOR_MARKER };

/** Injected misbehaviour: an operation on a matching path fails with `error` or never returns ('hang'). */
export interface EmulatorFault { op: ConfigFsOp; path: string; error: 'hang' | string }

/**
 * Crash-test seam: the process SIGKILLs itself inside its `op`-th mutating operation (1-based),
 * after `step` of that operation's internal file-system steps (0 = before it starts). With
 * `throw`, the operation throws EmulatorCrash there instead (in-process tests): nothing of the
 * operation runs after that point either.
 */
export interface EmulatorKillPoint { op: number; step: number; throw?: boolean }

export class EmulatorCrash extends Error {
  override name = 'EmulatorCrash';
}

/** Hidden directory under the emulated target root where objects are built before they appear. */
export const STAGING_DIR = '.lioha-staging';

type Node =
  | { k: 'root' } | { k: 'core' } | { k: 'iscsi' } | { k: 'other' }
  | { k: 'hba'; plugin: string }
  | { k: 'so'; plugin: string; hba: string; name: string }
  | { k: 'target'; wwn: string }
  | { k: 'tpg'; wwn: string; tpg: string }
  | { k: 'lun'; wwn: string; tpg: string; lun: string }
  | { k: 'np'; wwn: string; tpg: string; np: string }
  | { k: 'acl'; wwn: string; tpg: string; acl: string }
  | { k: 'mlun'; wwn: string; tpg: string; acl: string; mlun: string };

import {
  ACL_GROUP, CORE_ALUA, CORE_DIR, DBROOT_FILE, HBA_RE, ISCSI_DIR, ISCSI_NON_TARGETS, LUN_GROUP, LUN_RE, NP_GROUP, TPGT_RE,
  aclsOf, attribEntry, authEntry, authFile, dbrootAptplFile, lunOf, lunsOf, npsOf,
  paramEntry, paramFile, prEntry, prFile, targetDir, wwnEntry, wwnFile,
} from './layout.js';

/** Group prefixes of an object-relative file name ("attrib/", "param/", "auth/"). */
const ATTRIB = attribEntry('');
const PARAM = paramEntry('');
const AUTH = authEntry('');
/** The emulator's own record of restored APTPL registrations (hidden from readdir). */
const REGISTRATIONS_LOG = '.lioha-aptpl-registrations';

/**
 * A staging or journal name no other process can be using: the pid, this process's start time and
 * a counter (a pid is reused only by a later process). No node:crypto: it costs an agent run ~15%
 * of Node's own start-up, and the benchmarks run agents on this emulator.
 */
let staged = 0;
const STARTED = Date.now().toString(36);
function uniqueName(): string {
  return `${process.pid}-${STARTED}-${(staged++).toString(36)}`;
}
const PLUGINS = new Set(['iblock', 'fileio', 'rd_mcp', 'pscsi']);

function classify(rel: string): Node {
  const p = rel === '' ? [] : rel.split('/');
  const [a, b, c, d, e, f] = p;
  switch (p.length) {
    case 0: return { k: 'root' };
    case 1: return a === CORE_DIR ? { k: 'core' } : a === ISCSI_DIR ? { k: 'iscsi' } : { k: 'other' };
    case 2: {
      if (a === CORE_DIR) { const m = HBA_RE.exec(b!); return m && b !== CORE_ALUA ? { k: 'hba', plugin: m[1]! } : { k: 'other' }; }
      if (a === ISCSI_DIR && !ISCSI_NON_TARGETS.has(b!)) return { k: 'target', wwn: b! };
      return { k: 'other' };
    }
    case 3: {
      if (a === CORE_DIR) { const m = HBA_RE.exec(b!); return m ? { k: 'so', plugin: m[1]!, hba: b!, name: c! } : { k: 'other' }; }
      if (a === ISCSI_DIR && TPGT_RE.test(c!)) return { k: 'tpg', wwn: b!, tpg: c! };
      return { k: 'other' };
    }
    case 5:
      if (a === ISCSI_DIR && TPGT_RE.test(c!)) {
        if (d === LUN_GROUP) return { k: 'lun', wwn: b!, tpg: c!, lun: e! };
        if (d === NP_GROUP) return { k: 'np', wwn: b!, tpg: c!, np: e! };
        if (d === ACL_GROUP) return { k: 'acl', wwn: b!, tpg: c!, acl: e! };
      }
      return { k: 'other' };
    case 6:
      if (a === ISCSI_DIR && TPGT_RE.test(c!) && d === ACL_GROUP && LUN_RE.test(f!)) return { k: 'mlun', wwn: b!, tpg: c!, acl: e!, mlun: f! };
      return { k: 'other' };
    default:
      return { k: 'other' };
  }
}

/** Path of the object a file belongs to, and the file path relative to the object. */
function owner(rel: string): { node: Node; obj: string; file: string } {
  const parts = rel.split('/');
  for (let i = parts.length - 1; i >= 1; i--) {
    const obj = parts.slice(0, i).join('/');
    const node = classify(obj);
    if (node.k !== 'other' && node.k !== 'root' && node.k !== 'core' && node.k !== 'iscsi') {
      return { node, obj, file: parts.slice(i).join('/') };
    }
  }
  return { node: { k: 'other' }, obj: '', file: rel };
}

const YES_NO = new Set(['InitialR2T', 'ImmediateData', 'DataPDUInOrder', 'DataSequenceInOrder', 'IFMarker', 'OFMarker']);
const NUMERIC: Record<string, [number, number]> = {
  MaxBurstLength: [512, 16777215], FirstBurstLength: [512, 16777215],
  MaxRecvDataSegmentLength: [512, 16777215], MaxXmitDataSegmentLength: [512, 16777215],
  MaxConnections: [1, 65535], MaxOutstandingR2T: [1, 65535], DefaultTime2Wait: [0, 3600],
  DefaultTime2Retain: [0, 3600], ErrorRecoveryLevel: [0, 2],
};
const TPG_BOOL_ATTRS = new Set(['authentication', 'generate_node_acls', 'cache_dynamic_acls', 'demo_mode_write_protect', 'prod_mode_write_protect', 'demo_mode_discovery', 'tpg_enabled_sendtargets', 'login_keys_workaround']);
const CONTROL_KEYS: Record<string, ReadonlySet<string>> = {
  iblock: new Set(['udev_path', 'readonly', 'WCE']),
  fileio: new Set(['fd_dev_name', 'fd_dev_size', 'fd_buffered_io', 'fd_async_io']),
  rd_mcp: new Set(['rd_pages', 'rd_nullio', 'rd_dummy']),
  pscsi: new Set(['udev_path', 'scsi_host_id', 'scsi_channel_id', 'scsi_target_id', 'scsi_lun_id']),
};
const BLOCK_SIZES = new Set(['512', '1024', '2048', '4096']);
const INT_RE = /^-?\d+$/;

export class EmulatedConfigFs implements ConfigFs {
  readonly emulated = true;
  /** Host path of the emulated machine's root (base minus /sys/kernel/config/target). */
  private readonly hostRoot: string;
  private readonly faults: EmulatorFault[];
  private readonly killPoint: EmulatorKillPoint | undefined;
  private opCount = 0;
  private stepCount = 0;

  /** Like the real backend, no call ever waits, unless a hang is injected (then each call is guarded by a timer). */
  readonly synchronous: boolean;

  /** The recorded kernel this machine runs (its /proc/sys/kernel/osrelease), 6.1 when unknown. */
  private readonly tree: KernelTree;

  constructor(readonly base: string, faults?: EmulatorFault[], kill?: EmulatorKillPoint) {
    this.hostRoot = base.replace(/\/sys\/kernel\/config\/target\/?$/, '') || '/';
    const marker = faults ? { faults, kill } : readMarker(base);
    this.faults = marker.faults;
    this.killPoint = marker.kill;
    let release = DEFAULT_SERIES;
    try { release = fs.readFileSync(join(this.hostRoot, 'proc/sys/kernel/osrelease'), 'utf8').trim(); } catch { /* not set: default */ }
    this.tree = RECORDED_KERNELS[kernelSeries(release)] ?? RECORDED_KERNELS[DEFAULT_SERIES]!;
    recover(base);
    this.synchronous = !this.faults.some((f) => f.error === 'hang');
  }

  // ---- helpers -------------------------------------------------------------
  private abs(rel: string): string { return underBase(this.base, 'read', rel); }
  private err(op: ConfigFsOp, rel: string, code: string, detail?: string): never {
    throw new ConfigFsError(op, rel, code, detail);
  }
  private async fault(op: ConfigFsOp, rel: string): Promise<void> {
    underBase(this.base, op, rel); // never outside the root, whatever the name
    const f = this.faults.find((x) => x.op === op && (rel === x.path || rel.endsWith('/' + x.path) || rel.includes(x.path)));
    if (!f) return;
    if (f.error === 'hang') await new Promise<never>(() => { /* a task stuck in D state */ });
    this.err(op, rel, f.error, 'injected');
  }
  /** A mutating operation begins (crash-test seam). */
  private begin(): void {
    this.opCount++;
    this.stepCount = 0;
    this.step();
  }
  /** One internal step of the current operation is done (crash-test seam). */
  private step(): void {
    const k = this.killPoint;
    if (k && this.opCount === k.op && this.stepCount++ === k.step) {
      if (k.throw) throw new EmulatorCrash(`crashed in operation ${k.op} at step ${k.step}`);
      process.kill(process.pid, 'SIGKILL');
    }
  }
  /** A fresh private path in the staging directory (same file system: rename is atomic). */
  private staged(): string {
    const dir = join(this.base, STAGING_DIR);
    fs.mkdirSync(dir, { recursive: true });
    return join(dir, uniqueName());
  }
  private isDir(rel: string): boolean {
    try { return fs.lstatSync(this.abs(rel)).isDirectory(); } catch { return false; }
  }
  private lstat(rel: string): fs.Stats | undefined {
    try { return fs.lstatSync(this.abs(rel)); } catch { return undefined; }
  }
  /**
   * Kernel-side update of attributes, whatever their modes, as one atomic change: each new file is
   * staged, then (for more than one) a journal naming the renames is committed by a rename of its
   * own, then the renames run. A process killed after the commit leaves the journal, which the
   * next emulator opened on this tree replays before anything else (recover()).
   */
  private setAttrs(pairs: [string, string][]): void {
    const moves: [string, string][] = pairs.map(([rel, value]) => {
      const p = this.abs(rel);
      const tmp = this.staged();
      writeWithMode(tmp, value, fs.statSync(p).mode & 0o777);
      this.step();
      return [tmp, p];
    });
    let journal: string | undefined;
    if (moves.length > 1) {
      journal = join(this.base, STAGING_DIR, `journal-${uniqueName()}.json`);
      const tmp = this.staged();
      fs.writeFileSync(tmp, JSON.stringify(moves));
      fs.renameSync(tmp, journal);
      this.step();
    }
    for (const [from, to] of moves) {
      fs.renameSync(from, to);
      this.step();
    }
    if (journal) fs.unlinkSync(journal);
  }
  private setAttr(rel: string, value: string): void {
    this.setAttrs([[rel, value]]);
  }
  private getAttr(rel: string): string {
    const p = this.abs(rel);
    const mode = fs.statSync(p).mode & 0o777;
    // root reads any mode; others borrow read permission for a moment (not crash-safe, never kill-tested)
    if (process.getuid?.() === 0 || mode & 0o400) return fs.readFileSync(p, 'utf8');
    fs.chmodSync(p, mode | 0o600);
    try { return fs.readFileSync(p, 'utf8'); } finally { fs.chmodSync(p, mode); }
  }
  /** mkdir as the kernel does it: the object with its attributes and default groups appears at once. */
  private instantiate(rel: string, kind: TemplateKind, values: Record<string, string> = {}): void {
    const dir = this.staged();
    fs.mkdirSync(dir);
    this.step();
    for (const entry of this.tree[kind]) {
      const p = join(dir, entry[0]);
      if (entry[1] === 'd') fs.mkdirSync(p, { recursive: true });
      else writeWithMode(p, values[entry[0]] ?? entry[2], entry[1]);
      this.step();
    }
    if (this.lstat(rel)) { fs.rmSync(dir, { recursive: true, force: true }); this.err('mkdir', rel, 'EEXIST'); }
    fs.renameSync(dir, this.abs(rel));
    this.step();
  }
  private subdirs(rel: string): string[] {
    try { return fs.readdirSync(this.abs(rel), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { return []; }
  }
  private links(rel: string): string[] {
    try { return fs.readdirSync(this.abs(rel), { withFileTypes: true }).filter((d) => d.isSymbolicLink()).map((d) => d.name); } catch { return []; }
  }
  /** Every network portal of every target on the node. */
  private boundNps(): { np: { ip: string; port: number }; where: string }[] {
    const out: { np: { ip: string; port: number }; where: string }[] = [];
    for (const t of this.subdirs(ISCSI_DIR)) {
      for (const tpg of this.subdirs(targetDir(t)).filter((x) => TPGT_RE.test(x))) {
        for (const n of this.subdirs(npsOf(`${targetDir(t)}/${tpg}`))) {
          const np = parsePortalDirName(n);
          if (np) out.push({ np, where: `${t}/${tpg}` });
        }
      }
    }
    return out;
  }
  /** TPG LUN directories whose link points at `soRel`. */
  private lunsUsing(soRel: string): string[] {
    const out: string[] = [];
    for (const t of this.subdirs(ISCSI_DIR)) {
      if (t === 'discovery_auth') continue;
      for (const tpg of this.subdirs(targetDir(t)).filter((x) => TPGT_RE.test(x))) {
        for (const lun of this.subdirs(lunsOf(`${targetDir(t)}/${tpg}`))) {
          const dir = lunOf(`${targetDir(t)}/${tpg}`, lun);
          for (const l of this.links(dir)) if (linkTextToRel(fs.readlinkSync(this.abs(`${dir}/${l}`))) === soRel) out.push(dir);
        }
      }
    }
    return out;
  }
  private mappedLunsUsing(lunRel: string): string[] {
    const [, wwn, tpg] = lunRel.split('/');
    const out: string[] = [];
    const acls = aclsOf(`${targetDir(wwn!)}/${tpg}`);
    for (const acl of this.subdirs(acls)) {
      for (const ml of this.subdirs(`${acls}/${acl}`).filter((x) => LUN_RE.test(x))) {
        const dir = `${acls}/${acl}/${ml}`;
        for (const l of this.links(dir)) if (linkTextToRel(fs.readlinkSync(this.abs(`${dir}/${l}`))) === lunRel) out.push(dir);
      }
    }
    return out;
  }
  private control(soRel: string): Map<string, string> {
    const text = this.getAttr(`${soRel}/control`);
    return new Map(text.split('\n').filter(Boolean).map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)] as [string, string]; }));
  }

  // ---- ConfigFs --------------------------------------------------------------
  async mkdir(rel: string): Promise<void> {
    await this.fault('mkdir', rel);
    this.begin();
    const node = classify(rel);
    if (this.lstat(rel)) this.err('mkdir', rel, 'EEXIST');
    if (!this.isDir(dirname(rel) === '.' ? '' : dirname(rel))) this.err('mkdir', rel, 'ENOENT');
    const name = rel.split('/').pop()!;
    switch (node.k) {
      case 'hba': {
        if (!PLUGINS.has(node.plugin)) this.err('mkdir', rel, 'EINVAL', `unknown plugin ${node.plugin}`);
        const index = this.subdirs(CORE_DIR).filter((h) => HBA_RE.test(h)).length + 1;
        this.instantiate(rel, 'hba', { hba_info: `HBA Index: ${index} plugin: ${node.plugin} version: v5.0\n` });
        return;
      }
      case 'so': {
        if (!PLUGINS.has(node.plugin)) this.err('mkdir', rel, 'EINVAL');
        // A new device: no model alias (DA_EMULATE_MODEL_ALIAS 0), product id = the backend's inquiry_prod.
        this.instantiate(rel, node.plugin === 'fileio' ? 'so_fileio' : node.plugin === 'rd_mcp' ? 'so_rd_mcp' : 'so_iblock',
          { info: `Status: DEACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 0\n`,
            [attribEntry('emulate_model_alias')]: '0\n', [wwnEntry('product_id')]: `${INQUIRY_PROD[node.plugin] ?? ''}\n` });
        return;
      }
      case 'target':
        if (!isIscsiName(name)) this.err('mkdir', rel, 'EINVAL', 'not an iSCSI name');
        this.instantiate(rel, 'target');
        return;
      case 'tpg': {
        const tag = Number(TPGT_RE.exec(name)![1]);
        if (tag < 1 || tag > 65535) this.err('mkdir', rel, 'EINVAL');
        this.instantiate(rel, 'tpg');
        return;
      }
      case 'lun': {
        const m = LUN_RE.exec(name);
        if (!m || Number(m[1]) > 65535) this.err('mkdir', rel, 'EINVAL');
        this.instantiate(rel, 'lun');
        return;
      }
      case 'np': {
        const p = parsePortalDirName(name);
        if (!p || p.port < 1 || p.port > 65535) this.err('mkdir', rel, 'EINVAL', 'portal must be <ip>:<port>, IPv6 in brackets');
        // As the kernel: one listener per ip:port for the whole node; a wildcard and a specific
        // address on one port cannot both be bound (kernel_bind() -98, measured on 6.1).
        const clash = this.boundNps().find((b) => excludes(b.np, p!));
        if (clash) this.err('mkdir', rel, 'EINVAL', `kernel_bind() failed: -98 (${portalDirName(clash.np)} is bound by ${clash.where})`);
        this.instantiate(rel, 'np');
        return;
      }
      case 'acl':
        if (!isIscsiName(name)) this.err('mkdir', rel, 'EINVAL', 'not an iSCSI name');
        this.instantiate(rel, 'acl', { info: `No active iSCSI Session for Initiator Endpoint: ${name}\n` });
        return;
      case 'mlun':
        this.instantiate(rel, 'mapped_lun');
        return;
      default:
        // Attribute groups (attrib/, param/, ...) and everything else are not mkdir-able.
        this.err('mkdir', rel, 'EPERM');
    }
  }

  async rmdir(rel: string): Promise<void> {
    await this.fault('rmdir', rel);
    this.begin();
    const node = classify(rel);
    const st = this.lstat(rel);
    if (!st) this.err('rmdir', rel, 'ENOENT');
    if (!st.isDirectory()) this.err('rmdir', rel, 'ENOTDIR');
    switch (node.k) {
      case 'hba': if (this.subdirs(rel).length) this.err('rmdir', rel, 'ENOTEMPTY'); break;
      case 'so': if (this.lunsUsing(rel).length) this.err('rmdir', rel, 'EBUSY', 'exported through a LUN'); break;
      case 'target': if (this.subdirs(rel).some((d) => TPGT_RE.test(d))) this.err('rmdir', rel, 'ENOTEMPTY'); break;
      case 'tpg':
        if ([LUN_GROUP, NP_GROUP, ACL_GROUP].some((g) => this.subdirs(`${rel}/${g}`).length)) this.err('rmdir', rel, 'ENOTEMPTY');
        break;
      case 'lun':
        if (this.links(rel).length) this.err('rmdir', rel, 'ENOTEMPTY', 'device still linked');
        if (this.mappedLunsUsing(rel).length) this.err('rmdir', rel, 'EBUSY', 'mapped by a node ACL');
        break;
      case 'acl': if (this.subdirs(rel).some((d) => LUN_RE.test(d))) this.err('rmdir', rel, 'ENOTEMPTY'); break;
      case 'mlun': if (this.links(rel).length) this.err('rmdir', rel, 'ENOTEMPTY'); break;
      case 'np': break;
      default: this.err('rmdir', rel, 'EPERM', 'default group');
    }
    // Gone at once, as on the kernel; the staged remains are deleted afterwards.
    const trash = this.staged();
    fs.renameSync(this.abs(rel), trash);
    this.step();
    fs.rmSync(trash, { recursive: true, force: true });
  }

  async symlink(targetRel: string, linkRel: string): Promise<void> {
    underBase(this.base, 'symlink', targetRel);
    await this.fault('symlink', linkRel);
    this.begin();
    const parent = classify(dirname(linkRel));
    const target = classify(targetRel);
    if (this.lstat(linkRel)) this.err('symlink', linkRel, 'EEXIST');
    if (!this.isDir(dirname(linkRel)) || !this.isDir(targetRel)) this.err('symlink', linkRel, 'ENOENT');
    if (parent.k === 'lun') {
      if (target.k !== 'so') this.err('symlink', linkRel, 'EINVAL', 'a LUN links to a storage object');
      if (this.links(dirname(linkRel)).length) this.err('symlink', linkRel, 'EEXIST', 'LUN already has a device');
      if (this.getAttr(`${targetRel}/enable`).trim() !== '1') this.err('symlink', linkRel, 'ENODEV', 'storage object not enabled');
    } else if (parent.k === 'mlun') {
      if (target.k !== 'lun' || target.wwn !== parent.wwn || target.tpg !== parent.tpg) {
        this.err('symlink', linkRel, 'EINVAL', 'a mapped LUN links to a LUN of the same TPG');
      }
      if (this.links(dirname(linkRel)).length) this.err('symlink', linkRel, 'EEXIST');
      if (!this.links(targetRel).length) this.err('symlink', linkRel, 'ENODEV', 'LUN has no device');
    } else {
      this.err('symlink', linkRel, 'EPERM');
    }
    fs.symlinkSync(relToLinkText(linkRel, targetRel), this.abs(linkRel));
  }

  async unlink(rel: string): Promise<void> {
    await this.fault('unlink', rel);
    this.begin();
    const st = this.lstat(rel);
    if (!st) this.err('unlink', rel, 'ENOENT');
    const parent = classify(dirname(rel));
    if (!st.isSymbolicLink() || (parent.k !== 'lun' && parent.k !== 'mlun')) this.err('unlink', rel, 'EPERM');
    fs.unlinkSync(this.abs(rel));
  }

  async read(rel: string): Promise<string> {
    await this.fault('read', rel);
    const st = this.lstat(rel);
    if (!st) this.err('read', rel, 'ENOENT');
    if (st.isDirectory()) this.err('read', rel, 'EISDIR');
    if (!(st.mode & 0o444)) this.err('read', rel, 'EACCES', 'write-only attribute');
    return fs.readFileSync(this.abs(rel), 'utf8').replace(/\n$/, '');
  }

  async write(rel: string, value: string): Promise<void> {
    await this.fault('write', rel);
    this.begin();
    const st = this.lstat(rel);
    if (!st) this.err('write', rel, 'ENOENT', 'configfs does not create files');
    if (st.isDirectory()) this.err('write', rel, 'EISDIR');
    if (!st.isFile()) this.err('write', rel, 'EPERM');
    if (!(st.mode & 0o222)) this.err('write', rel, 'EACCES', 'read-only attribute');
    if (value.includes('\n')) this.err('write', rel, 'EINVAL', 'embedded newline');
    if (rel === DBROOT_FILE) { this.setDbroot(value); return; }
    const { node, obj, file } = owner(rel);
    const bad = (detail: string): never => this.err('write', rel, 'EINVAL', detail);
    const int = (lo = -Infinity, hi = Infinity) => {
      if (!INT_RE.test(value) || Number(value) < lo || Number(value) > hi) bad('not a valid integer');
    };
    let stored = value + '\n';
    /** Attributes the kernel changes along with this one: committed together with it. */
    let derived: [string, string][] = [];
    switch (node.k) {
      case 'so': {
        const exported = () => this.lunsUsing(obj).length > 0;
        if (file === 'enable') {
          if (value !== '1') bad('only 1 can be written');
          if (this.getAttr(`${obj}/enable`).trim() === '1') this.err('write', rel, 'EEXIST', 'already configured');
          this.setAttrs(this.configure(obj, node.plugin, rel));
          return;
        }
        if (file === 'control') {
          const ctl = this.control(obj);
          for (const kv of value.split(',')) {
            const i = kv.indexOf('=');
            const key = kv.slice(0, i).trim();
            if (i < 1 || !CONTROL_KEYS[node.plugin]?.has(key)) bad(`unknown control key ${key || kv}`);
            ctl.set(key, kv.slice(i + 1));
          }
          stored = [...ctl].map(([k, v]) => `${k}=${v}\n`).join('');
          break;
        }
        if (file === wwnEntry('vpd_unit_serial')) {
          if (exported()) this.err('write', rel, 'EINVAL', 'cannot set VPD unit serial while exported');
          if (value.length > 254) bad('serial too long');
          stored = `T10 VPD Unit Serial Number: ${value}\n`;
          break;
        }
        if (file === wwnEntry('product_id') || file === wwnEntry('vendor_id') || file === wwnEntry('revision')) {
          if (exported()) this.err('write', rel, 'EINVAL', `cannot set ${file} while exported`);
          const max = file === wwnEntry('product_id') ? 16 : file === wwnEntry('vendor_id') ? 8 : 4;
          if (value.length > max) bad(`longer than ${max} characters`);
          break;
        }
        if (file === prEntry('res_aptpl_metadata')) {
          // target_pr_res_aptpl_metadata_store: only before the device is exported; needs the initiator and key.
          if (exported()) this.err('write', rel, 'EINVAL', 'APTPL metadata while exported');
          if (!/(^|,)initiator_node=[^,]+/.test(value) || !/(^|,)sa_res_key=\d+/.test(value)) bad('initiator_node and sa_res_key needed');
          fs.appendFileSync(this.abs(prFile(obj, REGISTRATIONS_LOG)), `${value}\n`);
          return;
        }
        if (file === attribEntry('emulate_model_alias')) {
          // target_core_configfs.c emulate_model_alias_store: the model follows the flag at once.
          if (exported()) this.err('write', rel, 'EINVAL', 'cannot change model alias while exported');
          int(0, 1);
          this.setAttr(wwnFile(obj, 'product_id'), `${value === '1' ? node.name.slice(0, 16) : INQUIRY_PROD[node.plugin] ?? ''}\n`);
        }
        if (file.startsWith(ATTRIB)) {
          int();
          if (file === attribEntry('block_size')) {
            if (!BLOCK_SIZES.has(value)) bad('block size must be 512, 1024, 2048 or 4096');
            if (exported()) this.err('write', rel, 'EINVAL', 'cannot change block_size while exported');
          }
          if (/^(emulate_|enforce_|is_nonrot|force_pr_aptpl|pi_prot_verify|unmap_zeroes_data)/.test(file.slice(ATTRIB.length))) int(0, 1);
          // target_core_configfs.c: limits of the backing device (optimal_sectors_store, queue_depth_store, emulate_tpu_store).
          const attr = (name: string) => Number(this.getAttr(`${obj}/${attribEntry(name)}`).trim());
          if (file === attribEntry('optimal_sectors') && Number(value) > attr('hw_max_sectors')) bad('optimal_sectors exceeds hw_max_sectors');
          if (file === attribEntry('queue_depth') && Number(value) > attr('hw_queue_depth')) bad('queue_depth exceeds the device maximum TCQ');
          if ((file === attribEntry('emulate_tpu') || file === attribEntry('emulate_tpws')) && value === '1' && !attr('max_unmap_block_desc_count')) {
            this.err('write', rel, 'ENOSYS', 'Generic Block Discard not supported');
          }
          // emulate_dpo/emulate_fua_read: always emulated, read 1; a 0 is accepted and dropped (6.1, 6.12).
          if (file === attribEntry('emulate_dpo') || file === attribEntry('emulate_fua_read')) { int(0, 1); stored = '1\n'; }
          // emulate_write_cache_store: a backend that reports the device's own cache (iblock) refuses 1.
          if (file === attribEntry('emulate_write_cache') && node.plugin === 'iblock' && value === '1') bad('emulate_write_cache not supported for this device');
        }
        break;
      }
      case 'tpg':
        if (file === 'enable') { if (value !== '0' && value !== '1') bad('0 or 1'); break; }
        if (file.startsWith(ATTRIB)) {
          int();
          if (TPG_BOOL_ATTRS.has(file.slice(ATTRIB.length))) int(0, 1);
          if (file === attribEntry('authentication')) derived = this.authMethodUpdate(obj, value === '1');
          break;
        }
        if (file.startsWith(PARAM)) { this.checkParam(file.slice(PARAM.length), value, rel); break; }
        if (file.startsWith(AUTH)) { if (value.length > 255) bad('too long'); derived = this.authTargetUpdate(obj, file, stored); }
        break;
      case 'acl':
        if (file === 'cmdsn_depth') { int(1, 512); break; }
        // core_tpg_set_initiator_node_tag: kept exactly as written, shown without a newline added.
        if (file === 'tag') { if (value.length > 255) bad('too long'); stored = value.startsWith('NULL') ? '' : value; break; }
        if (file.startsWith(ATTRIB)) { int(); break; }
        if (file.startsWith(AUTH)) { if (value.length > 255) bad('too long'); derived = this.authTargetUpdate(obj, file, stored); }
        break;
      case 'np': if (file === 'iser' || file === 'cxgbit') int(0, 1); break;
      case 'mlun': if (file === 'write_protect') int(0, 1); break;
      default: break;
    }
    this.setAttrs([[rel, stored], ...derived]);
  }

  /** Configured devices on the node (the kernel's target_devices). */
  private configuredDevices(): number {
    let n = 0;
    for (const hba of this.subdirs(CORE_DIR).filter((h) => HBA_RE.test(h) && h !== CORE_ALUA)) {
      for (const so of this.subdirs(`${CORE_DIR}/${hba}`)) if (this.getAttr(`${CORE_DIR}/${hba}/${so}/enable`).trim() === '1') n++;
    }
    return n;
  }

  /** target_core_item_dbroot_store: only while no device is configured, and only to an existing directory. */
  private setDbroot(value: string): void {
    if (this.configuredDevices() > 0) this.err('write', DBROOT_FILE, 'EINVAL', 'db_root: cannot be changed: target devices registered');
    if (value.length > 4095 || !value.startsWith('/')) this.err('write', DBROOT_FILE, 'EINVAL');
    if (!this.isHostDir(value)) this.err('write', DBROOT_FILE, 'EINVAL', `db_root: not a directory: ${value}`);
    this.setAttr(DBROOT_FILE, `${value}\n`);
  }
  /** A path of the emulated machine, resolved on the host with absolute links kept under the machine's root. */
  private hostPath(p: string): string {
    let out = this.hostRoot;
    for (const part of p.split('/').filter(Boolean)) {
      let next = join(out, part);
      for (let hops = 0; hops < 8; hops++) {
        let link: string;
        try { link = fs.readlinkSync(next); } catch { break; }
        next = link.startsWith('/') ? join(this.hostRoot, link) : join(dirname(next), link);
      }
      out = next;
    }
    return out;
  }
  private isHostDir(p: string): boolean {
    try { return fs.statSync(this.hostPath(p)).isDirectory(); } catch { return false; }
  }

  /**
   * Test hook standing in for an initiator's PERSISTENT RESERVE OUT on a device: LIO rewrites
   * <dbroot>/pr/aptpl_<serial> (following links) and fails the command with NOT READY when it
   * cannot. `registrations` are the metadata lines; none writes the "no registrations" text.
   */
  prOut(soRel: string, registrations: string[]): 'GOOD' | 'NOT READY' {
    const dbroot = this.getAttr(DBROOT_FILE).trim();
    const serial = this.getAttr(wwnFile(soRel, 'vpd_unit_serial')).replace(/^T10 VPD Unit Serial Number:\s*/, '').trim();
    const text = registrations.length
      ? registrations.map((r, i) => `PR_REG_START: ${i}\n${r.split(',').join('\n')}\nPR_REG_END: ${i}\n`).join('')
      : 'No Registrations or Reservations\n';
    try {
      fs.writeFileSync(this.hostPath(dbrootAptplFile(dbroot, serial)), text, { mode: 0o600 });
      return 'GOOD';
    } catch {
      return 'NOT READY';
    }
  }
  /** Test hook: the registrations restored through pr/res_aptpl_metadata since the device was created. */
  restoredRegistrations(soRel: string): string[] {
    try { return fs.readFileSync(this.abs(prFile(soRel, REGISTRATIONS_LOG)), 'utf8').split('\n').filter(Boolean); } catch { return []; }
  }

  private checkParam(key: string, value: string, rel: string): void {
    const bad = (d: string): never => this.err('write', rel, 'EINVAL', `${key}: ${d}`);
    // The kernel compares the whole value: "No " (rtslib's trailing blank) is not "No".
    if (YES_NO.has(key)) { if (value !== 'Yes' && value !== 'No') bad('Yes or No'); return; }
    const range = NUMERIC[key];
    if (range) { if (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) bad(`integer in ${range[0]}..${range[1]}`); return; }
    if (key === 'HeaderDigest' || key === 'DataDigest') { if (!value.split(',').every((v) => v === 'CRC32C' || v === 'None')) bad('CRC32C/None list'); return; }
    if (key === 'AuthMethod') { if (!value.split(',').every((v) => v === 'CHAP' || v === 'None')) bad('CHAP/None list'); return; }
    if (value !== value.trim()) bad('surrounding blanks');
  }

  /** authenticate_target follows the mutual credentials; `file` is about to become `value`. */
  private authTargetUpdate(obj: string, file: string, value: string): [string, string][] {
    const cur = (f: string) => (file === authEntry(f) ? value : this.getAttr(authFile(obj, f))).trim();
    const want = cur('userid_mutual') && cur('password_mutual') ? '1\n' : '0\n';
    return this.getAttr(authFile(obj, 'authenticate_target')) !== want ? [[authFile(obj, 'authenticate_target'), want]] : [];
  }

  /** The kernel's iscsit_ta_authentication(): authentication=1 drops None from AuthMethod, =0 adds it. */
  private authMethodUpdate(tpg: string, on: boolean): [string, string][] {
    const cur = this.getAttr(paramFile(tpg, 'AuthMethod')).replace(/\n$/, '');
    const next = authMethodAfter(cur, on);
    return next !== cur ? [[paramFile(tpg, 'AuthMethod'), `${next}\n`]] : [];
  }

  /** enable=1 on a storage object: the backend opens its device. */
  private configure(obj: string, plugin: string, rel: string): [string, string][] {
    const ctl = this.control(obj);
    const need = (k: string) => { if (!ctl.get(k)) this.err('write', rel, 'EINVAL', `control ${k}= not set`); return ctl.get(k)!; };
    const onHost = (dev: string) => fs.existsSync(join(this.hostRoot, dev));
    let info: string;
    if (plugin === 'iblock' || plugin === 'pscsi') {
      const dev = need('udev_path');
      if (!onHost(dev)) this.err('write', rel, 'ENOENT', `cannot open ${dev}`);
      info = `Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 2560\n        iBlock device: emulated  UDEV PATH: ${dev}  readonly: ${ctl.get('readonly') ?? '0'}\n`;
    } else if (plugin === 'fileio') {
      const dev = need('fd_dev_name');
      if (!onHost(dev) && !ctl.get('fd_dev_size')) this.err('write', rel, 'EINVAL', 'fd_dev_size needed for a new file');
      info = `Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 16384\n        TCM FILEIO ID: 0        File: ${dev}  Size: ${ctl.get('fd_dev_size') ?? 0}  Mode: ${ctl.get('fd_buffered_io') === '1' ? 'Buffered-WCE' : 'O_DSYNC'} Async: ${ctl.get('fd_async_io') ?? '0'}\n`;
    } else {
      need('rd_pages');
      info = `Status: ACTIVATED  Max Queue Depth: 0  SectorSize: 512  HwMaxSectors: 4294967288\n        TCM RamDisk ID: 0  RamDisk Makeup: rd_mcp\n        PAGES/PAGE_SIZE: ${ctl.get('rd_pages')}*4096  SG_table_count: 1  nullio: ${ctl.get('rd_nullio') ?? '0'} dummy: 0\n`;
    }
    // target_configure_device: vendor and model are (re)set from the backend.
    return [[`${obj}/enable`, '1\n'], [`${obj}/info`, info], [wwnFile(obj, 'product_id'), `${INQUIRY_PROD[plugin] ?? ''}\n`]];
  }

  async readdir(rel: string): Promise<string[]> {
    await this.fault('readdir', rel);
    try {
      return fs.readdirSync(this.abs(rel)).filter((n) => !n.startsWith('.lioha'));
    } catch (e) {
      this.err('readdir', rel, (e as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
  async readlink(rel: string): Promise<string> {
    await this.fault('readlink', rel);
    try {
      return linkTextToRel(fs.readlinkSync(this.abs(rel)));
    } catch (e) {
      this.err('readlink', rel, (e as NodeJS.ErrnoException).code ?? 'EIO');
    }
  }
  async exists(rel: string): Promise<boolean> {
    await this.fault('exists', rel);
    return this.lstat(rel) !== undefined;
  }
}

/** Faults and a kill point may be injected for out-of-process runs through the marker file: {"faults":[...],"kill":{...}} */
function readMarker(base: string): { faults: EmulatorFault[]; kill?: EmulatorKillPoint } {
  try {
    const text = fs.readFileSync(join(base, EMULATOR_MARKER), 'utf8').trim();
    if (!text) return { faults: [] };
    const parsed = JSON.parse(text) as { faults?: EmulatorFault[]; kill?: EmulatorKillPoint };
    const kill = parsed.kill && Number.isInteger(parsed.kill.op) && Number.isInteger(parsed.kill.step) ? parsed.kill : undefined;
    return { faults: Array.isArray(parsed.faults) ? parsed.faults : [], ...(kill ? { kill } : {}) };
  } catch {
    return { faults: [] };
  }
}

/**
 * Finishes what killed processes left: replays committed journals (their renames), then deletes
 * their staged files. Entries of live processes are left alone. This process's own entries are
 * orphans too: every operation stages, commits and cleans up synchronously, so one seen here was
 * cut short (EmulatorCrash).
 */
function recover(base: string): void {
  const dir = join(base, STAGING_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const dead = (name: string) => {
    const pid = Number(/^(?:journal-)?(\d+)-/.exec(name)?.[1]);
    if (!pid) return false;
    if (pid === process.pid) return true;
    try { process.kill(pid, 0); return false; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ESRCH'; }
  };
  for (const name of names.filter((n) => n.startsWith('journal-') && dead(n))) {
    const p = join(dir, name);
    try {
      for (const [from, to] of JSON.parse(fs.readFileSync(p, 'utf8')) as [string, string][]) {
        try { fs.renameSync(from, to); } catch { /* already moved, or its object is gone */ }
      }
    } catch { /* unreadable journal: never committed */ }
    fs.rmSync(p, { force: true });
  }
  for (const name of names.filter((n) => !n.startsWith('journal-') && dead(n))) fs.rmSync(join(dir, name), { recursive: true, force: true });
}

/** A file with exactly `mode` (not masked by the umask) holding `value`. */
function writeWithMode(path: string, value: string, mode: number): void {
  fs.writeFileSync(path, value, { mode });
  fs.chmodSync(path, mode);
}

/**
 * AuthMethod after writing attrib/authentication, as Linux 6.1 iscsit_ta_authentication() computes it:
 * enabling removes "None" from the list (a lone "None" stays), disabling appends ",None" when missing.
 */
export function authMethodAfter(current: string, authentication: boolean): string {
  const list = current.split(',');
  if (authentication) {
    const rest = list.filter((m) => m !== 'None');
    return rest.length ? rest.join(',') : current;
  }
  return list.includes('None') ? current : `${current},None`;
}
