/**
 * From a parsed configuration to what one resource owns: its targets (the `iqn` parameter),
 * the storage objects they use, CHAP secrets from the separate file, and stable SCSI
 * identities. Pure.
 */
import { sha256Hex } from '../text/digest.js';
import { ConfigError, type SaveConfig } from './saveconfig.js';
import type { ChapAuth, DesiredState, StorageObject, StorageObjectRef, Target } from './model.js';

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

function mergeSecret(base: ChapAuth, s: SecretPair | undefined, where: string, problems: string[]): ChapAuth {
  if (!s) return base;
  const out = { ...base };
  const take = (field: 'password' | 'mutualPassword', value: string | undefined, name: string) => {
    if (value === undefined) return;
    if (out[field] && out[field] !== value) problems.push(`${where}: ${name} differs between the configuration and the secrets file`);
    out[field] = value;
  };
  take('password', s.chap_password, 'chap_password');
  take('mutualPassword', s.chap_mutual_password, 'chap_mutual_password');
  return out;
}

function checkAuth(a: ChapAuth, where: string, problems: string[]): void {
  if (Boolean(a.userid) !== Boolean(a.password)) problems.push(`${where}: CHAP needs both chap_userid and chap_password`);
  if (Boolean(a.mutualUserid) !== Boolean(a.mutualPassword)) problems.push(`${where}: mutual CHAP needs both chap_mutual_userid and chap_mutual_password`);
}

export interface SelectOptions { deriveWwn: boolean; secrets?: Secrets }

export function selectDesired(cfg: SaveConfig, iqns: readonly string[], opts: SelectOptions): DesiredState {
  const problems: string[] = [];
  const targets = new Map<string, Target>();
  const storageObjects = new Map<StorageObjectRef, StorageObject>();
  for (const iqn of iqns) {
    const t = cfg.targets.get(iqn);
    if (!t) { problems.push(`target ${iqn} is not in the configuration`); continue; }
    const sec = opts.secrets?.[iqn];
    const tpgs = t.tpgs.map((tpg) => {
      if (!tpg.enable) problems.push(`${iqn} TPG ${tpg.tag}: enable=false, but a cluster-managed TPG must be enabled`);
      const auth = mergeSecret(tpg.auth, sec?.tpg, `${iqn} TPG ${tpg.tag}`, problems);
      checkAuth(auth, `${iqn} TPG ${tpg.tag}`, problems);
      const acls = tpg.acls.map((a) => {
        const aAuth = mergeSecret(a.auth, sec?.acls?.[a.nodeWwn], `${iqn} ACL ${a.nodeWwn}`, problems);
        checkAuth(aAuth, `${iqn} ACL ${a.nodeWwn}`, problems);
        return { ...a, auth: aAuth };
      });
      for (const ini of Object.keys(sec?.acls ?? {})) {
        if (!t.tpgs.some((x) => x.acls.some((a) => a.nodeWwn === ini))) problems.push(`secrets file: ${iqn} has no ACL ${ini}`);
      }
      for (const l of tpg.luns) {
        const ref = l.storageObject;
        const so = ref && cfg.storageObjects.get(ref);
        if (!ref || !so) continue;
        if (so.kind === 'pscsi') { storageObjects.set(ref, so); continue; } // identity passed through from the device
        if (!so.wwn && !opts.deriveWwn) {
          problems.push(`${ref} has no "wwn": without a serial that is the same on every node initiator multipath breaks on failover (set it in the configuration, or derive_wwn=true)`);
        }
        storageObjects.set(ref, { ...so, wwn: so.wwn || deriveSerial(ref), productId: so.productId ?? so.name.slice(0, 16) });
      }
      return { ...tpg, auth, acls };
    });
    if (tpgs.length === 0) problems.push(`target ${iqn} has no TPG`);
    targets.set(iqn, { wwn: iqn, tpgs });
  }
  if (problems.length) throw new ConfigError(problems);
  return { storageObjects, targets };
}
