/**
 * targetcli's saveconfig.json <-> the typed model. Pure: text/objects in, model out.
 * Strict: unknown fields and contradictions are refused with the JSON path that names them.
 */
import { Failure } from '../failure.js';
import { JsonCheck, isJsonObject, type Json, type JsonObject } from '../json-check.js';
import { isAttributeName, isObjectName } from '../names.js';
import {
  isIscsiName, parseStorageObjectRef, storageObjectRef,
  type Attributes, type BackstoreKind, type ChapAuth, type Lun, type MappedLun, type NetworkPortal, type NodeAcl,
  type StorageObject, type StorageObjectRef, type Target, type Tpg,
} from './model.js';

/** A configuration that is wrong (everywhere): a Failure of kind 'config' listing its problems. */
export class ConfigError extends Failure {
  constructor(public readonly problems: string[]) {
    super('config', problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''));
    this.name = 'ConfigError';
  }
}

/** A parsed saveconfig: every storage object and target it describes (not yet selected by ownership). */
export interface SaveConfig {
  storageObjects: Map<StorageObjectRef, StorageObject>;
  targets: Map<string, Target>;
  /** Where each target and storage object came from, for messages about contradictions. */
  origin: Map<string, string>;
}

type Obj = JsonObject;
const isObj = isJsonObject;

class Checker extends JsonCheck {
  obj(v: Json, path: string): Obj | undefined {
    if (isObj(v)) return v;
    this.bad(path, 'must be an object');
    return undefined;
  }
  arr(v: Json, path: string): Json[] {
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    this.bad(path, 'must be a list');
    return [];
  }
  str(v: Json, path: string, required = true): string | undefined {
    if (v === undefined || v === null) { if (required) this.bad(path, 'missing'); return undefined; }
    if (typeof v !== 'string') { this.bad(path, 'must be a string'); return undefined; }
    if (/[\n\r]/.test(v)) { this.bad(path, 'must be a single line'); return undefined; }
    return v;
  }
  int(v: Json, path: string, lo: number, hi: number, required = true): number | undefined {
    if (v === undefined || v === null) { if (required) this.bad(path, 'missing'); return undefined; }
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) { this.bad(path, `must be an integer in ${lo}..${hi}`); return undefined; }
    return n;
  }
  bool(v: Json, path: string, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    if (v === true || v === 1 || v === '1' || v === 'true') return true;
    if (v === false || v === 0 || v === '0' || v === 'false') return false;
    this.bad(path, 'must be a boolean');
    return dflt;
  }
  attrs(v: Json, path: string): Attributes {
    if (v === undefined || v === null) return {};
    const o = this.obj(v, path);
    const out: Record<string, string> = {};
    if (!o) return out;
    for (const [k, val] of Object.entries(o)) {
      if (!isAttributeName(k)) { this.bad(`${path}.${k}`, 'not an attribute name'); continue; }
      if (typeof val === 'number' && Number.isInteger(val)) out[k] = String(val);
      else if (typeof val === 'string' && !/[\n\r]/.test(val)) out[k] = val;
      else if (typeof val === 'boolean') out[k] = val ? '1' : '0';
      else this.bad(`${path}.${k}`, 'must be an integer or a single-line string');
    }
    return out;
  }
  auth(o: Obj, path: string, prefix = 'chap_'): ChapAuth {
    const a: ChapAuth = {
      userid: this.str(o[`${prefix}userid`], `${path}.${prefix}userid`, false) ?? '',
      password: this.str(o[`${prefix}password`], `${path}.${prefix}password`, false) ?? '',
      mutualUserid: this.str(o[`${prefix}mutual_userid`], `${path}.${prefix}mutual_userid`, false) ?? '',
      mutualPassword: this.str(o[`${prefix}mutual_password`], `${path}.${prefix}mutual_password`, false) ?? '',
    };
    if (a.mutualUserid && !a.userid) this.bad(`${path}.${prefix}mutual_userid`, 'mutual CHAP needs chap_userid too');
    for (const [k, v] of Object.entries(a)) if (v.length > 255) this.bad(`${path}.${prefix}${k}`, 'longer than 255 characters');
    return a;
  }
}

const SO_COMMON = ['name', 'plugin', 'wwn', 'attributes', 'alua_tpgs'];
const SO_FIELDS: Record<BackstoreKind, readonly string[]> = {
  block: [...SO_COMMON, 'dev', 'readonly', 'write_back'],
  fileio: [...SO_COMMON, 'dev', 'size', 'write_back', 'aio'],
  ramdisk: [...SO_COMMON, 'size', 'nullio'],
  pscsi: [...SO_COMMON, 'dev'],
};

