/**
 * Reading what an era device recorded: roll the era over and read the blocks written since a
 * given era from a metadata snapshot, as a ddmap image. Shared by the agent's stop (capture)
 * and by `lioha backup` (through api.ts).
 */
import { FORMAT_VERSION, type DdmapImage } from '../../format.js';
import { dmName } from '../../../lvm/names.js';
import type { Root } from '../../../sys/root.js';
import { type EraCommands, type EraLayer, lvUuidOf } from './dm.js';
import { markInvalidatedBlocks } from './invalidate-xml.js';
import type { EraPoint } from './mark.js';
import { eraMapWords, eraNameSum } from './names.js';

export class EraNotActiveError extends Error {
  override name = 'EraNotActiveError';
}

/** `since` belongs to other metadata (the metadata LV was recreated): the change map is unknown. */
export class EraMismatchError extends Error {
  override name = 'EraMismatchError';
}

/** The identity of the layer's metadata, or why the layer cannot be read. */
export function activeLayer(layer: EraLayer): Required<Pick<EraLayer, 'data' | 'meta' | 'era'>> & EraLayer {
  if (!layer.era) throw new EraNotActiveError(`era device ${layer.eraName} does not exist on this node`);
  if (!layer.meta) throw new EraNotActiveError(`era metadata volume ${layer.vg}/${layer.metadataLv} is not active`);
  if (!layer.data) throw new EraNotActiveError(`logical volume ${layer.vg}/${layer.lv} is not active`);
  return layer as Required<Pick<EraLayer, 'data' | 'meta' | 'era'>> & EraLayer;
}

export function metadataUuid(layer: EraLayer): string {
  if (!layer.meta) throw new EraNotActiveError(`era metadata volume ${layer.vg}/${layer.metadataLv} is not active`);
  return lvUuidOf(layer.meta);
}

/** Start a new era; writes from now on are in eras >= the returned one. */
export async function rollOver(cmds: EraCommands, layer: EraLayer, timeoutMs: number): Promise<EraPoint> {
  const l = activeLayer(layer);
  await cmds.message(l.eraName, 'checkpoint', timeoutMs);
  const st = await cmds.status(l.eraName, timeoutMs);
  return { era: st.era, metadataUuid: metadataUuid(l) };
}

export interface ChangedSince {
  image: DdmapImage;
  /** Writes from the capture on are in eras >= this point. */
  next: EraPoint;
  /** Blocks era_invalidate listed. */
  listed: number;
}

/**
 * The segments written in eras >= since.era, up to now: take a metadata snapshot (the kernel
 * rolls the era over with it), list the blocks from the snapshot, drop the snapshot. A snapshot
 * left held by a killed capture is dropped first (only one can be held).
 */
export async function changedSince(cmds: EraCommands, root: Root, layer: EraLayer, since: EraPoint, timeoutMs: number): Promise<ChangedSince> {
  const l = activeLayer(layer);
  const uuid = metadataUuid(l);
  if (since.metadataUuid !== uuid) {
    throw new EraMismatchError(`era history of ${l.vg}/${l.lv} began anew (metadata ${uuid}, mark for ${since.metadataUuid}): a full read is needed`);
  }
  try {
    await cmds.message(l.eraName, 'take_metadata_snap', timeoutMs);
  } catch (e) {
    // Only one snapshot can be held: drop one a killed capture left, then take ours.
    if (!(await cmds.status(l.eraName, timeoutMs)).snapHeld) throw e;
    await cmds.message(l.eraName, 'drop_metadata_snap', timeoutMs);
    await cmds.message(l.eraName, 'take_metadata_snap', timeoutMs);
  }
  let xml: string;
  let after;
  try {
    after = await cmds.status(l.eraName, timeoutMs);
    if (since.era > after.era) {
      throw new EraMismatchError(`era mark ${since.era} of ${l.vg}/${l.lv} is ahead of the device's era ${after.era}: a full read is needed`);
    }
    xml = await cmds.writtenSince(root.path(`/dev/mapper/${dmName(l.vg, l.metadataLv)}`), since.era, true, timeoutMs);
  } finally {
    await cmds.message(l.eraName, 'drop_metadata_snap', timeoutMs);
  }
  const mapSize = eraMapWords(l.data.sectors << 9n);
  const words = new Uint32Array(mapSize);
  const listed = markInvalidatedBlocks(xml, words);
  return {
    image: { header: { version: FORMAT_VERSION, nameSum: eraNameSum(l.vg, l.lv), mapSize }, words },
    next: { era: after.era, metadataUuid: uuid },
    listed,
  };
}
