/**
 * Compares the desired state of a resource with what is live. Pure. Each function returns
 * the first difference as a sentence an admin can act on, or undefined when they agree.
 * Secrets are compared but never quoted.
 */
import type { InfoDetails } from './reader.js';
import { DEVICE_DECIDED } from './attribute-decider.js';
import {
  ALUA_DEFAULT_GROUP, portalDirName, type Attributes, type ChapAuth, type DesiredState, type LiveState, type StorageObject, type StorageObjectRef, type Target,
} from './model.js';

/** Keys the running kernel does not have (undefined in `have`) are not differences: start reported them. */
function attrDiff(where: string, want: Attributes, have: Attributes, skip?: ReadonlySet<string>): string | undefined {
  for (const [k, v] of Object.entries(want)) {
    if (have[k] === undefined || skip?.has(k)) continue;
    if (have[k] !== v) return `${where}: ${k} is ${have[k]}, configured ${v}`;
  }
  return undefined;
}
/** Initiators change these with SET TARGET PORT GROUPS: applied at start, not policed. */
const ALUA_RUNTIME = new Set(['alua_access_state', 'alua_access_status']);

function authDiff(where: string, want: ChapAuth, have: ChapAuth): string | undefined {
  if (want.userid !== have.userid) return `${where}: CHAP userid is "${have.userid}", configured "${want.userid}"`;
  if (want.password !== have.password) return `${where}: CHAP password differs from the configuration`;
  if (want.mutualUserid !== have.mutualUserid) return `${where}: mutual CHAP userid is "${have.mutualUserid}", configured "${want.mutualUserid}"`;
  if (want.mutualPassword !== have.mutualPassword) return `${where}: mutual CHAP password differs from the configuration`;
  return undefined;
}

/** The storage object behind a LUN is the configured device and is enabled. */
export function storageObjectDiff(ref: StorageObjectRef, want: StorageObject, live: LiveState, full: boolean, details?: InfoDetails): string | undefined {
  const have = live.storageObjects.get(ref);
  if (!have) return `storage object ${ref} is missing`;
  if (!have.enabled) return `storage object ${ref} is not enabled`;
  if (want.kind !== 'ramdisk' && have.dev !== want.dev) return `storage object ${ref} uses ${have.dev || 'no device'}, configured ${want.dev}`;
  if (!full) return undefined;
  if (want.kind !== 'pscsi') {
    if (want.wwn && have.wwn !== want.wwn) return `storage object ${ref} has unit serial ${have.wwn || '(none)'}, configured ${want.wwn}`;
  }
  if (details && want.kind === 'block' && details.readonly !== undefined && details.readonly !== want.readonly) {
    return `storage object ${ref} is ${details.readonly ? 'read-only' : 'writable'}, configured ${want.readonly ? 'read-only' : 'writable'}`;
  }
  return attrDiff(`storage object ${ref}`, want.attributes, have.attributes, DEVICE_DECIDED)
    ?? (want.alua ? attrDiff(`storage object ${ref} ALUA ${ALUA_DEFAULT_GROUP}`, want.alua, have.alua ?? {}, ALUA_RUNTIME) : undefined);
}

/** Depth 0: target, enabled TPGs, LUNs linked to the configured, enabled devices. */
export function firstDifference(desired: DesiredState, live: LiveState, full: boolean, details?: Map<string, InfoDetails>): string | undefined {
  for (const [iqn, want] of desired.targets) {
    const have = live.targets.get(iqn);
    if (!have) return `target ${iqn} is missing`;
    const d = targetDiff(want, have, desired, live, full, details);
    if (d) return d;
  }
  return undefined;
}

