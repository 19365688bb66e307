/**
 * Clashes between the targets of different groups that only show when a failover brings the
 * groups onto one node, found from their saveconfig files instead: the same backstore, the same
 * backing device, the same NAA id (desired.ts's rule, applied across files), and network portals
 * the kernel cannot bind side by side (a wildcard and a specific address on one port exclude each
 * other across all targets of a node: network-portals.ts). Pure: parsed configurations in, one
 * message per clash out, verdict first, naming both groups, both files and the object.
 *
 * Only objects a group owns count (the targets its description lists, the storage objects their
 * LUNs use): anything else in a file is never created by that group. Clashes inside one group
 * show at its first start on any node; the target agent names those itself.
 */
import { deriveSerial, describeClash, naaClashes } from '../configfs/desired.js';
import { excludes, serves, type NpAddress } from '../configfs/network-portals.js';
import { portalDirName, type StorageObjectRef, type Target } from '../configfs/model.js';
import type { SaveConfig } from '../configfs/saveconfig.js';

/** One target resource of a group: its targets from one configuration, as read on this machine. */
export interface ResourceConfig {
  readonly group: string;
  /** The configuration's path as the description names it. */
  readonly config: string;
  readonly iqns: readonly string[];
  /** The target resource's derive_wwn: a storage object without "wwn" gets deriveSerial(ref). */
  readonly deriveWwn: boolean;
  readonly cfg: SaveConfig;
}

/**
 * A group's service addresses: the portal resources create an np for each (unless a wildcard of the
 * group serves it). `daemon`: a userspace listener binds them instead (lioha-portald's discovery
 * address), whatever the configurations hold; it excludes a wildcard np on its port the same way.
 */
export interface GroupPortals {
  readonly group: string;
  readonly addresses: readonly NpAddress[];
  readonly daemon?: string;
}

interface OwnedObject { readonly ref: StorageObjectRef; readonly dev: string; readonly serial: string | undefined }
interface Listener { readonly np: NpAddress; readonly what: string }

/** A target as the agent would select it: not one the configuration marks broken or foreign (selectDesired refuses those). */
function usable(r: ResourceConfig, iqn: string): Target | undefined {
  return r.cfg.broken.has(iqn) || r.cfg.foreign.has(iqn) ? undefined : r.cfg.targets.get(iqn);
}

/** Targets of `r` that its configuration does not hold usably, and why (for notes: their objects go unchecked). */
export function unownable(r: ResourceConfig): string[] {
  const out: string[] = [];
  for (const iqn of r.iqns) {
    if (usable(r, iqn)) continue;
    const why = r.cfg.foreign.get(iqn) ?? r.cfg.broken.get(iqn)?.[0]?.text ?? 'not in the file';
    out.push(`target ${iqn} of group ${r.group} was not checked: ${r.config}: ${why}`);
  }
  return out;
}

function ownedObjects(r: ResourceConfig): OwnedObject[] {
  const refs = new Set<StorageObjectRef>();
  for (const iqn of r.iqns) for (const tpg of usable(r, iqn)?.tpgs ?? []) for (const l of tpg.luns) if (l.storageObject) refs.add(l.storageObject);
  const out: OwnedObject[] = [];
  for (const ref of refs) {
    const so = r.cfg.storageObjects.get(ref);
    // Broken (e.g. two files of a directory disagree) or foreign: the agent refuses it on every node, not a clash.
    if (!so || r.cfg.broken.has(ref)) continue;
    // pscsi passes the device's own identity through; without wwn or derive_wwn the kernel makes up a random serial.
    const serial = so.kind === 'pscsi' ? undefined : so.wwn ?? (r.deriveWwn ? deriveSerial(ref) : undefined);
    out.push({ ref, dev: 'dev' in so ? so.dev : '', serial });
  }
  return out;
}

/** The network portals a group's targets list in their configurations. */
function configListeners(r: ResourceConfig): Listener[] {
  const out: Listener[] = [];
  for (const iqn of r.iqns) {
    for (const tpg of usable(r, iqn)?.tpgs ?? []) {
      for (const p of tpg.portals) out.push({ np: { ip: p.ip, port: p.port }, what: `${portalDirName(p)} of ${iqn} (group ${r.group}, ${r.config})` });
    }
  }
  return out;
}

