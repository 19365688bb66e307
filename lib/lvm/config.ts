/**
 * The `--config` string every lvm command of the agent carries. LVM on DRBD must
 * see the PV only through /dev/drbd*: the backing disk carries the same PV label,
 * and if LVM scans it the VG shows duplicate PVs or, worse, is activated on the
 * stale backing device. So the filter accepts /dev/drbd* (and what the admin adds)
 * and rejects everything else, for both filter and global_filter, and the devices
 * file is switched off so it cannot widen the set.
 */
export interface LvmConfigOptions {
  /** Extra accepted device path regexes (extra_devices). */
  extraAccept?: readonly string[];
  /** activation/volume_list (tagging mode: ["@tag"]). */
  volumeList?: readonly string[];
  /** local/extra_system_ids: lets this host take over a VG owned by another system ID. */
  extraSystemIds?: readonly string[];
  /** udev is not running: LVM must create device nodes itself and not wait for udev. */
  noUdev?: boolean;
}

export const DRBD_ACCEPT = ['^/dev/drbd[0-9]+$', '^/dev/drbd/by-res/', '^/dev/drbd/by-disk/'] as const;

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** A `|regex|` LVM filter rule; `|` cannot appear inside, so pick a free delimiter. */
export function filterRule(kind: 'a' | 'r', regex: string): string {
  const delim = ['|', '#', '!', '%', '@'].find((d) => !regex.includes(d));
  if (!delim) throw new Error(`cannot quote LVM filter regex ${regex}`);
  return q(`${kind}${delim}${regex}${delim}`);
}

export function buildLvmConfig(o: LvmConfigOptions = {}): string {
  const rules = [...DRBD_ACCEPT, ...(o.extraAccept ?? [])].map((r) => filterRule('a', r));
  rules.push(filterRule('r', '.*'));
  const filter = `[${rules.join(',')}]`;
  const parts = [`devices{filter=${filter} global_filter=${filter} use_devicesfile=0${o.noUdev ? ' obtain_device_list_from_udev=0' : ''}}`];
  const activation: string[] = [];
  if (o.volumeList) activation.push(`volume_list=[${o.volumeList.map(q).join(',')}]`);
  if (o.noUdev) activation.push('udev_sync=0 udev_rules=0');
  if (activation.length) parts.push(`activation{${activation.join(' ')}}`);
  if (o.extraSystemIds?.length) parts.push(`local{extra_system_ids=[${o.extraSystemIds.map(q).join(',')}]}`);
  return parts.join(' ');
}

/** extra_devices parameter: space-separated regexes, each checked to compile. */
export function parseExtraDevices(s: string | undefined): string[] {
  const list = (s ?? '').split(/\s+/).filter(Boolean);
  for (const r of list) new RegExp(r); // throws SyntaxError naming the regex
  return list;
}