function parseStorageObject(c: Checker, v: Json, path: string): StorageObject | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  const plugin = c.str(o.plugin, `${path}.plugin`);
  const name = c.str(o.name, `${path}.name`);
  if (!plugin || !name) return undefined;
  if (!(plugin in SO_FIELDS)) { c.bad(`${path}.plugin`, `unsupported backstore "${plugin}" (block, fileio, ramdisk, pscsi)`); return undefined; }
  const kind = plugin as BackstoreKind;
  if (!isObjectName(name)) c.bad(`${path}.name`, 'may only hold letters, digits and _ . : - (and is not . or ..)');
  c.fields(o, path, SO_FIELDS[kind]);
  for (const [i, g] of c.arr(o.alua_tpgs, `${path}.alua_tpgs`).entries()) {
    if (!isObj(g) || g.name !== 'default_tg_pt_gp') c.bad(`${path}.alua_tpgs[${i}]`, 'only the default ALUA group is supported');
  }
  const wwn = c.str(o.wwn, `${path}.wwn`, false);
  if (wwn !== undefined && (wwn.length === 0 || wwn.length > 254)) c.bad(`${path}.wwn`, 'must be 1..254 characters');
  const attributes = c.attrs(o.attributes, `${path}.attributes`);
  const common = { name, wwn, attributes };
  const writeBack = (dflt: boolean) => {
    const wb = c.bool(o.write_back, `${path}.write_back`, dflt);
    const cache = attributes.emulate_write_cache;
    if (o.write_back !== undefined && cache !== undefined && (cache === '1') !== wb) {
      c.bad(`${path}.write_back`, `contradicts attributes.emulate_write_cache=${cache}`);
    }
    return wb;
  };
  const dev = (kind === 'ramdisk') ? '' : c.str(o.dev, `${path}.dev`) ?? '';
  if (dev && !dev.startsWith('/')) c.bad(`${path}.dev`, 'must be an absolute path');
  if (kind === 'fileio' && /^\/dev\/dm-\d+$/.test(dev)) c.bad(`${path}.dev`, 'a /dev/dm-N name is not stable across nodes; use /dev/<vg>/<lv>');
  switch (kind) {
    case 'block':
      if (/^\/dev\/dm-\d+$/.test(dev)) c.bad(`${path}.dev`, 'a /dev/dm-N name is not stable across nodes; use /dev/<vg>/<lv>');
      return { kind, ...common, dev, readonly: c.bool(o.readonly, `${path}.readonly`, false), ...(o.write_back !== undefined ? { writeBack: writeBack(false) } : {}) };
    case 'fileio':
      return { kind, ...common, dev, size: c.int(o.size, `${path}.size`, 0, Number.MAX_SAFE_INTEGER) ?? 0, writeBack: writeBack(true), aio: c.bool(o.aio, `${path}.aio`, false) };
    case 'ramdisk': {
      const size = c.int(o.size, `${path}.size`, 4096, Number.MAX_SAFE_INTEGER) ?? 4096;
      if (size % 4096) c.bad(`${path}.size`, 'must be a multiple of 4096');
      return { kind, ...common, size, nullio: c.bool(o.nullio, `${path}.nullio`, false) };
    }
    case 'pscsi':
      return { kind, ...common, dev };
  }
}

