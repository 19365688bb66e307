import { readdirSync, readFileSync } from 'node:fs';
import type { Root } from './root.js';
import { splitDmName } from '../lvm/names.js';

/**
 * Device-mapper devices read from sysfs (<root>/sys/block/dm-N/dm/{name,uuid},
 * holders/, slaves/) — file reads, no dmsetup, so monitor and probes never fork.
 */
export interface DmDevice {
  /** Kernel name, dm-N. */
  kernel: string;
  name: string;
  uuid: string;
  /** Set for LVM devices (uuid LVM-...). */
  vg?: string;
  lv?: string;
  layer?: string;
  /** Kernel names of devices stacked on this one (another dm, md...). */
  holders: string[];
  /** Kernel names of devices below (drbd0, sda...). */
  slaves: string[];
  suspended: boolean;
}

// Sync reads: sysfs attributes answer from memory, and each async call is a thread-pool round trip.
const readTrim = async (p: string) => readFileSync(p, 'utf8').trim();
const listOrEmpty = async (p: string) => {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
};

export async function listDmDevices(root: Root): Promise<DmDevice[]> {
  const sysBlock = root.path('/sys/block');
  const names = (await listOrEmpty(sysBlock)).filter((n) => /^dm-\d+$/.test(n));
  const out: DmDevice[] = [];
  for (const kernel of names) {
    const base = `${sysBlock}/${kernel}`;
    let name: string;
    try {
      name = await readTrim(`${base}/dm/name`);
    } catch {
      continue; // removed while we looked
    }
    const uuid = await readTrim(`${base}/dm/uuid`).catch(() => '');
    const suspended = (await readTrim(`${base}/dm/suspended`).catch(() => '0')) === '1';
    const lvmName = uuid.startsWith('LVM-') ? splitDmName(name) : undefined;
    out.push({
      kernel, name, uuid, suspended,
      vg: lvmName?.vg, lv: lvmName?.lv, layer: lvmName?.layer,
      holders: await listOrEmpty(`${base}/holders`),
      slaves: await listOrEmpty(`${base}/slaves`),
    });
  }
  return out.sort((a, b) => Number(a.kernel.slice(3)) - Number(b.kernel.slice(3)));
}

/** Every dm device of the VG (LVs and their hidden layers). */
export async function vgDmDevices(root: Root, vg: string): Promise<DmDevice[]> {
  return (await listDmDevices(root)).filter((d) => d.vg === vg);
}

/** DRBD minors under a set of dm devices (slaves named drbdN). */
export function drbdMinorsBelow(devs: readonly DmDevice[]): number[] {
  const minors = new Set<number>();
  for (const d of devs) for (const s of d.slaves) {
    const m = /^drbd(\d+)$/.exec(s);
    if (m) minors.add(Number(m[1]));
  }
  return [...minors].sort((a, b) => a - b);
}
