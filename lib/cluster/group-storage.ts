/**
 * State that must move with a volume group's group: the target's APTPL files (pr_dir) and
 * ddmap's maps (<state_dir>/<vg>). The place both nodes reach after a switchover is the vg
 * agent's metadata filesystem; a description that puts them elsewhere gets a note in the
 * script header (it may be shared storage the description cannot see, so it is not refused).
 * Pure: reads the description only.
 */
import { posix } from 'node:path';
import type { VolumeGroupSpec } from './description.js';

/** The vg agent's defaults (agents/vg/config.ts, agents/ddmap/definition.ts). */
const metadataMountDefault = (vg: string) => `/mnt/iscsi-target/${vg}`;
const DDMAP_STATE_DIR_DEFAULT = '/mnt/iscsi-target';

const clean = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');
const under = (p: string, dir: string) => { const a = clean(p); const d = clean(dir); return a === d || a.startsWith(d === '/' ? '/' : `${d}/`); };

/** Where the vg resource mounts the group's metadata filesystem, or undefined when it mounts none. */
export function metadataMount(v: VolumeGroupSpec): string | undefined {
  const vg = v.params.vg ?? {};
  if (!(vg['metadata_lv'] ?? '').trim()) return undefined;
  return clean((vg['mount_point'] ?? '').trim() || metadataMountDefault(v.vg));
}

/** Whether `path` is on the group's metadata filesystem (where only the node running the group has it mounted). */
export function onMetadataFilesystem(v: VolumeGroupSpec, path: string): boolean {
  const mount = metadataMount(v);
  return mount !== undefined && under(path, mount);
}

/** Notes for state that would stay on one node: pr_dir or ddmap's directory off the metadata filesystem. */
export function groupStorageNotes(v: VolumeGroupSpec): string[] {
  const mount = metadataMount(v);
  const off = mount ? `is not on the metadata filesystem of ${v.vg} (${mount})` : `is on no metadata filesystem (${v.vg} mounts none: params.vg.metadata_lv)`;
  const notes: string[] = [];
  const prDir = (v.params.target?.['pr_dir'] ?? '').trim();
  if (prDir && !(mount && under(prDir, mount))) {
    notes.push(`volume group ${v.vg}: target pr_dir ${prDir} ${off}; persistent reservations survive a switchover only if both nodes reach that directory`);
  }
  if (v.ddmap) {
    const dir = posix.join((v.params.ddmap?.['state_dir'] ?? '').trim() || DDMAP_STATE_DIR_DEFAULT, v.vg);
    if (!(mount && under(dir, mount))) {
      notes.push(`volume group ${v.vg}: ddmap keeps its maps in ${dir}, which ${off}; unless both nodes reach it, the first backup after a failover reads everything`);
    }
  }
  return notes;
}
