/** Which VG/LV a block device path names. Pure. */

export interface LvName {
  vg: string;
  lv: string;
}

/**
 * Split a device-mapper name of an LV ("vg-lv", with '-' inside either name
 * doubled) into VG and LV; null when it is not of that form.
 */
export function splitDmName(dm: string): LvName | null {
  for (let i = 0; i < dm.length; i++) {
    if (dm[i] !== '-') continue;
    if (dm[i + 1] === '-') {
      i++;
      continue;
    }
    const vg = dm.slice(0, i).replace(/--/g, '-');
    const lv = dm.slice(i + 1).replace(/--/g, '-');
    return vg && lv ? { vg, lv } : null;
  }
  return null;
}

/** /dev/<vg>/<lv> or /dev/mapper/<vg>-<lv>; null for other paths (resolve those through sysfs). */
export function lvFromDevicePath(path: string): LvName | null {
  const mapper = /^\/dev\/mapper\/([^/]+)$/.exec(path);
  if (mapper) return splitDmName(mapper[1]!);
  const direct = /^\/dev\/([^/]+)\/([^/]+)$/.exec(path);
  if (direct && !['mapper', 'disk', 'md', 'block', 'char', 'dri', 'input', 'net', 'pts', 'shm', 'snd', 'bus'].includes(direct[1]!)) {
    return { vg: direct[1]!, lv: direct[2]! };
  }
  return null;
}
