/**
 * Plans configfs operations. Pure: desired + live state in, an ordered list of operations out.
 *
 * Creation follows the order the kernel requires (and rtslib's restore uses): storage objects
 * (mkdir, control, udev_path, enable, serial, attributes), target, TPG, TPG attributes and
 * parameters and auth, LUNs, portals, ACLs with auth and mapped LUNs, and `enable` last.
 * Removal is the reverse: TPGs disabled first so sessions drop, then mapped LUNs and ACLs,
 * LUNs, portals, TPGs, targets, and only then the storage objects no other target uses.
 */
import { sha1Hex } from '../text/digest.js';
import { DEVICE_DECIDED } from './attribute-decider.js';
import { FRESH_ACL_ATTRIB, FRESH_ACL_CMDSN_DEPTH, FRESH_AUTH, FRESH_TPG_ATTRIB, FRESH_TPG_PARAM } from './defaults.js';
import {
  ALUA_DEFAULT_GROUP, ALUA_RW_PARAMS, HBA_PLUGIN, portalDirName,
  type Attributes, type ChapAuth, type DesiredState, type LiveState, type LiveStorageObject, type NodeAcl,
  type StorageObject, type StorageObjectRef, type Target, type Tpg,
} from './model.js';

export type PlanOp =
  | { op: 'mkdir'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'write'; path: string; value: string; optional?: true }
  /** Read, then write only if different: for attributes of objects created by this plan. */
  | { op: 'ensure'; path: string; value: string; optional?: true };
/**
 * `optional`: an attribute or parameter named by the configuration. When the running kernel
 * has no such file (ENOENT), applying skips it and reports it (what `targetctl restore` does);
 * a value the kernel rejects still fails.
 */

export class PlanError extends Error {
  constructor(message: string) { super(message); this.name = 'PlanError'; }
}

/** Link names are free-form; derive them from the position so every node makes the same ones. */
export function linkAlias(...parts: (string | number)[]): string {
  return sha1Hex(parts.join('/')).slice(0, 10);
}

import {
  aclDir, aclTagFile, aluaGroupDir, aptplMetadataFile, attribDir, authFile, hbaDir, lunDir, mappedLunDir, npDir, npIserFile, paramDir, paramFile,
  storageObjectDir, targetDir, targetParamDir, tpgDir, tpgEnableFile, wwnFile,
} from './layout.js';

class Planner {
  readonly ops: PlanOp[] = [];
  private readonly usedHbaIndexes: Set<number>;
  /** Where each desired storage object lives (or will live) after the plan. */
  readonly soDir = new Map<StorageObjectRef, string>();

  constructor(private readonly live: LiveState, private readonly aptpl: ReadonlyMap<StorageObjectRef, readonly string[]> = new Map()) {
    this.usedHbaIndexes = new Set(live.hbas.map((h) => Number(/_(\d+)$/.exec(h)?.[1] ?? -1)));
  }
  push(op: PlanOp): void { this.ops.push(op); }

  /**
   * Configured attributes (`keys`, all of `want` by default). `fresh`: the object is created by this
   * plan, so current values are the kernel's defaults: known ones (`defaults`, see defaults.ts) need no
   * read, others are read first ('ensure'). On a live object, one the kernel does not show
   * (have[k] undefined) is left alone; every write is optional (an attribute this kernel lacks is skipped).
   */
  attrs(
    dir: string,
    want: Attributes,
    have: Attributes | undefined,
    fresh: boolean,
    o: { defaults?: Readonly<Record<string, string>>; keys?: readonly string[] } = {},
  ): void {
    for (const k of o.keys ?? Object.keys(want)) {
      const v = want[k];
      if (v === undefined) continue;
      const path = `${dir}/${k}`;
      if (fresh) {
        const d = o.defaults?.[k];
        if (d === undefined) this.push({ op: 'ensure', path, value: v, optional: true });
        else if (d !== v) this.push({ op: 'write', path, value: v, optional: true });
      } else if (have?.[k] !== undefined && have[k] !== v) this.push({ op: 'write', path, value: v, optional: true });
    }
  }
  alua(dir: string, want: Attributes | undefined, have: Attributes | undefined, fresh: boolean): void {
    if (want) this.attrs(aluaGroupDir(dir, ALUA_DEFAULT_GROUP), want, have, fresh, { keys: ALUA_RW_PARAMS });
  }
  /** A fresh TPG or ACL has empty credentials (FRESH_AUTH): only the set ones are written. */
  auth(dir: string, want: ChapAuth, have: ChapAuth | undefined, fresh: boolean): void {
    const pairs: [string, string, string | undefined][] = [
      ['userid', want.userid, have?.userid], ['password', want.password, have?.password],
      ['userid_mutual', want.mutualUserid, have?.mutualUserid], ['password_mutual', want.mutualPassword, have?.mutualPassword],
    ];
    for (const [file, v, h] of pairs) {
      if (fresh) { if (v !== FRESH_AUTH) this.push({ op: 'write', path: authFile(dir, file), value: v }); }
      else if (h !== v) this.push({ op: 'write', path: authFile(dir, file), value: v });
    }
  }

