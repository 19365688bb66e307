/**
 * targetcli's saveconfig.json <-> the typed model. Pure: text/objects in, model out.
 *
 * Lenient about what a resource does not own, strict about what it does: every storage
 * object and target is parsed on its own, and its problems are kept with it. The whole
 * file is refused only when it is not a saveconfig at all; an object's problems count only
 * when a resource selects it (desired.ts). Objects lioha cannot manage (other fabrics such
 * as loopback or tcm_fc, tcmu `user:*` backstores) are recorded as foreign, and refused only
 * when an owned target uses them. Accepts the schema rtslib-fb 2.1.x-2.2.x writes.
 */
import { Failure } from '../failure.js';
import { JsonCheck, isJsonObject, type Json, type JsonObject } from '../json-check.js';
import { isAttributeName, isObjectName } from '../names.js';
import { tryParseIp } from '../net/ip.js';
import {
  isIscsiName, parseStorageObjectRef, storageObjectRef, ALUA_DEFAULT_GROUP, ALUA_DEFAULTS, ALUA_RW_PARAMS,
  type Attributes, type BackstoreKind, type ChapAuth, type Lun, type MappedLun, type NetworkPortal, type NodeAcl,
  type StorageObject, type StorageObjectRef, type Target, type Tpg,
} from './model.js';

/**
 * How fundamental a problem is: 0 an object lioha cannot manage or a missing object,
 * 1 a malformed object, 2 a wrong value, 3 a detail (ALUA). Exit reasons show the lowest first.
 */
export type Severity = 0 | 1 | 2 | 3;
export interface Problem { severity: Severity; text: string }

/** Pacemaker keeps 128 characters of an exit reason. */
export const REASON_MAX = 128;

function summarize(texts: readonly string[]): string {
  if (!texts.length) return 'invalid configuration';
  const more = texts.length > 1 ? ` (+${texts.length - 1} more)` : '';
  const first = texts[0]!;
  if (first.length + more.length <= REASON_MAX) return first + more;
  return first.slice(0, REASON_MAX - more.length - 1) + '…' + more;
}

/** A configuration that is wrong (everywhere): a Failure of kind 'config', its most fundamental problem first. */
export class ConfigError extends Failure {
  /** Every problem, the most fundamental first (for the log). */
  readonly problems: string[];
  constructor(problems: readonly (string | Problem)[]) {
    const ps = problems.map((p) => (typeof p === 'string' ? { severity: 2 as Severity, text: p } : p));
    const sorted = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p.severity - b.p.severity || a.i - b.i).map((x) => x.p.text);
    super('config', summarize(sorted));
    this.problems = sorted;
    this.name = 'ConfigError';
  }
}

/** A parsed saveconfig: every object it describes, not yet selected by ownership. */
export interface SaveConfig {
  storageObjects: Map<StorageObjectRef, StorageObject>;
  targets: Map<string, Target>;
  /** Where each target and storage object came from, for messages about contradictions. */
  origin: Map<string, string>;
  /** Objects that did not parse cleanly (storage object ref or target wwn) and why. */
  broken: Map<string, Problem[]>;
  /** Objects lioha does not manage (other fabrics, tcmu backstores) and why; key as for broken. */
  foreign: Map<string, string>;
  /** What was accepted but is not applied by a target resource, for a debug log. */
  ignored: string[];
  /** The document holds a CHAP or discovery password somewhere. */
  secrets: boolean;
}

type Obj = JsonObject;
const isObj = isJsonObject;