function targetDiff(want: Target, have: Target, desired: DesiredState, live: LiveState, full: boolean, details?: Map<string, InfoDetails>): string | undefined {
  const iqn = want.wwn;
  if (full && want.parameters) {
    const d = attrDiff(`${iqn} parameter`, want.parameters, have.parameters ?? {});
    if (d) return d;
  }
  for (const wt of want.tpgs) {
    const ht = have.tpgs.find((t) => t.tag === wt.tag);
    const where = `${iqn} TPG ${wt.tag}`;
    if (!ht) return `${where} is missing`;
    if (!ht.enable) return `${where} is not enabled`;
    for (const wl of wt.luns) {
      const hl = ht.luns.find((l) => l.index === wl.index);
      if (!hl) return `${where} LUN ${wl.index} is missing`;
      if (hl.storageObject !== wl.storageObject) return `${where} LUN ${wl.index} is backed by ${hl.storageObject ?? 'no device'}, configured ${wl.storageObject}`;
      const so = desired.storageObjects.get(wl.storageObject!);
      if (so) {
        const d = storageObjectDiff(wl.storageObject!, so, live, full, details?.get(wl.storageObject!));
        if (d) return `${where} LUN ${wl.index}: ${d}`;
      }
    }
    if (!full) continue;
    for (const hl of ht.luns) if (!wt.luns.some((l) => l.index === hl.index)) return `${where} has LUN ${hl.index}, which is not configured`;
    let d = attrDiff(`${where} attribute`, wt.attributes, ht.attributes) ?? attrDiff(`${where} parameter`, wt.parameters, ht.parameters) ?? authDiff(where, wt.auth, ht.auth);
    if (d) return d;
    for (const wp of wt.portals) {
      const hp = ht.portals.find((p) => p.ip === wp.ip && p.port === wp.port);
      if (!hp) return `${where} portal ${portalDirName(wp)} is missing`;
      if (hp.iser !== wp.iser) return `${where} portal ${portalDirName(wp)} has iser=${hp.iser ? 1 : 0}, configured ${wp.iser ? 1 : 0}`;
    }
    for (const hp of ht.portals) if (!wt.portals.some((p) => p.ip === hp.ip && p.port === hp.port)) return `${where} has portal ${portalDirName(hp)}, which is not configured`;
    for (const wa of wt.acls) {
      const ha = ht.acls.find((a) => a.nodeWwn === wa.nodeWwn);
      const aw = `${where} ACL ${wa.nodeWwn}`;
      if (!ha) return `${aw} is missing`;
      d = attrDiff(`${aw} attribute`, wa.attributes, ha.attributes) ?? authDiff(aw, wa.auth, ha.auth);
      if (d) return d;
      if ((wa.tag ?? '') !== (ha.tag ?? '')) return `${aw}: tag is "${ha.tag ?? ''}", configured "${wa.tag ?? ''}"`;
      if (wa.cmdsnDepth !== undefined && ha.cmdsnDepth !== wa.cmdsnDepth) return `${aw}: cmdsn_depth is ${ha.cmdsnDepth}, configured ${wa.cmdsnDepth}`;
      for (const wm of wa.mappedLuns) {
        const hm = ha.mappedLuns.find((m) => m.index === wm.index);
        if (!hm) return `${aw} mapped LUN ${wm.index} is missing`;
        if (hm.tpgLun !== wm.tpgLun) return `${aw} mapped LUN ${wm.index} points to ${hm.tpgLun < 0 ? 'nothing' : `LUN ${hm.tpgLun}`}, configured LUN ${wm.tpgLun}`;
        if (hm.writeProtect !== wm.writeProtect) return `${aw} mapped LUN ${wm.index} is ${hm.writeProtect ? 'write-protected' : 'writable'}, configured ${wm.writeProtect ? 'write-protected' : 'writable'}`;
      }
      for (const hm of ha.mappedLuns) if (!wa.mappedLuns.some((m) => m.index === hm.index)) return `${aw} has mapped LUN ${hm.index}, which is not configured`;
    }
    for (const ha of ht.acls) if (!wt.acls.some((a) => a.nodeWwn === ha.nodeWwn)) return `${where} has ACL ${ha.nodeWwn}, which is not configured`;
  }
  if (full) for (const ht of have.tpgs) if (!want.tpgs.some((t) => t.tag === ht.tag)) return `${iqn} has TPG ${ht.tag}, which is not configured`;
  return undefined;
}

export type Presence = { state: 'absent' } | { state: 'present' } | { state: 'partial'; reason: string };

/**
 * Whether any of a resource's objects exist. Storage objects count only when no target outside
 * this resource uses them (a shared one is another resource's, not a leftover of ours).
 */
export function presence(desired: DesiredState, live: LiveState): Presence {
  const owned = new Set(desired.targets.keys());
  const present = [...desired.targets.keys()].filter((t) => live.targets.has(t));
  const leftovers = [...desired.storageObjects.keys()].filter((ref) => {
    if (!live.storageObjects.has(ref)) return false;
    const users = live.users.get(ref);
    return !users || [...users].every((u) => owned.has(u));
  });
  if (present.length === 0 && leftovers.length === 0) return { state: 'absent' };
  if (present.length === 0) return { state: 'partial', reason: `no target is live but storage object ${leftovers[0]} is left over` };
  const missing = [...desired.targets.keys()].find((t) => !live.targets.has(t));
  if (missing) return { state: 'partial', reason: `target ${present[0]} is live but ${missing} is missing` };
  return { state: 'present' };
}