  freeHba(hba: string): void {
    this.usedHbaIndexes.delete(Number(/_(\d+)$/.exec(hba)?.[1] ?? -1));
  }
  allocHba(plugin: string): string {
    let n = 0;
    while (this.usedHbaIndexes.has(n)) n++;
    this.usedHbaIndexes.add(n);
    return `${plugin}_${n}`;
  }

  createStorageObject(ref: StorageObjectRef, so: StorageObject): void {
    const hba = this.allocHba(HBA_PLUGIN[so.kind]);
    const dir = storageObjectDir(hba, so.name);
    this.push({ op: 'mkdir', path: hbaDir(hba) });
    this.push({ op: 'mkdir', path: dir });
    let control: string;
    switch (so.kind) {
      case 'block': control = `udev_path=${so.dev}${so.readonly ? ',readonly=1' : ''}`; break;
      case 'fileio': control = `fd_dev_name=${so.dev},fd_dev_size=${so.size}${so.writeBack ? ',fd_buffered_io=1' : ''}${so.aio ? ',fd_async_io=1' : ''}`; break;
      case 'ramdisk': control = `rd_pages=${so.size / 4096}${so.nullio ? ',rd_nullio=1' : ''}`; break;
      case 'pscsi': control = `udev_path=${so.dev}`; break;
    }
    this.push({ op: 'write', path: `${dir}/control`, value: control });
    // The udev_path attribute too: with only the control key, saveconfig records "dev": "" (VM lab finding).
    if (so.kind !== 'ramdisk') this.push({ op: 'write', path: `${dir}/udev_path`, value: so.dev });
    this.push({ op: 'write', path: `${dir}/enable`, value: '1' });
    // The product id is left to the kernel: emulate_model_alias (an attribute) decides it, as under targetctl restore.
    if (so.kind !== 'pscsi' && so.wwn) this.push({ op: 'write', path: wwnFile(dir, 'vpd_unit_serial'), value: so.wwn });
    const attributes = { ...so.attributes };
    if (so.kind === 'block' && so.writeBack !== undefined && attributes.emulate_write_cache === undefined) attributes.emulate_write_cache = so.writeBack ? '1' : '0';
    this.attrs(attribDir(dir), attributes, undefined, true);
    this.alua(dir, so.alua, undefined, true);
    // Persistent reservations saved by LIO (APTPL), restored before the object is exported.
    for (const reg of this.aptpl.get(ref) ?? []) this.push({ op: 'write', path: aptplMetadataFile(dir), value: reg });
    this.soDir.set(ref, dir);
  }

  removeStorageObject(have: LiveStorageObject, lastInHba: boolean): void {
    this.push({ op: 'rmdir', path: have.dir });
    if (lastInHba) this.push({ op: 'rmdir', path: hbaDir(have.hba) });
  }

