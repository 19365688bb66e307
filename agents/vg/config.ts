import type { ParamsOf } from '../../lib/definition.js';
import { Failure } from '../../lib/failure.js';
import { isLvmName } from '../../lib/names.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { parseExtraDevices } from '../../lib/lvm/config.js';
import type { definition } from './definition.js';

/** The agent's parameters, checked and with derived defaults filled in. Pure. */
export interface VgConfig {
  vg: string;
  drbdResource?: string;
  requireUptodate: boolean;
  mode: 'system_id' | 'tagging';
  tag: string;
  metadataLv?: string;
  mountPoint: string;
  fstype: string;
  mountOptions?: string;
  forceUnmount: boolean;
  extraDevices: string[];
  monitorLv?: string;
}

const bad = (reason: string) => new Failure('config', reason);

function lvmName(what: string, v: string): string {
  if (!isLvmName(v)) {
    throw bad(`parameter ${what}: '${v}' is not a valid LVM name (letters, digits, + _ . -, not starting with -)`);
  }
  return v;
}

export function vgConfig(p: ParamsOf<typeof definition>): VgConfig {
  const vg = lvmName('vgname', p.vgname);
  const metadataLv = p.metadata_lv ? lvmName('metadata_lv', p.metadata_lv) : undefined;
  const monitorLv = p.monitor_lv ? lvmName('monitor_lv', p.monitor_lv) : undefined;
  const mountPoint = (p.mount_point || `/mnt/iscsi-target/${vg}`).replace(/\/+$/, '') || '/';
  if (!mountPoint.startsWith('/') || mountPoint === '/' || mountPoint.split('/').includes('..')) {
    throw bad(`parameter mount_point: '${p.mount_point}' must be an absolute path other than /`);
  }
  if (!/^[a-z0-9_.]+$/.test(p.fstype)) throw bad(`parameter fstype: '${p.fstype}' is not a filesystem type`);
  if (p.mount_options !== undefined && /\s/.test(p.mount_options)) {
    throw bad('parameter mount_options: must be one comma-separated list without spaces');
  }
  if (p.drbd_resource !== undefined && !/^[A-Za-z0-9_.+-]+$/.test(p.drbd_resource)) {
    throw bad(`parameter drbd_resource: '${p.drbd_resource}' is not a DRBD resource name`);
  }
  if (!/^[A-Za-z0-9+_.-]+$/.test(p.tag)) throw bad(`parameter tag: '${p.tag}' is not a valid LVM tag`);
  let extraDevices: string[];
  try {
    extraDevices = parseExtraDevices(p.extra_devices);
  } catch (e) {
    throw bad(`parameter extra_devices: ${(e as Error).message}`);
  }
  return {
    vg,
    drbdResource: p.drbd_resource || undefined,
    requireUptodate: p.require_uptodate,
    mode: p.vg_access_mode,
    tag: p.tag,
    metadataLv,
    mountPoint,
    fstype: p.fstype,
    mountOptions: p.mount_options || undefined,
    forceUnmount: p.force_unmount,
    extraDevices,
    monitorLv,
  };
}
