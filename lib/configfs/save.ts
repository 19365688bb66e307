/**
 * Dumps live targets in targetcli's saveconfig.json format (what `targetcli saveconfig`
 * writes), so admins can design with targetcli and hand the result to the agent.
 */
import type { ConfigFs } from './io.js';
import { ISCSI_DIR } from './layout.js';
import { readStorageObjects, readTarget, type InfoDetails } from './reader.js';
import { dumpSaveConfig } from './saveconfig.js';
import type { LiveStorageObject, StorageObject, StorageObjectRef, Target } from './model.js';

const IGNORED = new Set(['discovery_auth', 'lio_version', 'cpus_allowed_list']);

export async function listTargets(cfs: ConfigFs): Promise<string[]> {
  if (!(await cfs.exists(ISCSI_DIR))) return [];
  return (await cfs.readdir(ISCSI_DIR)).filter((n) => !IGNORED.has(n)).sort();
}

function toConfig(live: LiveStorageObject, d: InfoDetails): StorageObject {
  const common = { name: live.name, attributes: live.attributes, ...(live.wwn ? { wwn: live.wwn } : {}), ...(live.alua ? { alua: live.alua } : {}) };
  switch (live.kind) {
    case 'block': return { kind: 'block', ...common, dev: live.dev, readonly: d.readonly ?? false };
    case 'fileio': return { kind: 'fileio', ...common, dev: live.dev, size: d.size ?? 0, writeBack: d.writeBack ?? true, aio: d.aio ?? false };
    case 'ramdisk': return { kind: 'ramdisk', ...common, size: d.size ?? 0, nullio: d.nullio ?? false };
    case 'pscsi': return { kind: 'pscsi', ...common, dev: live.dev };
  }
}

/** `iqns` empty: every iSCSI target on the node. Only the storage objects they use are dumped. */
export async function saveLive(cfs: ConfigFs, iqns: readonly string[]): Promise<string> {
  const names = iqns.length ? iqns : await listTargets(cfs);
  const targets: Target[] = [];
  for (const iqn of names) {
    const t = await readTarget(cfs, iqn, 'full');
    if (!t) throw new Error(`target ${iqn} does not exist`);
    targets.push(t);
  }
  const refs = new Set<StorageObjectRef>();
  for (const t of targets) for (const tpg of t.tpgs) for (const l of tpg.luns) if (l.storageObject) refs.add(l.storageObject);
  const { storageObjects, details } = await readStorageObjects(cfs, { refs, attributes: 'all', info: true });
  const sos = [...refs].sort().flatMap((r) => {
    const so = storageObjects.get(r);
    return so ? [toConfig(so, details.get(r) ?? {})] : [];
  });
  return dumpSaveConfig(sos, targets);
}
