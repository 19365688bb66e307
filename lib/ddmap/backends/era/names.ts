/**
 * Names of the era layer of one exported LV (pure, validated):
 *
 *   /dev/<vg>/<lv>               origin: the data LV
 *   /dev/<vg>/<lv>_eramd         era metadata LV, same VG (moves with it on failover)
 *   /dev/mapper/era-<vg>-<lv>    the era device LIO's backstore opens (udev_path)
 *
 * Inside <vg> and <lv> every '-' is doubled, as LVM does for its own dm names, so the
 * name splits back unambiguously; an LVM dm name never has the single '-' that follows
 * "era-<vg>", so no LVM volume can ever be mistaken for an era device.
 */
import { isLvmName } from '../../../names.js';
import { nameSum } from '../../format.js';

export const ERA_PREFIX = 'era-';
export const METADATA_SUFFIX = '_eramd';
/** dm-era block size: 32 sectors = 16 KiB, one ddmap bit. */
export const ERA_BLOCK_SECTORS = 32;
/** Device-mapper names are at most 127 bytes (DM_NAME_LEN 128 with the NUL). */
const DM_NAME_MAX = 127;
/** dm uuid of every era device lioha creates: identifies ours in `dmsetup ls`. */
export const ERA_UUID_PREFIX = 'LIOHA-ERA-';

export class EraNameError extends Error {
  override name = 'EraNameError';
}

const esc = (s: string): string => s.replace(/-/g, '--');

function check(vg: string, lv: string): void {
  if (!isLvmName(vg)) throw new EraNameError(`invalid volume group name ${JSON.stringify(vg)}`);
  if (!isLvmName(lv)) throw new EraNameError(`invalid logical volume name ${JSON.stringify(lv)}`);
  if (lv.endsWith(METADATA_SUFFIX)) throw new EraNameError(`${vg}/${lv} is an era metadata volume, not a data volume`);
}

/** era-<vg>-<lv> ('-' doubled inside the names). */
export function eraDeviceName(vg: string, lv: string): string {
  check(vg, lv);
  const name = `${ERA_PREFIX}${esc(vg)}-${esc(lv)}`;
  if (Buffer.byteLength(name) > DM_NAME_MAX) throw new EraNameError(`era device name for ${vg}/${lv} would exceed ${DM_NAME_MAX} bytes`);
  return name;
}

/** Where LIO's backstore points: /dev/mapper/era-<vg>-<lv>. */
export function eraDevicePath(vg: string, lv: string): string {
  return `/dev/mapper/${eraDeviceName(vg, lv)}`;
}

/** <lv>_eramd, in the same VG. */
export function eraMetadataLvName(lv: string): string {
  if (!isLvmName(lv) || lv.endsWith(METADATA_SUFFIX)) throw new EraNameError(`invalid logical volume name ${JSON.stringify(lv)}`);
  const md = `${lv}${METADATA_SUFFIX}`;
  if (md.length > DM_NAME_MAX) throw new EraNameError(`era metadata volume name for ${lv} would exceed ${DM_NAME_MAX} characters`);
  return md;
}

/** dm uuid of the era device (stable for the LV; dm uuids are at most 128 bytes). */
export function eraDeviceUuid(vg: string, lv: string): string {
  return `${ERA_UUID_PREFIX}${eraDeviceName(vg, lv).slice(ERA_PREFIX.length)}`.slice(0, DM_NAME_MAX);
}

/** VG and LV of an era device name; null for any other dm name. */
export function parseEraDeviceName(name: string): { vg: string; lv: string } | null {
  if (!name.startsWith(ERA_PREFIX)) return null;
  const rest = name.slice(ERA_PREFIX.length);
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '-') continue;
    if (rest[i + 1] === '-') {
      i++;
      continue;
    }
    const vg = rest.slice(0, i).replace(/--/g, '-');
    const lv = rest.slice(i + 1);
    // The LV part must be a well-formed escaped name: no single '-' left in it.
    if (lv.replace(/--/g, '').includes('-')) return null;
    const lvName = lv.replace(/--/g, '-');
    if (!isLvmName(vg) || !isLvmName(lvName)) return null;
    return { vg, lv: lvName };
  }
  return null;
}

/** name_sum in the header of every era image of vg/lv (the byte sum of the era device name). */
export function eraNameSum(vg: string, lv: string): number {
  return nameSum(eraDeviceName(vg, lv));
}

/** Map words for a volume: one bit per started 16 KiB segment, rounded up to whole words. */
export function eraMapWords(sizeBytes: bigint): number {
  if (sizeBytes < 0n) throw new RangeError(`negative volume size ${sizeBytes}`);
  const segments = (sizeBytes + 16383n) >> 14n;
  const words = (segments + 31n) >> 5n;
  if (words > 0xffffffffn) throw new RangeError(`volume of ${sizeBytes} bytes is too large for a ddmap image`);
  return Number(words);
}
