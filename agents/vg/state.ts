import { readFileSync } from 'node:fs';
import type { Root } from '../../lib/sys/root.js';
import { vgDmDevices, type DmDevice } from '../../lib/sys/dm.js';
import { aliasSet } from '../../lib/sys/openers.js';
import { mountAt, parseMounts, type MountEntry } from '../../lib/proc/mounts.js';
import { dmName, lvAliases } from '../../lib/lvm/names.js';
import type { VgConfig } from './config.js';

/** What the kernel says about this VG right now: dm devices and the metadata mount. File reads only. */
export interface VgState {
  devs: DmDevice[];
  /** Top-level LV devices (no hidden layers), by LV name. */
  lvs: Map<string, DmDevice>;
  mounts: MountEntry[];
  /** The mount on the configured mount point, if any. */
  mount?: MountEntry;
  /** Whether that mount is the metadata LV. */
  mountIsOurs: boolean;
}

/** Sync: /proc answers from memory, and an async read is four thread-pool round trips. */
export const readMounts = async (root: Root) => {
  try {
    return parseMounts(readFileSync(root.path('/proc/self/mounts'), 'utf8'));
  } catch {
    return parseMounts('');
  }
};

/** Device path the agent mounts and reads: /dev/mapper/<vg>-<lv>. */
export const mapperPath = (vg: string, lv: string) => `/dev/mapper/${dmName(vg, lv)}`;

export async function readVgState(root: Root, c: VgConfig): Promise<VgState> {
  const devs = await vgDmDevices(root, c.vg);
  const lvs = new Map(devs.filter((d) => !d.layer && d.lv).map((d) => [d.lv!, d]));
  const mounts = await readMounts(root);
  const mount = c.metadataLv ? mountAt(mounts, c.mountPoint) : undefined;
  let mountIsOurs = false;
  if (mount && c.metadataLv) {
    const aliases = await aliasSet(root, lvAliases(c.vg, c.metadataLv, lvs.get(c.metadataLv)?.kernel));
    mountIsOurs = aliases.has(mount.device);
  }
  return { devs, lvs, mounts, mount, mountIsOurs };
}
