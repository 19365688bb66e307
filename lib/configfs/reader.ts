/**
 * Reads the live configfs tree into the model. Reads only what is asked: a monitor at
 * depth 0 touches target, TPG enable and LUN links; depth 10 and `save` read the rest.
 */
import type { ConfigFs } from './io.js';
import {
  ALUA_DEFAULT_GROUP, ALUA_RW_PARAMS, ALUA_STATUS_NAMES, ALUA_TYPE_NAMES, kindOfPlugin, parsePortalDirName, storageObjectRef, NO_AUTH,
  type Attributes, type ChapAuth, type DesiredState, type LiveState, type LiveStorageObject, type Lun, type MappedLun,
  type NetworkPortal, type NodeAcl, type StorageObjectRef, type Target, type Tpg,
} from './model.js';
import {
  CORE_ALUA, CORE_DIR, HBA_RE, ISCSI_DIR, ISCSI_NON_TARGETS, LUN_ENTRIES, LUN_RE, MAPPED_LUN_ENTRIES, TPGT_RE, tpgLunOfLink, aclOf, aclTagFile, aclsOf, aluaGroupDir, attribDir, authFile, hbaDir, lunOf, lunsOf,
  npIserFile, npOf, npsOf, paramDir, storageObjectDir, targetDir, wwnFile,
} from './layout.js';

/** Entries the kernel creates in a TPG LUN / mapped LUN directory; anything else is the link. */
const LUN_FILES = LUN_ENTRIES;
const MLUN_FILES = MAPPED_LUN_ENTRIES;
/** Attributes the kernel shows read-only: never part of a configuration. */
// default_submit_type and direct_submit_supported: read-only target parameters of 6.12 (rtslib saves only writable ones).
const READ_ONLY_ATTRS = new Set(['hw_block_size', 'hw_max_sectors', 'hw_pi_prot_type', 'hw_queue_depth', 'authenticate_target', 'default_submit_type', 'direct_submit_supported']);

/** core/<plugin>_<N>/<name> -> /backstores/<kind>/<name> */
export function refOfStorageObjectPath(rel: string): StorageObjectRef | undefined {
  const [core, hba, name, extra] = rel.split('/');
  const m = hba ? HBA_RE.exec(hba) : null;
  const kind = m ? kindOfPlugin(m[1]!) : undefined;
  if (core !== CORE_DIR || !kind || !name || extra !== undefined) return undefined;
  return storageObjectRef(kind, name);
}

export function parseUnitSerial(text: string): string {
  return text.replace(/^T10 VPD Unit Serial Number:\s*/, '').trim();
}

/** default_tg_pt_gp as integers (the kernel shows access type and status as text). */
export async function readAlua(cfs: ConfigFs, soDir: string, keys: readonly string[] = ALUA_RW_PARAMS): Promise<Attributes> {
  const dir = aluaGroupDir(soDir, ALUA_DEFAULT_GROUP);
  const out: Record<string, string> = {};
  for (const k of keys) {
    let v: string;
    try {
      v = (await cfs.read(`${dir}/${k}`)).trim();
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') continue;
      throw e;
    }
    const names = k === 'alua_access_type' ? ALUA_TYPE_NAMES : k === 'alua_access_status' ? ALUA_STATUS_NAMES : undefined;
    out[k] = names && names.includes(v) ? String(names.indexOf(v)) : v;
  }
  return out;
}

/** What the write-only control file set, as the kernel reports it in `info` (rtslib does the same). */
export interface InfoDetails { readonly?: boolean; size?: number; writeBack?: boolean; aio?: boolean; nullio?: boolean }
export function parseInfo(text: string): InfoDetails {
  const out: InfoDetails = {};
  let m: RegExpExecArray | null;
  if ((m = /readonly:\s*(\d)/.exec(text))) out.readonly = m[1] === '1';
  if ((m = /File: \S+\s+Size: (\d+)/.exec(text))) out.size = Number(m[1]);
  if ((m = /Mode: (\S+)/.exec(text))) out.writeBack = m[1]!.startsWith('Buffered');
  if ((m = /Async: (\d)/.exec(text))) out.aio = m[1] === '1';
  if ((m = /PAGES\/PAGE_SIZE: (\d+)\*(\d+)/.exec(text))) out.size = Number(m[1]) * Number(m[2]);
  if ((m = /nullio: (\d)/.exec(text))) out.nullio = m[1] === '1';
  return out;
}