/** lib/json-check.ts's wording and paths, plus how fundamental each problem is. */
class Checker extends JsonCheck {
  private readonly severities: Severity[] = [];
  override bad(path: string, msg: string, severity: Severity = msg.startsWith('unknown field') ? 1 : 2): void {
    super.bad(path, msg);
    this.severities.push(severity);
  }
  /** The problems with their severity. */
  get found(): Problem[] { return this.problems.map((text, i) => ({ severity: this.severities[i] ?? 2, text })); }
  obj(v: Json, path: string): Obj | undefined {
    if (isObj(v)) return v;
    this.bad(path, 'must be an object', 1);
    return undefined;
  }
  arr(v: Json, path: string): Json[] {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.bad(path, 'must be a list', 1);
    return [];
  }
  str(v: Json, path: string, required = true): string | undefined {
    if (v === undefined || v === null) { if (required) this.bad(path, 'missing', 1); return undefined; }
    if (typeof v !== 'string') { this.bad(path, 'must be a string'); return undefined; }
    if (/[\n\r]/.test(v)) { this.bad(path, 'must be a single line'); return undefined; }
    return v;
  }
  int(v: Json, path: string, lo: number, hi: number, required = true): number | undefined {
    if (v === undefined || v === null) { if (required) this.bad(path, 'missing', 1); return undefined; }
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
  /** iSCSI text parameters (RFC 7143): values are at most 255 bytes, as LIO enforces. */
  params(v: Json, path: string): Attributes {
    const out = this.attrs(v, path);
    for (const [k, val] of Object.entries(out)) {
      if (Buffer.byteLength(val) > 255) this.bad(`${path}.${k}`, `longer than 255 bytes (${Buffer.byteLength(val)})`);
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

// ---- storage objects ---------------------------------------------------------------

/** Fields rtslib-fb 2.1.x-2.2.x writes for each backstore (tcm.py dump()). */
const SO_COMMON = ['name', 'plugin', 'wwn', 'attributes', 'alua_tpgs'];
const SO_FIELDS: Record<BackstoreKind, readonly string[]> = {
  block: [...SO_COMMON, 'dev', 'readonly', 'write_back', 'exclusive'],
  fileio: [...SO_COMMON, 'dev', 'size', 'write_back', 'aio'],
  ramdisk: [...SO_COMMON, 'size', 'nullio'],
  pscsi: [...SO_COMMON, 'dev'],
};
const ALUA_GROUP_FIELDS = ['name', 'tg_pt_gp_id', 'members', 'alua_support_lba_dependent', ...ALUA_RW_PARAMS];
const ALUA_RANGES: Record<string, readonly number[] | [number, number]> = {
  alua_access_state: [0, 1, 2, 3, 4, 14, 15],
  alua_access_status: [0, 1, 2],
  alua_access_type: [0, 1, 2, 3],
};
const PAGE = 4096;

function parseAlua(c: Checker, v: Json, path: string, kind: BackstoreKind): Attributes | undefined {
  const groups = c.arr(v, path);
  let settings: Record<string, string> | undefined;
  for (const [i, g] of groups.entries()) {
    const p = `${path}[${i}]`;
    const o = c.obj(g, p);
    if (!o) continue;
    const name = c.str(o.name, `${p}.name`);
    if (name === undefined) continue;
    if (name !== ALUA_DEFAULT_GROUP) {
      c.bad(`${p}.name`, `ALUA group "${name}" is not supported (only ${ALUA_DEFAULT_GROUP})`, 3);
      continue;
    }
    c.fields(o, p, ALUA_GROUP_FIELDS);
    if (o.tg_pt_gp_id !== undefined && c.int(o.tg_pt_gp_id, `${p}.tg_pt_gp_id`, 0, 0) === undefined) continue;
    const s: Record<string, string> = {};
    for (const k of ALUA_RW_PARAMS) {
      if (o[k] === undefined || o[k] === null) continue;
      const r = ALUA_RANGES[k];
      const n = r && r.length !== 2
        ? c.int(o[k], `${p}.${k}`, 0, 255)
        : c.int(o[k], `${p}.${k}`, 0, /^alua_support_|alua_write_metadata|preferred/.test(k) ? 1 : 2 ** 31 - 1);
      if (n === undefined) continue;
      if (r && r.length !== 2 && !r.includes(n)) { c.bad(`${p}.${k}`, `must be one of ${r.join(', ')}`, 3); continue; }
      // Only what differs from the kernel's defaults needs writing (and rtslib writes every parameter).
      if (ALUA_DEFAULTS[k] !== String(n)) s[k] = String(n);
    }
    if (kind === 'pscsi' && Object.keys(s).length) c.bad(p, 'pscsi objects have no ALUA settings', 3);
    settings = s;
  }
  return settings;
}

function parseStorageObject(c: Checker, o: Obj, path: string, kind: BackstoreKind, name: string): StorageObject {
  if (!isObjectName(name)) c.bad(`${path}.name`, 'may only hold letters, digits and _ . : - (and is not . or ..)', 1);
  c.fields(o, path, SO_FIELDS[kind]);
  const alua = parseAlua(c, o.alua_tpgs, `${path}.alua_tpgs`, kind);
  const wwn = c.str(o.wwn, `${path}.wwn`, false);
  if (wwn !== undefined && (wwn.length === 0 || wwn.length > 254)) c.bad(`${path}.wwn`, 'must be 1..254 characters');
  const attributes = c.attrs(o.attributes, `${path}.attributes`);
  const common = { name, attributes, ...(wwn ? { wwn } : {}), ...(alua && Object.keys(alua).length ? { alua } : {}) };
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
  if ((kind === 'fileio' || kind === 'block') && /^\/dev\/dm-\d+$/.test(dev)) c.bad(`${path}.dev`, 'a /dev/dm-N name is not stable across nodes; use /dev/<vg>/<lv>');
  switch (kind) {
    case 'block': {
      // rtslib-fb 2.2.4 writes "exclusive": LIO's iblock opens its device exclusively, which is the only mode lioha runs.
      if (!c.bool(o.exclusive, `${path}.exclusive`, true)) c.bad(`${path}.exclusive`, 'a shared (non-exclusive) block device open is not supported');
      return { kind, ...common, dev, readonly: c.bool(o.readonly, `${path}.readonly`, false), ...(o.write_back !== undefined ? { writeBack: writeBack(false) } : {}) };
    }
    case 'fileio':
      return { kind, ...common, dev, size: c.int(o.size, `${path}.size`, 0, Number.MAX_SAFE_INTEGER, false) ?? 0, writeBack: writeBack(true), aio: c.bool(o.aio, `${path}.aio`, false) };
    case 'ramdisk': {
      // As rtslib: the size becomes whole pages (rounded, at least one).
      const size = c.int(o.size, `${path}.size`, 0, Number.MAX_SAFE_INTEGER) ?? PAGE;
      return { kind, ...common, size: Math.max(1, Math.round(size / PAGE)) * PAGE, nullio: c.bool(o.nullio, `${path}.nullio`, false) };
    }
    case 'pscsi':
      return { kind, ...common, dev };
  }
}

// ---- targets -----------------------------------------------------------------------

function parsePortal(c: Checker, pv: Json, p: string): NetworkPortal | undefined {
  const po = c.obj(pv, p);
  if (!po) return undefined;
  c.fields(po, p, ['ip_address', 'port', 'iser', 'offload']);
  const raw = c.str(po.ip_address, `${p}.ip_address`);
  const port = c.int(po.port, `${p}.port`, 1, 65535);
  if (c.bool(po.offload, `${p}.offload`, false)) c.bad(`${p}.offload`, 'hardware offload (cxgbit) is not supported');
  if (raw === undefined || port === undefined) return undefined;
  const bracketed = /^\[(.*)\]$/.exec(raw);
  const ip = bracketed ? bracketed[1]! : raw;
  const parsed = tryParseIp(ip);
  if (!parsed) { c.bad(`${p}.ip_address`, `"${raw}" is not an IPv4 or IPv6 address`); return undefined; }
  // targetcli writes IPv6 bracketed ("[fd00::1]"); lioha before 0.2 wrote it bare, which is unambiguous and accepted.
  if (parsed.family === 4 && bracketed) c.bad(`${p}.ip_address`, `IPv4 address "${raw}" must not be bracketed`);
  return { ip, port, iser: c.bool(po.iser, `${p}.iser`, false) };
}

function parseAcl(c: Checker, av: Json, p: string, lunIdx: ReadonlySet<number>): NodeAcl | undefined {
  const ao = c.obj(av, p);
  if (!ao) return undefined;
  c.fields(ao, p, ['node_wwn', 'mapped_luns', 'attributes', 'parameters', 'tag', 'tcq_depth', 'chap_userid', 'chap_password', 'chap_mutual_userid', 'chap_mutual_password']);
  const nodeWwn = c.str(ao.node_wwn, `${p}.node_wwn`);
  if (nodeWwn === undefined) return undefined;
  if (!isIscsiName(nodeWwn)) c.bad(`${p}.node_wwn`, `"${nodeWwn}" is not an iSCSI name`);
  const mapped: MappedLun[] = [];
  const seenMl = new Set<number>();
  for (const [j, mv] of c.arr(ao.mapped_luns, `${p}.mapped_luns`).entries()) {
    const mp = `${p}.mapped_luns[${j}]`;
    const mo = c.obj(mv, mp);
    if (!mo) continue;
    c.fields(mo, mp, ['index', 'tpg_lun', 'write_protect', 'alias', 'tag']);
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
  // tag: a free-form group name targetcli keeps in the kernel (acls/<wwn>/tag); "NULL" means none.
  const tag = c.str(ao.tag, `${p}.tag`, false);
  if (tag !== undefined && (tag.length > 255 || tag.includes('.'))) c.bad(`${p}.tag`, 'must be at most 255 characters without "."');
  const cmdsn = c.int(ao.tcq_depth, `${p}.tcq_depth`, 1, 512, false);
  return {
    nodeWwn, mappedLuns: mapped, attributes: c.attrs(ao.attributes, `${p}.attributes`), auth: c.auth(ao, p),
    ...(cmdsn !== undefined ? { cmdsnDepth: cmdsn } : {}),
    ...(tag && tag !== 'NULL' ? { tag } : {}),
  };
}

function parseTpg(c: Checker, v: Json, path: string, sos: ReadonlySet<string>): Tpg | undefined {
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
    if (lo.alua_tg_pt_gp_name !== undefined && lo.alua_tg_pt_gp_name !== null && lo.alua_tg_pt_gp_name !== ALUA_DEFAULT_GROUP) {
      c.bad(`${p}.alua_tg_pt_gp_name`, `ALUA group ${JSON.stringify(lo.alua_tg_pt_gp_name)} is not supported (only ${ALUA_DEFAULT_GROUP})`, 3);
    }
    if (index === undefined || ref === undefined) continue;
    const parsedRef = parseStorageObjectRef(ref);
    if (parsedRef && !isObjectName(parsedRef.name)) { c.bad(`${p}.storage_object`, `"${ref}" is not /backstores/<kind>/<name>`, 1); continue; }
    if (!sos.has(ref)) { c.bad(`${p}.storage_object`, `${ref} is not in storage_objects`, 1); continue; }
    if (lunIdx.has(index)) c.bad(`${p}.index`, `LUN ${index} defined twice`);
    if (lunSo.has(ref)) c.bad(`${p}.storage_object`, `${ref} exported twice in one TPG`);
    lunIdx.add(index);
    lunSo.add(ref);
    const parsed = parseStorageObjectRef(ref);
    // A LUN on a foreign backstore (user:*) is refused when the target is selected (desired.ts).
    luns.push({ index, storageObject: parsed ? storageObjectRef(parsed.kind, parsed.name) : (ref as StorageObjectRef), ...(alias ? { alias } : {}) });
  }
  const portals: NetworkPortal[] = [];
  const seenNp = new Set<string>();
  for (const [i, pv] of c.arr(o.portals, `${path}.portals`).entries()) {
    const p = `${path}.portals[${i}]`;
    const np = parsePortal(c, pv, p);
    if (!np) continue;
    const key = `${np.ip}:${np.port}`;
    if (seenNp.has(key)) c.bad(p, `portal ${key} defined twice`);
    seenNp.add(key);
    portals.push(np);
  }
  const acls: NodeAcl[] = [];
  const seenAcl = new Set<string>();
  for (const [i, av] of c.arr(o.node_acls, `${path}.node_acls`).entries()) {
    const p = `${path}.node_acls[${i}]`;
    const acl = parseAcl(c, av, p, lunIdx);
    if (!acl) continue;
    if (seenAcl.has(acl.nodeWwn)) c.bad(p, `ACL ${acl.nodeWwn} defined twice`);
    seenAcl.add(acl.nodeWwn);
    acls.push(acl);
  }
  return {
    tag,
    enable: c.bool(o.enable, `${path}.enable`, true),
    attributes: c.attrs(o.attributes, `${path}.attributes`),
    parameters: c.params(o.parameters, `${path}.parameters`),
    auth: c.auth(o, path),
    luns, portals, acls,
  };
}

function parseTarget(c: Checker, o: Obj, p: string, wwn: string, sos: ReadonlySet<string>): Target {
  c.fields(o, p, ['wwn', 'fabric', 'parameters', 'tpgs']);
  if (!isIscsiName(wwn)) c.bad(`${p}.wwn`, `"${wwn}" is not an iSCSI name`, 1);
  const tpgs: Tpg[] = [];
  for (const [j, tv] of c.arr(o.tpgs, `${p}.tpgs`).entries()) {
    const tpg = parseTpg(c, tv, `${p}.tpgs[${j}]`, sos);
    if (!tpg) continue;
    if (tpgs.some((t) => t.tag === tpg.tag)) c.bad(`${p}.tpgs[${j}].tag`, `TPG ${tpg.tag} defined twice`);
    tpgs.push(tpg);
  }
  const parameters = o.parameters === undefined ? undefined : c.params(o.parameters, `${p}.parameters`);
  return { wwn, tpgs, ...(parameters && Object.keys(parameters).length ? { parameters } : {}) };
}

function holdsSecret(v: Json): boolean {
  if (Array.isArray(v)) return v.some(holdsSecret);
  if (!isObj(v)) return false;
  return Object.entries(v).some(([k, x]) => (/password$/.test(k) && typeof x === 'string' && x !== '') || holdsSecret(x));
}

/** Parses one saveconfig.json document (whole, or a group's part of it). */
export function parseSaveConfig(text: string, source = 'saveconfig.json'): SaveConfig {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, which may be a CHAP password: keep only the position.
    const pos = /position (\d+)/.exec((e as Error).message);
    throw new ConfigError([{ severity: 0, text: `${source}: not valid JSON${pos ? ` (at character ${pos[1]})` : ''}` }]);
  }
  const top = new Checker(source);
  const root = top.obj(doc, '$');
  const out: SaveConfig = {
    storageObjects: new Map(), targets: new Map(), origin: new Map(), broken: new Map(), foreign: new Map(), ignored: [],
    secrets: holdsSecret(doc),
  };
  if (!root) throw new ConfigError(top.found);
  for (const k of Object.keys(root)) {
    if (!['storage_objects', 'targets', 'fabric_modules'].includes(k)) out.ignored.push(`${source}: $.${k}: unknown field, ignored`);
  }
  const soList = top.arr(root.storage_objects, '$.storage_objects');
  const targetList = top.arr(root.targets, '$.targets');
  const fabrics = top.arr(root.fabric_modules, '$.fabric_modules');
  if (top.problems.length) throw new ConfigError(top.found);
  // fabric_modules (discovery auth, node-global) belongs to no target resource.
  if (fabrics.length) out.ignored.push(`${source}: $.fabric_modules (node-global discovery settings) is not applied by a target resource`);

  const breaks = (key: string, ps: Problem[]) => { if (ps.length) out.broken.set(key, [...(out.broken.get(key) ?? []), ...ps]); };
  const declared = new Set<string>();
  const devs = new Map<string, string>();
  for (const [i, v] of soList.entries()) {
    const p = `$.storage_objects[${i}]`;
    const c = new Checker(source);
    const o = c.obj(v, p);
    const plugin = o && c.str(o.plugin, `${p}.plugin`);
    const name = o && c.str(o.name, `${p}.name`);
    if (!o || !plugin || !name) { breaks(`${p}`, c.found); continue; }
    const key = `/backstores/${plugin}/${name}`;
    if (declared.has(key)) { c.bad(p, `${key} defined twice`, 0); breaks(key, c.found); continue; }
    declared.add(key);
    out.origin.set(key, source);
    if (!(plugin in SO_FIELDS)) {
      out.foreign.set(key, /^user:/.test(plugin) ? `not managed: tcmu backstore ${plugin}` : `not managed: backstore plugin "${plugin}"`);
      out.ignored.push(`${source}: ${p} ${key}: not managed, ignored unless an owned target uses it`);
      continue;
    }
    const so = parseStorageObject(c, o, p, plugin as BackstoreKind, name);
    const dev = 'dev' in so ? so.dev : '';
    if (dev) {
      const other = devs.get(dev);
      if (other) {
        c.bad(`${p}.dev`, `${dev} is also used by ${other}`);
        breaks(other, [{ severity: 2, text: `${source}: ${key}: ${dev} is also used by ${other}` }]);
      }
      devs.set(dev, key);
    }
    if (c.problems.length) { breaks(key, c.found); continue; }
    out.storageObjects.set(key as StorageObjectRef, so);
  }
  for (const [i, v] of targetList.entries()) {
    const p = `$.targets[${i}]`;
    const c = new Checker(source);
    const o = c.obj(v, p);
    const wwn = o && c.str(o.wwn, `${p}.wwn`);
    const fabric = o && c.str(o.fabric, `${p}.fabric`);
    if (!o || !wwn || !fabric) { breaks(wwn ?? p, c.found); continue; }
    if (out.origin.has(wwn)) { c.bad(p, `target ${wwn} defined twice`, 0); breaks(wwn, c.found); continue; }
    out.origin.set(wwn, source);
    if (fabric !== 'iscsi') {
      out.foreign.set(wwn, `not managed: fabric ${fabric} (only iscsi), ${p}`);
      out.ignored.push(`${source}: ${p} ${fabric} target ${wwn}: not managed, ignored`);
      continue;
    }
    const t = parseTarget(c, o, p, wwn, declared);
    if (c.problems.length) { breaks(wwn, c.found); continue; }
    out.targets.set(wwn, t);
  }
  return out;
}

/** Every problem in the document, as if every object were owned (for `lioha target check`-like uses and tests). */
export function allProblems(cfg: SaveConfig): Problem[] {
  return [...cfg.broken.values()].flat();
}

/**
 * Merges the files of a per-group configuration. A storage object may appear in several
 * files if identical; a target only once. Contradictions are kept with the objects they touch.
 */
export function mergeSaveConfigs(parts: SaveConfig[]): SaveConfig {
  const out: SaveConfig = { storageObjects: new Map(), targets: new Map(), origin: new Map(), broken: new Map(), foreign: new Map(), ignored: [], secrets: false };
  const breaks = (key: string, text: string) => out.broken.set(key, [...(out.broken.get(key) ?? []), { severity: 0, text }]);
  for (const part of parts) {
    out.secrets ||= part.secrets;
    out.ignored.push(...part.ignored);
    for (const [k, v] of part.broken) out.broken.set(k, [...(out.broken.get(k) ?? []), ...v]);
    for (const [k, v] of part.foreign) out.foreign.set(k, v);
    for (const [key, so] of part.storageObjects) {
      const prev = out.storageObjects.get(key);
      if (prev && JSON.stringify(prev) !== JSON.stringify(so)) {
        breaks(key, `${key} differs between ${out.origin.get(key)} and ${part.origin.get(key)}`);
        continue;
      }
      out.storageObjects.set(key, so);
      if (!prev) out.origin.set(key, part.origin.get(key)!);
    }
    for (const [wwn, t] of part.targets) {
      if (out.targets.has(wwn)) { breaks(wwn, `target ${wwn} defined in both ${out.origin.get(wwn)} and ${part.origin.get(wwn)}`); continue; }
      out.targets.set(wwn, t);
      out.origin.set(wwn, part.origin.get(wwn)!);
    }
  }
  return out;
}

/** Whether any password is present (the file holding it must then be private). */
export function hasSecrets(cfg: SaveConfig): boolean {
  return cfg.secrets;
}

// ---- dump (live model -> saveconfig.json, as targetcli writes it) --------------------

/** rtslib dumps attributes as integers (CFSNode.dump: int(value)). */
function intOrString(v: string): number | string {
  return /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
}
function dumpAttrs(a: Attributes): Record<string, number | string> {
  return Object.fromEntries(Object.keys(a).map((k) => [k, intOrString(a[k]!)]));
}
/** Only the CHAP fields that are set (rtslib: `if val: d["chap_" + attr] = val`). */
function dumpAuth(a: ChapAuth): Record<string, string> {
  const out: Record<string, string> = {};
  if (a.userid) out.chap_userid = a.userid;
  if (a.password) out.chap_password = a.password;
  if (a.mutualUserid) out.chap_mutual_userid = a.mutualUserid;
  if (a.mutualPassword) out.chap_mutual_password = a.mutualPassword;
  return out;
}
/** IPv6 in brackets: rtslib builds np/<ip_address>:<port> from this field. */
export function portalAddressField(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** The default ALUA group as rtslib dumps it (alua.py dump: name, tg_pt_gp_id and every rw parameter). */
function dumpAlua(so: StorageObject): Json[] {
  if (so.kind === 'pscsi') return [];
  return [{ name: ALUA_DEFAULT_GROUP, tg_pt_gp_id: 0, ...dumpAttrs({ ...ALUA_DEFAULTS, ...so.alua }) }];
}

export function dumpStorageObject(so: StorageObject): Record<string, Json> {
  const base: Record<string, Json> = { name: so.name, plugin: so.kind, alua_tpgs: dumpAlua(so), attributes: dumpAttrs(so.attributes) };
  if (so.wwn) base.wwn = so.wwn;
  switch (so.kind) {
    case 'block': return { ...base, dev: so.dev, readonly: so.readonly, write_back: so.attributes.emulate_write_cache === '1' };
    case 'fileio': return { ...base, dev: so.dev, size: so.size, write_back: so.writeBack, aio: so.aio };
    case 'ramdisk': return { ...base, size: so.size, ...(so.nullio ? { nullio: true } : {}) };
    case 'pscsi': return { ...base, dev: so.dev };
  }
}

export function dumpTarget(t: Target): Record<string, Json> {
  return {
    wwn: t.wwn,
    fabric: 'iscsi',
    ...(t.parameters && Object.keys(t.parameters).length ? { parameters: { ...t.parameters } } : {}),
    tpgs: t.tpgs.map((tpg) => ({
      tag: tpg.tag,
      enable: tpg.enable,
      attributes: dumpAttrs(tpg.attributes),
      parameters: { ...tpg.parameters },
      ...dumpAuth(tpg.auth),
      luns: tpg.luns.map((l) => ({ index: l.index, storage_object: l.storageObject, alias: l.alias, alua_tg_pt_gp_name: ALUA_DEFAULT_GROUP })),
      portals: tpg.portals.map((p) => ({ ip_address: portalAddressField(p.ip), port: p.port, iser: p.iser, offload: false })),
      node_acls: tpg.acls.map((a) => ({
        node_wwn: a.nodeWwn,
        attributes: dumpAttrs(a.attributes),
        ...(a.tag ? { tag: a.tag } : {}),
        ...dumpAuth(a.auth),
        mapped_luns: a.mappedLuns.map((m) => ({ index: m.index, tpg_lun: m.tpgLun, write_protect: m.writeProtect, alias: m.alias })),
      })),
    })),
  };
}

/** JSON with every object's keys sorted, 2-space indent: what targetcli's json.dumps(sort_keys=True, indent=2) writes. */
function sortedJson(v: Json, indent = ''): string {
  const next = indent + '  ';
  if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => next + sortedJson(x, next)).join(',\n')}\n${indent}]` : '[]';
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return keys.length ? `{\n${keys.map((k) => `${next}${JSON.stringify(k)}: ${sortedJson(v[k], next)}`).join(',\n')}\n${indent}}` : '{}';
  }
  return JSON.stringify(v);
}

export function dumpSaveConfig(storageObjects: Iterable<StorageObject>, targets: Iterable<Target>): string {
  const doc = {
    fabric_modules: [],
    storage_objects: [...storageObjects].map(dumpStorageObject),
    targets: [...targets].map(dumpTarget),
  };
  return sortedJson(doc) + '\n';
}