function parseTpg(c: Checker, v: Json, path: string, sos: Map<StorageObjectRef, StorageObject>): Tpg | undefined {
  const o = c.obj(v, path);
  if (!o) return undefined;
  c.fields(o, path, ['tag', 'enable', 'attributes', 'parameters', 'luns', 'portals', 'node_acls', 'chap_userid', 'chap_password', 'chap_mutual_userid', 'chap_mutual_password']);
  const tag = c.int(o.tag, `${path}.tag`, 1, 65535) ?? 1;
  const luns: Lun[] = [];
  const lunIdx = new Set<number>();
  const lunSo = new Set<string>();
  for (const [i, lv] of c.arr(o.luns, `${path}.luns`).entries()) {
    const p = `${path}.luns[${i}]`;
    const lo = c.obj(lv, p);
    if (!lo) continue;
    c.fields(lo, p, ['index', 'storage_object', 'alias', 'alua_tg_pt_gp_name']);
    const index = c.int(lo.index, `${p}.index`, 0, 65535);
    const ref = c.str(lo.storage_object, `${p}.storage_object`);
    const alias = c.str(lo.alias, `${p}.alias`, false);
    if (alias !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(alias)) c.bad(`${p}.alias`, 'not a valid link name');
    if (lo.alua_tg_pt_gp_name !== undefined && lo.alua_tg_pt_gp_name !== 'default_tg_pt_gp') c.bad(`${p}.alua_tg_pt_gp_name`, 'only default_tg_pt_gp is supported');
    if (index === undefined || ref === undefined) continue;
    const parsed = parseStorageObjectRef(ref);
    if (!parsed || !isObjectName(parsed.name)) { c.bad(`${p}.storage_object`, `"${ref}" is not /backstores/<kind>/<name>`); continue; }
    const key = storageObjectRef(parsed.kind, parsed.name);
    if (!sos.has(key)) c.bad(`${p}.storage_object`, `${ref} is not in storage_objects`);
    if (lunIdx.has(index)) c.bad(`${p}.index`, `LUN ${index} defined twice`);
    if (lunSo.has(key)) c.bad(`${p}.storage_object`, `${ref} exported twice in one TPG`);
    lunIdx.add(index);
    lunSo.add(key);
    luns.push({ index, storageObject: key, ...(alias ? { alias } : {}) });
  }
  const portals: NetworkPortal[] = [];
  const seenNp = new Set<string>();
  for (const [i, pv] of c.arr(o.portals, `${path}.portals`).entries()) {
    const p = `${path}.portals[${i}]`;
    const po = c.obj(pv, p);
    if (!po) continue;
    c.fields(po, p, ['ip_address', 'port', 'iser', 'offload']);
    let ip = c.str(po.ip_address, `${p}.ip_address`);
    const port = c.int(po.port, `${p}.port`, 1, 65535);
    if (c.bool(po.offload, `${p}.offload`, false)) c.bad(`${p}.offload`, 'hardware offload (cxgbit) is not supported');
    if (ip === undefined || port === undefined) continue;
    ip = ip.replace(/^\[(.*)\]$/, '$1');
    if (!/^[0-9.]+$/.test(ip) && !/^[0-9a-fA-F:.]+$/.test(ip)) { c.bad(`${p}.ip_address`, `"${ip}" is not an IP address`); continue; }
    const key = `${ip}:${port}`;
    if (seenNp.has(key)) c.bad(p, `portal ${key} defined twice`);
    seenNp.add(key);
    portals.push({ ip, port, iser: c.bool(po.iser, `${p}.iser`, false) });
  }
  const acls: NodeAcl[] = [];
  const seenAcl = new Set<string>();
  for (const [i, av] of c.arr(o.node_acls, `${path}.node_acls`).entries()) {
    const p = `${path}.node_acls[${i}]`;
    const ao = c.obj(av, p);
    if (!ao) continue;
    c.fields(ao, p, ['node_wwn', 'mapped_luns', 'attributes', 'tcq_depth', 'chap_userid', 'chap_password', 'chap_mutual_userid', 'chap_mutual_password']);
    const nodeWwn = c.str(ao.node_wwn, `${p}.node_wwn`);
    if (nodeWwn === undefined) continue;
    if (!isIscsiName(nodeWwn)) c.bad(`${p}.node_wwn`, `"${nodeWwn}" is not an iSCSI name`);
    if (seenAcl.has(nodeWwn)) c.bad(p, `ACL ${nodeWwn} defined twice`);
    seenAcl.add(nodeWwn);
    const mapped: MappedLun[] = [];
    const seenMl = new Set<number>();
    for (const [j, mv] of c.arr(ao.mapped_luns, `${p}.mapped_luns`).entries()) {
      const mp = `${p}.mapped_luns[${j}]`;
      const mo = c.obj(mv, mp);
      if (!mo) continue;
      c.fields(mo, mp, ['index', 'tpg_lun', 'write_protect', 'alias']);
      const index = c.int(mo.index, `${mp}.index`, 0, 65535);
      const tpgLun = c.int(mo.tpg_lun, `${mp}.tpg_lun`, 0, 65535);
      const alias = c.str(mo.alias, `${mp}.alias`, false);
      if (alias !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(alias)) c.bad(`${mp}.alias`, 'not a valid link name');
      if (index === undefined || tpgLun === undefined) continue;
      if (!lunIdx.has(tpgLun)) c.bad(`${mp}.tpg_lun`, `TPG has no LUN ${tpgLun}`);
      if (seenMl.has(index)) c.bad(`${mp}.index`, `mapped LUN ${index} defined twice`);
      seenMl.add(index);
      mapped.push({ index, tpgLun, writeProtect: c.bool(mo.write_protect, `${mp}.write_protect`, false), ...(alias ? { alias } : {}) });
    }
    const cmdsn = c.int(ao.tcq_depth, `${p}.tcq_depth`, 1, 512, false);
    acls.push({ nodeWwn, mappedLuns: mapped, attributes: c.attrs(ao.attributes, `${p}.attributes`), auth: c.auth(ao, p), ...(cmdsn !== undefined ? { cmdsnDepth: cmdsn } : {}) });
  }
  return {
    tag,
    enable: c.bool(o.enable, `${path}.enable`, true),
    attributes: c.attrs(o.attributes, `${path}.attributes`),
    parameters: c.attrs(o.parameters, `${path}.parameters`),
    auth: c.auth(o, path),
    luns, portals, acls,
  };
}