async function readdirOr(cfs: ConfigFs, rel: string): Promise<string[]> {
  try {
    return await cfs.readdir(rel);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  }
}

/** `keys` undefined: every writable attribute in the group (for save). */
async function readGroup(cfs: ConfigFs, dir: string, keys: readonly string[] | undefined): Promise<Attributes> {
  const names = keys ?? (await readdirOr(cfs, dir)).filter((k) => !READ_ONLY_ATTRS.has(k)).sort();
  const out: Record<string, string> = {};
  for (const k of names) {
    try {
      out[k] = await cfs.read(`${dir}/${k}`);
    } catch (e) {
      // A configured key the running kernel does not have is left out (and reported by the agent);
      // any other failure to read a configured key is an error.
      if (keys && (e as { code?: string }).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

async function readAuth(cfs: ConfigFs, dir: string): Promise<ChapAuth> {
  return {
    userid: await cfs.read(authFile(dir, 'userid')),
    password: await cfs.read(authFile(dir, 'password')),
    mutualUserid: await cfs.read(authFile(dir, 'userid_mutual')),
    mutualPassword: await cfs.read(authFile(dir, 'password_mutual')),
  };
}

/** acls/<wwn>/tag: empty (or absent on old kernels) when there is none. */
async function readTag(cfs: ConfigFs, adir: string): Promise<{ tag?: string }> {
  try {
    const tag = (await cfs.read(aclTagFile(adir))).trim();
    return tag && tag !== 'NULL' ? { tag } : {};
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return {};
    throw e;
  }
}

async function linkIn(cfs: ConfigFs, dir: string, known: ReadonlySet<string>): Promise<{ alias: string; to: string } | undefined> {
  for (const name of await cfs.readdir(dir)) {
    if (known.has(name)) continue;
    return { alias: name, to: await cfs.readlink(`${dir}/${name}`) };
  }
  return undefined;
}

/**
 * shallow: TPGs, enable, LUN links (monitor depth 0). tree: also portals, ACLs and mapped LUNs
 * (what a teardown needs; attribute reads that fail do not stop it). full: also attributes, parameters and auth (depth 10, start, save).
 */
export type Depth = 'shallow' | 'tree' | 'full';

/**
 * `tolerant`: for a teardown, which needs only the objects' names. An attribute that cannot be
 * read (an object the kernel is tearing down, a failing device) gets `fallback` instead of failing
 * the whole stop; the directory is removed regardless.
 */
async function readAttr(cfs: ConfigFs, rel: string, tolerant: boolean, fallback: string): Promise<string> {
  if (!tolerant) return cfs.read(rel);
  try {
    return await cfs.read(rel);
  } catch {
    return fallback;
  }
}

export async function readStorageObjects(
  cfs: ConfigFs,
  want: {
    refs?: ReadonlySet<StorageObjectRef>; attributes: 'none' | 'all' | DesiredState; info?: boolean; tolerant?: boolean;
    /** false: skip the unit serial and product id (left ''), which only a depth-10 check, start and save compare. */
    identity?: boolean;
  },
): Promise<{ storageObjects: Map<StorageObjectRef, LiveStorageObject>; hbas: string[]; emptyHbas: string[]; details: Map<StorageObjectRef, InfoDetails> }> {
  const storageObjects = new Map<StorageObjectRef, LiveStorageObject>();
  const details = new Map<StorageObjectRef, InfoDetails>();
  const tolerant = want.tolerant ?? false;
  const identity = want.identity ?? true;
  const hbas = (await readdirOr(cfs, CORE_DIR)).filter((h) => HBA_RE.test(h) && h !== CORE_ALUA);
  const emptyHbas: string[] = [];
  for (const hba of hbas) {
    const kind = kindOfPlugin(HBA_RE.exec(hba)![1]!);
    if (!kind) continue;
    const names = (await readdirOr(cfs, hbaDir(hba))).filter((n) => n !== 'hba_info' && n !== 'hba_mode');
    if (!names.length) emptyHbas.push(hba);
    for (const name of names) {
      const ref = storageObjectRef(kind, name);
      if (want.refs && !want.refs.has(ref)) continue;
      const dir = storageObjectDir(hba, name);
      const keys = want.attributes === 'none' ? [] : want.attributes === 'all' ? undefined : Object.keys(want.attributes.storageObjects.get(ref)?.attributes ?? {});
      storageObjects.set(ref, {
        kind, name, dir, hba,
        enabled: (await readAttr(cfs, `${dir}/enable`, tolerant, '1')) === '1',
        dev: await readAttr(cfs, `${dir}/udev_path`, tolerant, ''),
        wwn: identity ? parseUnitSerial(await readAttr(cfs, wwnFile(dir, 'vpd_unit_serial'), tolerant, '')) : '',
        productId: identity ? (await readAttr(cfs, wwnFile(dir, 'product_id'), tolerant, '')).trim() : '',
        attributes: await readGroup(cfs, attribDir(dir), keys),
      });
      const aluaKeys = kind === 'pscsi' ? [] : want.attributes === 'all' ? ALUA_RW_PARAMS
        : want.attributes === 'none' ? [] : Object.keys(want.attributes.storageObjects.get(ref)?.alua ?? {});
      if (aluaKeys.length) storageObjects.get(ref)!.alua = await readAlua(cfs, dir, aluaKeys);
      if (want.info) details.set(ref, parseInfo(await cfs.read(`${dir}/info`)));
    }
  }
  return { storageObjects, hbas, emptyHbas, details };
}

/** Every target's LUN links: which targets use each storage object. */
export async function readUsers(cfs: ConfigFs): Promise<Map<StorageObjectRef, Set<string>>> {
  const users = new Map<StorageObjectRef, Set<string>>();
  for (const wwn of await readdirOr(cfs, ISCSI_DIR)) {
    if (ISCSI_NON_TARGETS.has(wwn)) continue;
    for (const tpg of (await readdirOr(cfs, targetDir(wwn))).filter((t) => TPGT_RE.test(t))) {
      for (const lun of await readdirOr(cfs, lunsOf(`${targetDir(wwn)}/${tpg}`))) {
        const link = await linkIn(cfs, lunOf(`${targetDir(wwn)}/${tpg}`, lun), LUN_FILES);
        const ref = link && refOfStorageObjectPath(link.to);
        if (ref) {
          if (!users.has(ref)) users.set(ref, new Set());
          users.get(ref)!.add(wwn);
        }
      }
    }
  }
  return users;
}

/** Reads one target; undefined when its directory does not exist. */
export async function readTarget(cfs: ConfigFs, wwn: string, depth: Depth, keysFrom?: Target): Promise<Target | undefined> {
  const tdir = targetDir(wwn);
  if (!(await cfs.exists(tdir))) return undefined;
  const tpgs: Tpg[] = [];
  for (const tname of (await cfs.readdir(tdir)).filter((t) => TPGT_RE.test(t))) {
    const tag = Number(TPGT_RE.exec(tname)![1]);
    const dir = `${tdir}/${tname}`;
    const want = keysFrom?.tpgs.find((t) => t.tag === tag);
    const luns: Lun[] = [];
    for (const lname of await readdirOr(cfs, lunsOf(dir))) {
      const m = LUN_RE.exec(lname);
      if (!m) continue;
      const link = await linkIn(cfs, lunOf(dir, lname), LUN_FILES);
      const ref = link && refOfStorageObjectPath(link.to);
      // A LUN without a (recognisable) device is still a LUN: keep it so it is seen as drift.
      luns.push({ index: Number(m[1]), storageObject: ref ?? null, ...(link ? { alias: link.alias } : {}) });
    }
    luns.sort((a, b) => a.index - b.index);
    const tpg: Tpg = {
      tag,
      // A teardown that cannot read enable disables the TPG anyway.
      enable: (await readAttr(cfs, `${dir}/enable`, depth === 'tree', '1')) === '1',
      attributes: {}, parameters: {}, auth: NO_AUTH, luns, portals: [], acls: [],
    };
    const full = depth === 'full';
    if (depth !== 'shallow') {
      if (full) {
        tpg.attributes = await readGroup(cfs, attribDir(dir), want ? Object.keys(want.attributes) : undefined);
        tpg.parameters = await readGroup(cfs, paramDir(dir), want ? Object.keys(want.parameters) : undefined);
        tpg.auth = await readAuth(cfs, dir);
      }
      const portals: NetworkPortal[] = [];
      for (const np of await readdirOr(cfs, npsOf(dir))) {
        const p = parsePortalDirName(np);
        if (p) portals.push({ ...p, iser: full ? (await cfs.read(npIserFile(npOf(dir, np)))) === '1' : false });
      }
      tpg.portals = portals;
      const acls: NodeAcl[] = [];
      for (const ini of await readdirOr(cfs, aclsOf(dir))) {
        const adir = aclOf(dir, ini);
        const wantAcl = want?.acls.find((a) => a.nodeWwn === ini);
        const mapped: MappedLun[] = [];
        for (const ml of (await cfs.readdir(adir)).filter((x) => LUN_RE.test(x))) {
          const link = await linkIn(cfs, `${adir}/${ml}`, MLUN_FILES);
          mapped.push({
            index: Number(LUN_RE.exec(ml)![1]),
            tpgLun: (link ? tpgLunOfLink(link.to) : undefined) ?? -1,
            writeProtect: full ? (await cfs.read(`${adir}/${ml}/write_protect`)) === '1' : false,
            ...(link ? { alias: link.alias } : {}),
          });
        }
        mapped.sort((a, b) => a.index - b.index);
        acls.push({
          nodeWwn: ini,
          mappedLuns: mapped,
          attributes: full ? await readGroup(cfs, attribDir(adir), want ? Object.keys(wantAcl?.attributes ?? {}) : undefined) : {},
          auth: full ? await readAuth(cfs, adir) : NO_AUTH,
          ...(full ? await readTag(cfs, adir) : {}),
          ...(full ? { cmdsnDepth: Number(await cfs.read(`${adir}/cmdsn_depth`)) } : {}),
        });
      }
      tpg.acls = acls;
    }
    tpgs.push(tpg);
  }
  tpgs.sort((a, b) => a.tag - b.tag);
  if (depth === 'full' && (await cfs.exists(paramDir(tdir)))) {
    const parameters = await readGroup(cfs, paramDir(tdir), keysFrom ? Object.keys(keysFrom.parameters ?? {}) : undefined);
    if (Object.keys(parameters).length) return { wwn, tpgs, parameters };
  }
  return { wwn, tpgs };
}

/** What a monitor reads beyond the targets' own state (readLive's `monitor` option). */
export interface MonitorReads {
  /** Also parse each storage object's `info` (depth 10: read-only, size...), into `details`. */
  info?: boolean;
}

/**
 * Live state for a set of owned targets (and, with `desired`, only the attributes it sets).
 * `refs`: the storage objects worth reading (others are only counted as HBAs and users).
 *
 * `monitor`: read only what a monitor compares. A shallow read then skips the storage objects'
 * unit serial and product id. Either depth reads `users` (every target's LUN links) only when
 * an asked-for target is missing: presence() needs them only then, to tell a leftover storage
 * object of ours from one another target uses; otherwise `users` is left empty.
 */
export async function readLive(
  cfs: ConfigFs, iqns: readonly string[], depth: Depth, desired?: DesiredState, refs?: ReadonlySet<StorageObjectRef>, monitor?: MonitorReads,
): Promise<LiveState & { details: Map<StorageObjectRef, InfoDetails> }> {
  const targets = new Map<string, Target>();
  for (const iqn of iqns) {
    const t = await readTarget(cfs, iqn, depth, desired?.targets.get(iqn));
    if (t) targets.set(iqn, t);
  }
  const { storageObjects, hbas, emptyHbas, details } = await readStorageObjects(cfs, {
    ...(refs ? { refs } : {}),
    attributes: depth === 'full' && desired ? desired : 'none',
    tolerant: depth === 'tree',
    identity: !(monitor && depth === 'shallow'),
    info: monitor?.info ?? false,
  });
  const users = monitor && targets.size === iqns.length ? new Map<StorageObjectRef, Set<string>>() : await readUsers(cfs);
  return { storageObjects, targets, hbas, emptyHbas, users, details };
}
