import type { TreeEntry } from './configfs-tree.js';
import { KNOWN_KERNEL_ONLY } from './fidelity-ignore.js';

// Comparing what two builders (the agent, targetctl) made on the real kernel: trees object by object, saved
// documents up to list order. Used by save-restore.lab.ts and corpus.lab.ts.

/** HBA directory names are picked by whoever creates the objects: compare core/<plugin>/<object>. */
export function byObject(t: Map<string, TreeEntry>): Map<string, TreeEntry> {
  const norm = (s: string) => s.replace(/core\/([a-z_]+?)_\d+\//g, 'core/$1/');
  const out = new Map<string, TreeEntry>();
  for (const [p, e] of t) {
    if (/^\.\/core\/[a-z_]+_\d+(\/hba_(info|mode))?$/.test(p)) continue; // the HBA itself
    out.set(norm(p), { ...e, path: norm(p), detail: norm(e.detail) });
  }
  return out;
}

/** Lists sorted by identity: rtslib lists objects in configfs readdir order, lioha in index order. */
export function canonical(v: any): any {
  if (Array.isArray(v)) {
    const key = (x: any) => JSON.stringify([x?.index, x?.node_wwn, x?.tag, x?.name, x?.ip_address, x?.port, x?.wwn]);
    return v.map(canonical).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

/**
 * Paths not compared between two builds: what the kernel derives (fidelity-ignore.ts), session membership and
 * statistics, and discovery auth, which is node-global (fabric_modules): the agent never writes it, while
 * targetctl restore writes rtslib's 'NULL' for an empty discovery user or password.
 */
export const builderIgnore = (p: string) => KNOWN_KERNEL_ONLY(p) || /\/members$/.test(p) || /\/statistics\//.test(p) || /^\.\/iscsi\/discovery_auth\//.test(p);
