/**
 * `lioha ddmap merge`: OR many dumps (and optionally the live map) into one
 * target file, with the Amherst tool's checks and messages. The target is
 * replaced atomically.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { type DdmapImage, DdmapFormatError, decodeImage, encodeImage } from './format.js';
import { MergeRefusedError, mergeImage, mergeRefusal } from './merge.js';

export interface MergeSource {
  label: string;
  image: DdmapImage;
}

export async function readImageFile(path: string): Promise<DdmapImage> {
  const buf = await readFile(path);
  try {
    return decodeImage(buf);
  } catch (e) {
    if (e instanceof DdmapFormatError) throw new DdmapFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Target image or null when the file does not exist. */
export async function readTarget(path: string): Promise<DdmapImage | null> {
  try {
    return await readImageFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Merge `sources` into the file at `targetPath`. Sources are applied in
 * ascending map size (older, smaller dumps of a grown volume first). Every
 * check is done before anything is written: a refused source leaves the
 * target untouched.
 */
export async function mergeIntoFile(targetPath: string, sources: readonly MergeSource[], say: (line: string) => void = () => undefined): Promise<DdmapImage> {
  let acc = await readTarget(targetPath);
  if (acc === null) say('target does not exist creating new file');
  if (acc === null && sources.length === 0) throw new MergeRefusedError('nothing to merge: no target and no source');
  const ordered = sources.map((s, i) => ({ s, i })).sort((a, b) => a.s.image.header.mapSize - b.s.image.header.mapSize || a.i - b.i);
  for (const { s } of ordered) {
    if (acc !== null) {
      const refusal = mergeRefusal(acc.header, s.image.header);
      if (refusal) throw new MergeRefusedError(`${s.label}: ${refusal}`);
      say(`${s.label}: name sum matches on source and target good`);
      say(`${s.label}: source is greater or equal to target size good`);
    }
    say(`${s.label}: source map_size ${s.image.header.mapSize} target map_size ${acc?.header.mapSize ?? 0}`);
    acc = mergeImage(acc, s.image);
  }
  await writeFileAtomic(targetPath, encodeImage(acc!));
  say('merge completed');
  return acc!;
}
