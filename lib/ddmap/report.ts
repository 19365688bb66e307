/** Text renderings of a ddmap image for `lioha ddmap show`, like the Amherst tool's -a and -b. Pure. */
import { summarize } from './bits.js';
import { type DdmapImage, mapBytes } from './format.js';

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** The header as `ddmap -a` prints it, plus a summary of what the map flags. */
export function headerText(img: DdmapImage, source: string): string {
  const h = img.header;
  const s = summarize(img.words);
  const pct = (s.ratio * 100).toFixed(2);
  return [
    `ddmap device: ${source}`,
    `ddmap info: ddmap`,
    `ddmap version: ${h.version}`,
    `ddmap name_sum: 0x${hex8(h.nameSum)}`,
    `ddmap map_size: ${h.mapSize} (u32)`,
    `ddmap map_size_bytes: ${mapBytes(h)}`,
    `ddmap volume_bytes: ${BigInt(h.mapSize) * 524288n}`,
    `ddmap segments: ${s.segments} of 16384 bytes, ${s.segmentsWritten} written (${pct}%)`,
    `ddmap flagged_bytes: ${s.bytesFlagged}`,
    `ddmap flagged_range: ${s.firstFlagged === null ? 'none' : `${s.firstFlagged}..${s.lastFlagged! + 16383}`}`,
    '',
  ].join('\n');
}

/**
 * Hex rows as `ddmap -b` prints them: the map byte offset, then 8 words.
 * With `nonzero`, rows without a set bit are left out (a 2 TiB LUN has half a
 * million rows).
 */
export function* dataRows(words: Uint32Array, nonzero = false): Generator<string> {
  for (let i = 0; i < words.length; i += 8) {
    const row = words.subarray(i, Math.min(i + 8, words.length));
    if (nonzero && row.every((w) => w === 0)) continue;
    yield `${hex8(i * 4)} ${Array.from(row, hex8).join(' ')}\n`;
  }
}