const where = (r: ResourceConfig) => `group ${r.group} (${r.config})`;

export function identityClashes(resources: readonly ResourceConfig[], portals: readonly GroupPortals[] = []): string[] {
  const out: string[] = [];
  const owned = resources.map((r) => ({ r, objects: ownedObjects(r) }));

  // The same backstore, or two backstores on the same device, in two groups.
  const byRef = new Map<string, ResourceConfig>();
  const byDev = new Map<string, { r: ResourceConfig; ref: string }>();
  for (const { r, objects } of owned) {
    for (const o of objects) {
      const first = byRef.get(o.ref);
      if (first && first.group !== r.group) {
        out.push(`backstore ${o.ref} is in two groups, ${where(first)} and ${where(r)}: on one node both would use one kernel object`);
      } else if (!first) byRef.set(o.ref, r);
      if (!o.dev) continue;
      const d = byDev.get(o.dev);
      if (d && d.r.group !== r.group && d.ref !== o.ref) {
        out.push(`device ${o.dev} is the backstore of two groups: ${d.ref} of ${where(d.r)} and ${o.ref} of ${where(r)}`);
      } else if (!d) byDev.set(o.dev, { r, ref: o.ref });
    }
  }

  // The same NAA id (VPD 0x83) from two groups: an initiator's multipath would merge two LUNs.
  const who = new Map<string, { group: string; ref: string }>();
  const serials: [string, string][] = [];
  for (const { r, objects } of owned) {
    for (const o of objects) {
      if (!o.serial) continue;
      const label = `${o.ref} of ${where(r)}`;
      who.set(label, { group: r.group, ref: o.ref });
      serials.push([label, o.serial]);
    }
  }
  for (const c of naaClashes(serials)) {
    const a = who.get(c.a)!;
    const b = who.get(c.b)!;
    // The same backstore in two groups is said above; within a group the agent says it at start.
    if (a.group !== b.group && a.ref !== b.ref) out.push(describeClash(c));
  }

  // Network portals the kernel refuses side by side: each group's listed portals and service addresses.
  const listeners = new Map<string, Listener[]>();
  for (const r of resources) {
    if (r.iqns.some((iqn) => usable(r, iqn))) listeners.set(r.group, [...(listeners.get(r.group) ?? []), ...configListeners(r)]);
  }
  for (const g of portals) {
    if (g.daemon) {
      const what = (a: NpAddress) => `${portalDirName(a)}, where ${g.daemon} of group ${g.group} listens`;
      listeners.set(g.group, [...(listeners.get(g.group) ?? []), ...g.addresses.map((a) => ({ np: a, what: what(a) }))]);
      continue;
    }
    const own = listeners.get(g.group);
    // A group with no target read here is not checked (its own wildcard may serve the address; a broken one never starts).
    if (!own) continue;
    for (const a of g.addresses) {
      // The portal agent adds no np where the group's targets list the address or a wildcard that serves it.
      if (own.some((l) => serves(l.np, a))) continue;
      own.push({ np: a, what: `${portalDirName(a)}, the service address of group ${g.group} (its portal resource's np)` });
    }
  }
  const groups = [...listeners.keys()];
  const said = new Set<string>();
  groups.forEach((ga, i) => {
    for (const gb of groups.slice(i + 1)) {
      for (const a of listeners.get(ga)!) {
        for (const b of listeners.get(gb)!) {
          if (!excludes(a.np, b.np)) continue;
          const key = `${a.what}\0${b.what}`;
          if (said.has(key)) continue;
          said.add(key);
          out.push(
            `network portals ${portalDirName(a.np)} and ${portalDirName(b.np)} exclude each other on one node ` +
              `(a wildcard and a specific address on port ${a.np.port}): ${a.what}; ${b.what}`,
          );
        }
      }
    }
  });
  return out;
}