/** Parses one saveconfig.json document (whole, or a group's part of it). */
export function parseSaveConfig(text: string, source = 'saveconfig.json'): SaveConfig {
  const c = new Checker(source);
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, which may be a CHAP password: keep only the position.
    const pos = /position (\d+)/.exec((e as Error).message);
    throw new ConfigError([`${source}: not valid JSON${pos ? ` (at character ${pos[1]})` : ''}`]);
  }
  const root = c.obj(doc, '$');
  const storageObjects = new Map<StorageObjectRef, StorageObject>();
  const targets = new Map<string, Target>();
  const origin = new Map<string, string>();
  if (root) {
    c.fields(root, '$', ['storage_objects', 'targets', 'fabric_modules']);
    // fabric_modules (discovery auth) is node-global, not owned by a target resource: accepted, not applied.
    c.arr(root.fabric_modules, '$.fabric_modules');
    for (const [i, v] of c.arr(root.storage_objects, '$.storage_objects').entries()) {
      const so = parseStorageObject(c, v, `$.storage_objects[${i}]`);
      if (!so) continue;
      const key = storageObjectRef(so.kind, so.name);
      if (storageObjects.has(key)) { c.bad(`$.storage_objects[${i}]`, `${key} defined twice`); continue; }
      const dev = 'dev' in so ? so.dev : '';
      for (const other of storageObjects.values()) {
        if (dev && 'dev' in other && other.dev === dev) c.bad(`$.storage_objects[${i}].dev`, `${dev} is also used by /backstores/${other.kind}/${other.name}`);
      }
      storageObjects.set(key, so);
      origin.set(key, source);
    }
    for (const [i, v] of c.arr(root.targets, '$.targets').entries()) {
      const p = `$.targets[${i}]`;
      const o = c.obj(v, p);
      if (!o) continue;
      c.fields(o, p, ['wwn', 'fabric', 'parameters', 'tpgs']);
      const wwn = c.str(o.wwn, `${p}.wwn`);
      const fabric = c.str(o.fabric, `${p}.fabric`);
      if (fabric !== undefined && fabric !== 'iscsi') { c.bad(`${p}.fabric`, `fabric "${fabric}" is not managed (only iscsi)`); continue; }
      if (wwn === undefined) continue;
      if (!isIscsiName(wwn)) c.bad(`${p}.wwn`, `"${wwn}" is not an iSCSI name`);
      if (targets.has(wwn)) { c.bad(p, `target ${wwn} defined twice`); continue; }
      const tpgs: Tpg[] = [];
      for (const [j, tv] of c.arr(o.tpgs, `${p}.tpgs`).entries()) {
        const tpg = parseTpg(c, tv, `${p}.tpgs[${j}]`, storageObjects);
        if (!tpg) continue;
        if (tpgs.some((t) => t.tag === tpg.tag)) c.bad(`${p}.tpgs[${j}].tag`, `TPG ${tpg.tag} defined twice`);
        tpgs.push(tpg);
      }
      const parameters = o.parameters === undefined ? undefined : c.attrs(o.parameters, `${p}.parameters`);
      targets.set(wwn, { wwn, tpgs, ...(parameters && Object.keys(parameters).length ? { parameters } : {}) });
      origin.set(wwn, source);
    }
  }
  if (c.problems.length) throw new ConfigError(c.problems);
  return { storageObjects, targets, origin };
}

/**
 * Merges the files of a per-group configuration. A storage object may appear in several
 * files if identical; a target only once.
 */
