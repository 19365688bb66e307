/**
 * OR-merge of change maps, with the checks of the Amherst `ddmap -s src -t dst`
 * tool: a source merges into a target only when both name sums match (same
 * target and LUN) and the source map is not smaller than the target (a smaller
 * source predates a resize; its bits cannot describe the grown volume).
 */
import { type DdmapImage, DdmapFormatError } from './format.js';

export class MergeRefusedError extends Error {
  override name = 'MergeRefusedError';
}

/** Why `source` may not merge into `target`, or null when it may. */
export function mergeRefusal(target: DdmapImage['header'], source: DdmapImage['header']): string | null {
  if (source.nameSum !== target.nameSum) {
    return `name sum differs: source 0x${hex(source.nameSum)}, target 0x${hex(target.nameSum)} (maps of different LUNs)`;
  }
  if (source.mapSize < target.mapSize) {
    return `source map (${source.mapSize} words) is smaller than the target (${target.mapSize} words)`;
  }
  return null;
}

/**
 * OR `source` into `target` over target's length. Unrolled by eight: V8 keeps
 * the loop in 32-bit registers and runs it at memory speed (several GB/s),
 * about twice the simple loop and faster than BigUint64Array.
 */
export function orInto(target: Uint32Array, source: Uint32Array): void {
  const n = target.length;
  if (source.length < n) throw new RangeError(`source has ${source.length} words, target ${n}`);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    target[i]! |= source[i]!;
    target[i + 1]! |= source[i + 1]!;
    target[i + 2]! |= source[i + 2]!;
    target[i + 3]! |= source[i + 3]!;
    target[i + 4]! |= source[i + 4]!;
    target[i + 5]! |= source[i + 5]!;
    target[i + 6]! |= source[i + 6]!;
    target[i + 7]! |= source[i + 7]!;
  }
  for (; i < n; i++) target[i]! |= source[i]!;
}

/**
 * Merge `source` into `target` (or start from a copy of source when there is
 * no target yet: "target does not exist creating new file"). The result takes
 * the source's size, so a grown volume's map grows with it. `target` is
 * modified in place when its size does not change.
 */
export function mergeImage(target: DdmapImage | null, source: DdmapImage): DdmapImage {
  if (source.words.length !== source.header.mapSize) throw new DdmapFormatError('source map length does not match its header');
  if (target === null) return { header: { ...source.header }, words: source.words.slice() };
  const refusal = mergeRefusal(target.header, source.header);
  if (refusal) throw new MergeRefusedError(refusal);
  let words = target.words;
  if (source.header.mapSize > target.header.mapSize) {
    words = new Uint32Array(source.header.mapSize);
    words.set(target.words);
  }
  orInto(words, source.words);
  return { header: { ...target.header, mapSize: source.header.mapSize }, words };
}

/**
 * Merge many images. Sources go in ascending map size (stable), so dumps taken
 * before a volume grew merge before the larger ones instead of being refused
 * for order alone; a source smaller than an existing target is still refused.
 */
export function mergeAll(target: DdmapImage | null, sources: readonly DdmapImage[]): DdmapImage {
  if (target === null && sources.length === 0) throw new MergeRefusedError('nothing to merge: no target and no source');
  const ordered = sources.map((s, i) => ({ s, i })).sort((a, b) => a.s.header.mapSize - b.s.header.mapSize || a.i - b.i);
  let acc = target;
  for (const { s } of ordered) acc = mergeImage(acc, s);
  return acc!;
}

const hex = (n: number): string => n.toString(16).padStart(8, '0');