  removeMappedLun(dir: string, alias: string | undefined): void {
    if (alias) this.push({ op: 'unlink', path: `${dir}/${alias}` });
    this.push({ op: 'rmdir', path: dir });
  }
  removeLun(iqn: string, tpg: Tpg, index: number): void {
    for (const acl of tpg.acls) {
      for (const m of acl.mappedLuns.filter((x) => x.tpgLun === index)) this.removeMappedLun(mappedLunDir(aclDir(iqn, tpg.tag, acl.nodeWwn), m.index), m.alias);
      acl.mappedLuns = acl.mappedLuns.filter((x) => x.tpgLun !== index);
    }
    const lun = tpg.luns.find((l) => l.index === index);
    if (lun?.alias) this.push({ op: 'unlink', path: `${lunDir(iqn, tpg.tag, index)}/${lun.alias}` });
    this.push({ op: 'rmdir', path: lunDir(iqn, tpg.tag, index) });
    tpg.luns = tpg.luns.filter((l) => l.index !== index);
  }
  removeAcl(iqn: string, tag: number, acl: NodeAcl): void {
    const dir = aclDir(iqn, tag, acl.nodeWwn);
    for (const m of acl.mappedLuns) this.removeMappedLun(mappedLunDir(dir, m.index), m.alias);
    this.push({ op: 'rmdir', path: dir });
  }
  /** Everything below the TPG, then the TPG; the caller disabled it first. */
  removeTpg(iqn: string, tpg: Tpg): void {
    for (const acl of tpg.acls) this.removeAcl(iqn, tpg.tag, acl);
    tpg.acls = [];
    for (const l of [...tpg.luns]) this.removeLun(iqn, tpg, l.index);
    for (const p of tpg.portals) this.push({ op: 'rmdir', path: npDir(iqn, tpg.tag, p) });
    this.push({ op: 'rmdir', path: tpgDir(iqn, tpg.tag) });
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Operations that bring the owned targets to the desired state. Needs a full live read of the
 * owned targets (readLive(..., 'full', desired)). Throws PlanError when the desired state can
 * only be reached by touching another resource's objects.
 */
export function planReconcile(desired: DesiredState, liveIn: LiveState, opts: { aptpl?: ReadonlyMap<StorageObjectRef, readonly string[]> } = {}): PlanOp[] {
  const live = clone(liveIn);
  const p = new Planner(live, opts.aptpl);
  const owned = new Set(desired.targets.keys());

  // Storage objects whose identity is wrong must be recreated, which needs their LUNs gone first.
  const recreate = new Set<StorageObjectRef>();
  for (const [ref, so] of desired.storageObjects) {
    const have = live.storageObjects.get(ref);
    if (!have) continue;
    const exported = (live.users.get(ref)?.size ?? 0) > 0;
    const foreign = [...(live.users.get(ref) ?? [])].filter((u) => !owned.has(u));
    const devWrong = so.kind !== 'ramdisk' && have.dev !== so.dev;
    const idWrong = so.kind !== 'pscsi' && exported && so.wwn && have.wwn !== so.wwn;
    if (!have.enabled || devWrong || idWrong) {
      if (foreign.length) throw new PlanError(`storage object ${ref} is also used by target ${foreign[0]} and differs from the configuration (device or serial); refusing to touch it`);
      recreate.add(ref);
    }
  }
  for (const ref of recreate) {
    for (const [iqn, t] of live.targets) {
      for (const tpg of t.tpgs) for (const l of [...tpg.luns]) if (l.storageObject === ref) p.removeLun(iqn, tpg, l.index);
    }
  }
  for (const [ref, so] of desired.storageObjects) {
    const have = live.storageObjects.get(ref);
    if (!have || recreate.has(ref)) {
      if (have) {
        const others = [...live.storageObjects.values()].filter((o) => o.hba === have.hba && o.name !== have.name);
        p.removeStorageObject(have, others.length === 0);
        if (others.length === 0) p.freeHba(have.hba);
      }
      p.createStorageObject(ref, so);
      continue;
    }
    p.soDir.set(ref, have.dir);
    if (so.kind !== 'pscsi' && so.wwn && have.wwn !== so.wwn) p.push({ op: 'write', path: wwnFile(have.dir, 'vpd_unit_serial'), value: so.wwn });
    // Device-bound limits are set when the object is created and not repaired after (attribute-decider.ts).
    p.attrs(attribDir(have.dir), so.attributes, have.attributes, false, { keys: Object.keys(so.attributes).filter((k) => !DEVICE_DECIDED.has(k)) });
    p.alua(have.dir, so.alua, have.alua, false);
  }

  for (const [iqn, want] of desired.targets) {
    const have = live.targets.get(iqn);
    if (!have) p.push({ op: 'mkdir', path: targetDir(iqn) });
    if (want.parameters) p.attrs(targetParamDir(iqn), want.parameters, have?.parameters, !have);
    for (const ht of have?.tpgs ?? []) {
      if (want.tpgs.some((t) => t.tag === ht.tag)) continue;
      if (ht.enable) p.push({ op: 'write', path: tpgEnableFile(iqn, ht.tag), value: '0' });
      p.removeTpg(iqn, ht);
    }
    for (const wt of want.tpgs) planTpg(p, iqn, wt, have?.tpgs.find((t) => t.tag === wt.tag));
  }
  return p.ops;
}

function planTpg(p: Planner, iqn: string, want: Tpg, have: Tpg | undefined): void {
  const dir = tpgDir(iqn, want.tag);
  const fresh = !have;
  if (fresh) p.push({ op: 'mkdir', path: dir });
  p.attrs(attribDir(dir), want.attributes, have?.attributes, fresh, { defaults: FRESH_TPG_ATTRIB });
  // Writing attrib/authentication makes the kernel rewrite AuthMethod (adds or drops None), so an
  // AuthMethod that was right before that write is checked again after it; on a fresh TPG, its
  // default is then no longer known.
  const authWritten = want.attributes.authentication !== undefined && want.attributes.authentication !== FRESH_TPG_ATTRIB.authentication;
  const { AuthMethod: _am, ...paramDefaultsAfterAuth } = FRESH_TPG_PARAM;
  p.attrs(paramDir(dir), want.parameters, have?.parameters, fresh, { defaults: fresh && authWritten ? paramDefaultsAfterAuth : FRESH_TPG_PARAM });
  const authMethod = want.parameters.AuthMethod;
  if (have && authMethod !== undefined && want.attributes.authentication !== undefined
    && have.attributes.authentication !== want.attributes.authentication && have.parameters.AuthMethod === authMethod) {
    p.push({ op: 'ensure', path: paramFile(dir, 'AuthMethod'), value: authMethod });
  }
  p.auth(dir, want.auth, have?.auth, fresh);

  // LUNs: drop the unconfigured or wrongly backed ones (with the mapped LUNs that use them), add the missing.
  if (have) {
    for (const hl of [...have.luns]) {
      const wl = want.luns.find((l) => l.index === hl.index);
      if (!wl || wl.storageObject !== hl.storageObject || !hl.alias) p.removeLun(iqn, have, hl.index);
    }
  }
  for (const wl of want.luns) {
    if (have?.luns.some((l) => l.index === wl.index)) continue;
    const ldir = lunDir(iqn, want.tag, wl.index);
    p.push({ op: 'mkdir', path: ldir });
    p.push({ op: 'symlink', target: p.soDir.get(wl.storageObject!)!, path: `${ldir}/${wl.alias ?? linkAlias(iqn, want.tag, 'lun', wl.index)}` });
  }

  for (const hp of have?.portals ?? []) {
    if (!want.portals.some((x) => x.ip === hp.ip && x.port === hp.port)) p.push({ op: 'rmdir', path: npDir(iqn, want.tag, hp) });
  }
  for (const wp of want.portals) {
    const hp = have?.portals.find((x) => x.ip === wp.ip && x.port === wp.port);
    const np = npDir(iqn, want.tag, wp);
    if (!hp) {
      p.push({ op: 'mkdir', path: np });
      if (wp.iser) p.push({ op: 'write', path: npIserFile(np), value: '1' });
    } else if (hp.iser !== wp.iser) p.push({ op: 'write', path: npIserFile(np), value: wp.iser ? '1' : '0' });
  }

  for (const ha of have?.acls ?? []) if (!want.acls.some((a) => a.nodeWwn === ha.nodeWwn)) p.removeAcl(iqn, want.tag, ha);
  for (const wa of want.acls) {
    const ha = have?.acls.find((a) => a.nodeWwn === wa.nodeWwn);
    const adir = aclDir(iqn, want.tag, wa.nodeWwn);
    const afresh = !ha;
    if (afresh) p.push({ op: 'mkdir', path: adir });
    p.attrs(attribDir(adir), wa.attributes, ha?.attributes, afresh, { defaults: FRESH_ACL_ATTRIB });
    if (wa.cmdsnDepth !== undefined) {
      if (afresh) { if (String(wa.cmdsnDepth) !== FRESH_ACL_CMDSN_DEPTH) p.push({ op: 'write', path: `${adir}/cmdsn_depth`, value: String(wa.cmdsnDepth) }); }
      else if (ha.cmdsnDepth !== wa.cmdsnDepth) p.push({ op: 'write', path: `${adir}/cmdsn_depth`, value: String(wa.cmdsnDepth) });
    }
    p.auth(adir, wa.auth, ha?.auth, afresh);
    if (afresh) { if (wa.tag) p.push({ op: 'ensure', path: aclTagFile(adir), value: wa.tag }); }
    else if ((ha.tag ?? '') !== (wa.tag ?? '')) p.push({ op: 'write', path: aclTagFile(adir), value: wa.tag ?? 'NULL' });
    for (const hm of ha?.mappedLuns ?? []) {
      const wm = wa.mappedLuns.find((m) => m.index === hm.index);
      if (!wm || wm.tpgLun !== hm.tpgLun || !hm.alias) {
        p.removeMappedLun(mappedLunDir(adir, hm.index), hm.alias);
        ha!.mappedLuns = ha!.mappedLuns.filter((m) => m !== hm);
      }
    }
    for (const wm of wa.mappedLuns) {
      const hm = ha?.mappedLuns.find((m) => m.index === wm.index);
      const mdir = mappedLunDir(adir, wm.index);
      if (!hm) {
        p.push({ op: 'mkdir', path: mdir });
        p.push({ op: 'symlink', target: lunDir(iqn, want.tag, wm.tpgLun), path: `${mdir}/${wm.alias ?? linkAlias(iqn, want.tag, wa.nodeWwn, wm.index)}` });
        if (wm.writeProtect) p.push({ op: 'write', path: `${mdir}/write_protect`, value: '1' });
      } else if (hm.writeProtect !== wm.writeProtect) {
        p.push({ op: 'write', path: `${mdir}/write_protect`, value: wm.writeProtect ? '1' : '0' });
      }
    }
  }
  // Last: initiators can log in only once everything above is in place.
  if (!have?.enable) p.push({ op: 'write', path: `${dir}/enable`, value: '1' });
}

/** The storage objects a stop may remove: the configured ones (when known) and those the owned live targets link. */
export function teardownCandidates(live: LiveState, configured: Iterable<StorageObjectRef> = []): Set<StorageObjectRef> {
  const candidates = new Set<StorageObjectRef>(configured);
  for (const t of live.targets.values()) for (const tpg of t.tpgs) for (const l of tpg.luns) if (l.storageObject) candidates.add(l.storageObject);
  return candidates;
}

/**
 * Operations that remove the owned targets and the storage objects only they used.
 * `candidates`: storage objects that may be removed (configured ones and those linked by the
 * owned targets); any still used by another target stays.
 */
export function planTeardown(iqns: readonly string[], liveIn: LiveState, candidates: ReadonlySet<StorageObjectRef>): PlanOp[] {
  const live = clone(liveIn);
  const p = new Planner(live);
  const owned = new Set(iqns);
  const present: Target[] = iqns.map((i) => live.targets.get(i)).filter((t): t is Target => t !== undefined);
  // Disable every TPG first, so initiators are logged out before anything disappears.
  for (const t of present) for (const tpg of t.tpgs) if (tpg.enable) p.push({ op: 'write', path: `${tpgDir(t.wwn, tpg.tag)}/enable`, value: '0' });
  for (const t of present) {
    for (const tpg of t.tpgs) p.removeTpg(t.wwn, tpg);
    p.push({ op: 'rmdir', path: targetDir(t.wwn) });
  }
  const removed = new Set<string>();
  for (const ref of candidates) {
    const have = live.storageObjects.get(ref);
    if (!have) continue;
    const users = [...(live.users.get(ref) ?? [])].filter((u) => !owned.has(u));
    if (users.length) continue;
    removed.add(have.dir);
    const others = [...live.storageObjects.values()].filter((o) => o.hba === have.hba && !removed.has(o.dir));
    p.removeStorageObject(have, others.length === 0);
  }
  // An HBA without a storage object holds nothing and belongs to no one: a start killed between
  // `mkdir core/<hba>` and the storage object's mkdir leaves one. Stop runs under the node lock,
  // so no lioha start is between those two mkdirs now.
  for (const hba of live.emptyHbas ?? []) p.push({ op: 'rmdir', path: hbaDir(hba) });
  // Writes (the disables), then every link, then every directory, each in planned order. Still
  // children before parents (a link is never what a later unlink needs gone), and on a real
  // kernel the removal is two coreutils calls per 64 paths instead of one per mapped LUN
  // (child-apply.ts batches consecutive operations of one kind).
  const rank = (o: PlanOp) => (o.op === 'write' ? 0 : o.op === 'unlink' ? 1 : 2);
  return p.ops.map((o, i) => [o, i] as const).sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j).map(([o]) => o);
}