export function mergeSaveConfigs(parts: SaveConfig[]): SaveConfig {
  const out: SaveConfig = { storageObjects: new Map(), targets: new Map(), origin: new Map() };
  const problems: string[] = [];
  for (const part of parts) {
    for (const [key, so] of part.storageObjects) {
      const prev = out.storageObjects.get(key);
      if (prev && JSON.stringify(prev) !== JSON.stringify(so)) {
        problems.push(`${key} differs between ${out.origin.get(key)} and ${part.origin.get(key)}`);
        continue;
      }
      out.storageObjects.set(key, so);
      if (!prev) out.origin.set(key, part.origin.get(key)!);
    }
    for (const [wwn, t] of part.targets) {
      if (out.targets.has(wwn)) { problems.push(`target ${wwn} defined in both ${out.origin.get(wwn)} and ${part.origin.get(wwn)}`); continue; }
      out.targets.set(wwn, t);
      out.origin.set(wwn, part.origin.get(wwn)!);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** Whether any CHAP password is present (the file holding it must then be private). */
export function hasSecrets(cfg: SaveConfig): boolean {
  const any = (a: ChapAuth) => Boolean(a.password || a.mutualPassword);
  for (const t of cfg.targets.values()) for (const tpg of t.tpgs) if (any(tpg.auth) || tpg.acls.some((a) => any(a.auth))) return true;
  return false;
}

// ---- dump (live model -> saveconfig.json) --------------------------------------------

function intOrString(v: string): number | string {
  return /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
}
function dumpAttrs(a: Attributes): Record<string, number | string> {
  return Object.fromEntries(Object.keys(a).sort().map((k) => [k, intOrString(a[k]!)]));
}
function dumpAuth(a: ChapAuth): Record<string, string> {
  return { chap_userid: a.userid, chap_password: a.password, chap_mutual_userid: a.mutualUserid, chap_mutual_password: a.mutualPassword };
}

export function dumpStorageObject(so: StorageObject): Record<string, Json> {
  const base: Record<string, Json> = { name: so.name, plugin: so.kind, alua_tpgs: [], attributes: dumpAttrs(so.attributes) };
  if (so.wwn) base.wwn = so.wwn;
  switch (so.kind) {
    case 'block': return { ...base, dev: so.dev, readonly: so.readonly, write_back: so.attributes.emulate_write_cache === '1' };
    case 'fileio': return { ...base, dev: so.dev, size: so.size, write_back: so.writeBack, aio: so.aio };
    case 'ramdisk': return { ...base, size: so.size, nullio: so.nullio };
    case 'pscsi': return { ...base, dev: so.dev };
  }
}

export function dumpTarget(t: Target): Record<string, Json> {
  return {
    wwn: t.wwn,
    fabric: 'iscsi',
    ...(t.parameters && Object.keys(t.parameters).length
      ? { parameters: Object.fromEntries(Object.keys(t.parameters).sort().map((k) => [k, t.parameters![k]!])) }
      : {}),
    tpgs: t.tpgs.map((tpg) => ({
      tag: tpg.tag,
      enable: tpg.enable,
      attributes: dumpAttrs(tpg.attributes),
      parameters: Object.fromEntries(Object.keys(tpg.parameters).sort().map((k) => [k, tpg.parameters[k]!])),
      ...dumpAuth(tpg.auth),
      luns: tpg.luns.map((l) => ({ index: l.index, storage_object: l.storageObject, alias: l.alias, alua_tg_pt_gp_name: 'default_tg_pt_gp' })),
      portals: tpg.portals.map((p) => ({ ip_address: p.ip, port: p.port, iser: p.iser, offload: false })),
      node_acls: tpg.acls.map((a) => ({
        node_wwn: a.nodeWwn,
        attributes: dumpAttrs(a.attributes),
        ...(a.cmdsnDepth !== undefined ? { tcq_depth: a.cmdsnDepth } : {}),
        ...dumpAuth(a.auth),
        mapped_luns: a.mappedLuns.map((m) => ({ index: m.index, tpg_lun: m.tpgLun, write_protect: m.writeProtect, alias: m.alias })),
      })),
    })),
  };
}

export function dumpSaveConfig(storageObjects: Iterable<StorageObject>, targets: Iterable<Target>): string {
  const doc = {
    fabric_modules: [],
    storage_objects: [...storageObjects].map(dumpStorageObject),
    targets: [...targets].map(dumpTarget),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
