/**
 * From a parsed configuration to what one resource owns: its targets (the `iqn` parameter),
 * the storage objects they use, CHAP secrets from the separate file, and stable SCSI
 * identities. Pure.
 */
import { sha256Hex } from '../text/digest.js';
import { ConfigError, type Problem, type SaveConfig } from './saveconfig.js';
import type { ChapAuth, DesiredState, StorageObject, StorageObjectRef, Target } from './model.js';
import { kernelDecided, withoutKernelDecided } from './attribute-decider.js';

interface SecretPair { chap_password?: string; chap_mutual_password?: string }
export interface Secrets { [targetIqn: string]: { tpg?: SecretPair; acls?: Record<string, SecretPair> } }

export function parseSecrets(text: string, source: string): Secrets {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser message may quote the file's content: do not repeat it.
    throw new ConfigError([`${source}: not valid JSON`]);
  }
  const problems: string[] = [];
  const pair = (v: unknown, path: string): SecretPair | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) { problems.push(`${source}: ${path}: must be an object`); return undefined; }
    for (const [k, s] of Object.entries(v)) {
      if (k !== 'chap_password' && k !== 'chap_mutual_password') problems.push(`${source}: ${path}.${k}: unknown field`);
      else if (typeof s !== 'string' || /[\n\r]/.test(s) || s.length > 255) problems.push(`${source}: ${path}.${k}: must be a single-line string of at most 255 characters`);
    }
    return v as SecretPair;
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError([`${source}: must be an object keyed by target IQN`]);
  for (const [iqn, entry] of Object.entries(doc)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) { problems.push(`${source}: ${iqn}: must be an object`); continue; }
    for (const [k, v] of Object.entries(entry)) {
      if (k === 'tpg') pair(v, `${iqn}.tpg`);
      else if (k === 'acls' && typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [ini, p] of Object.entries(v)) pair(p, `${iqn}.acls.${ini}`);
      else problems.push(`${source}: ${iqn}.${k}: unknown field`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return doc as Secrets;
}

/** A unit serial derived from the object's identity: the same on every node, unlike a random UUID. */
export function deriveSerial(ref: StorageObjectRef): string {
  const h = sha256Hex(`lioha:${ref}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function mergeSecret(base: ChapAuth, s: SecretPair | undefined, where: string, problems: Problem[]): ChapAuth {
  if (!s) return base;
  const out = { ...base };
  const take = (field: 'password' | 'mutualPassword', value: string | undefined, name: string) => {
    if (value === undefined) return;
    if (out[field] && out[field] !== value) problems.push({ severity: 2, text: `${where}: ${name} differs between the configuration and the secrets file` });
    out[field] = value;
  };
  take('password', s.chap_password, 'chap_password');
  take('mutualPassword', s.chap_mutual_password, 'chap_mutual_password');
  return out;
}

function checkAuth(a: ChapAuth, where: string, problems: Problem[]): void {
  if (Boolean(a.userid) !== Boolean(a.password)) problems.push({ severity: 2, text: `${where}: CHAP needs both chap_userid and chap_password` });
  if (Boolean(a.mutualUserid) !== Boolean(a.mutualPassword)) problems.push({ severity: 2, text: `${where}: mutual CHAP needs both chap_mutual_userid and chap_mutual_password` });
}

export interface SelectOptions { deriveWwn: boolean; secrets?: Secrets }

/**
 * The NAA IEEE Registered Extended designator LIO reports in VPD 0x83 for a unit serial:
 * company id (0x001405 by default) followed by the first 25 hex digits of the serial, with
 * every other character skipped (target_core_spc.c, spc_gen_naa_6h_vendor_specific).
 */
export function naaDesignator(serial: string, companyId = '001405'): string {
  const hex = serial.replace(/[^0-9a-fA-F]/g, '').toLowerCase().slice(0, 25).padEnd(25, '0');
  return `6${companyId}${hex}`;
}

/**
 * Storage objects whose serials give the same NAA designator: an initiator's multipath
 * would merge two different LUNs into one device. Each pair is named once.
 */
export interface NaaClash { a: string; b: string; naa: string }
export function naaClashes(serials: Iterable<[string, string]>): NaaClash[] {
  const seen = new Map<string, string>();
  const out: NaaClash[] = [];
  for (const [who, serial] of serials) {
    const naa = naaDesignator(serial);
    const first = seen.get(naa);
    if (first && first !== who) out.push({ a: first, b: who, naa });
    else seen.set(naa, who);
  }
  return out;
}
export function describeClash(c: NaaClash): string {
  return `same NAA id for ${c.a} and ${c.b} (serials alike in 25 hex digits): ${c.naa}`;
}

export function selectDesired(cfg: SaveConfig, iqns: readonly string[], opts: SelectOptions): DesiredState {
  const problems: Problem[] = [];
  const fatal = (text: string) => problems.push({ severity: 0, text });
  const targets = new Map<string, Target>();
  const storageObjects = new Map<StorageObjectRef, StorageObject>();
  const decided: string[] = [];
  for (const iqn of iqns) {
    const foreign = cfg.foreign.get(iqn);
    if (foreign) { fatal(`${foreign}: target ${iqn}`); continue; }
    const broken = cfg.broken.get(iqn);
    if (broken) { problems.push(...broken); continue; }
    const t = cfg.targets.get(iqn);
    if (!t) { fatal(`target ${iqn} is not in the configuration`); continue; }
    const sec = opts.secrets?.[iqn];
    const tpgs = t.tpgs.map((tpg) => {
      if (!tpg.enable) problems.push({ severity: 1, text: `${iqn} TPG ${tpg.tag}: enable=false, but a cluster-managed TPG must be enabled` });
      const auth = mergeSecret(tpg.auth, sec?.tpg, `${iqn} TPG ${tpg.tag}`, problems);
      checkAuth(auth, `${iqn} TPG ${tpg.tag}`, problems);
      const acls = tpg.acls.map((a) => {
        const aAuth = mergeSecret(a.auth, sec?.acls?.[a.nodeWwn], `${iqn} ACL ${a.nodeWwn}`, problems);
        checkAuth(aAuth, `${iqn} ACL ${a.nodeWwn}`, problems);
        return { ...a, auth: aAuth };
      });
      for (const ini of Object.keys(sec?.acls ?? {})) {
        if (!t.tpgs.some((x) => x.acls.some((a) => a.nodeWwn === ini))) problems.push({ severity: 2, text: `secrets file: ${iqn} has no ACL ${ini}` });
      }
      for (const l of tpg.luns) {
        const ref = l.storageObject;
        if (!ref) continue;
        const why = cfg.foreign.get(ref);
        if (why) { fatal(`${why}: ${ref} (${iqn} LUN ${l.index})`); continue; }
        const soProblems = cfg.broken.get(ref);
        if (soProblems) { problems.push(...soProblems); continue; }
        const so = cfg.storageObjects.get(ref);
        if (!so) continue;
        if (so.kind === 'pscsi') { storageObjects.set(ref, so); continue; } // identity passed through from the device
        if (!so.wwn && !opts.deriveWwn) {
          problems.push({ severity: 1, text: `${ref} has no "wwn": without a serial that is the same on every node initiator multipath breaks on failover (set it in the configuration, or derive_wwn=true)` });
        }
        for (const k of kernelDecided(so)) decided.push(`${ref} ${k.attribute}=${k.configured} (${k.reason})`);
        storageObjects.set(ref, withoutKernelDecided({ ...so, wwn: so.wwn || deriveSerial(ref) }));
      }
      return { ...tpg, auth, acls };
    });
    if (tpgs.length === 0) problems.push({ severity: 1, text: `target ${iqn} has no TPG` });
    targets.set(iqn, { wwn: iqn, tpgs });
  }
  // Identity clashes are checked across the whole configuration: every object in it may run on this node.
  const serials: [string, string][] = [];
  for (const [ref, so] of cfg.storageObjects) if (so.kind !== 'pscsi') serials.push([ref, storageObjects.get(ref)?.wwn ?? so.wwn ?? deriveSerial(ref)]);
  for (const clash of naaClashes(serials)) {
    if (storageObjects.has(clash.a as StorageObjectRef) || storageObjects.has(clash.b as StorageObjectRef)) fatal(describeClash(clash));
  }
  if (problems.length) throw new ConfigError(problems);
  return { storageObjects, targets, ...(decided.length ? { kernelDecided: [...new Set(decided)] } : {}) };
}
