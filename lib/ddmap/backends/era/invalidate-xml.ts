/**
 * era_invalidate's output (the blocks written since an era) as ddmap words. Pure.
 *
 *   <blocks>
 *     <block block="15"/>
 *     <range begin="16" end = "20"/>     end is exclusive; thin-provisioning-tools 0.9 writes "end = "
 *   </blocks>
 *
 * One era block is 16 KiB (the device is created with 32-sector blocks), so block b is ddmap
 * bit b: word b >> 5, bit b & 31 (bit 0 of word 0 is the first segment).
 */

export class EraOutputError extends Error {
  override name = 'EraOutputError';
}

const ELEMENT = /<\s*(block|range)\b([^>]*?)\/\s*>/g;
const ATTR = /([A-Za-z_]+)\s*=\s*"(\d+)"/g;

function attrs(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(ATTR)) out[m[1]!] = Number(m[2]!);
  return out;
}

/** Set the bits of every block listed in `xml` into `words`; returns how many blocks were listed. */
export function markInvalidatedBlocks(xml: string, words: Uint32Array): number {
  const trimmed = xml.trim();
  if (!/^<blocks\s*>/.test(trimmed) && !/^<blocks\s*\/>$/.test(trimmed)) {
    throw new EraOutputError(`era_invalidate output does not start with <blocks>: ${JSON.stringify(trimmed.slice(0, 60))}`);
  }
  if (!/<\/blocks\s*>$/.test(trimmed) && !/^<blocks\s*\/>$/.test(trimmed)) {
    throw new EraOutputError('era_invalidate output is truncated (no </blocks>)');
  }
  const bits = words.length * 32;
  let listed = 0;
  const set = (begin: number, end: number, what: string): void => {
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin >= end) throw new EraOutputError(`era_invalidate listed an empty or reversed ${what}`);
    if (end > bits) throw new EraOutputError(`era_invalidate listed block ${end - 1}, beyond the ${bits} segments of the volume`);
    listed += end - begin;
    let b = begin;
    // Leading bits up to a word boundary, whole words, trailing bits.
    while (b < end && (b & 31) !== 0) words[b >>> 5]! |= (1 << (b & 31)) >>> 0, b++;
    while (b + 32 <= end) words[b >>> 5] = 0xffffffff, b += 32;
    while (b < end) words[b >>> 5]! |= (1 << (b & 31)) >>> 0, b++;
  };
  for (const m of trimmed.matchAll(ELEMENT)) {
    const a = attrs(m[2]!);
    if (m[1] === 'block') {
      if (a['block'] === undefined) throw new EraOutputError(`era_invalidate <block> without a block attribute: ${m[0]}`);
      set(a['block'], a['block'] + 1, 'block');
    } else {
      if (a['begin'] === undefined || a['end'] === undefined) throw new EraOutputError(`era_invalidate <range> without begin/end: ${m[0]}`);
      set(a['begin'], a['end'], `range ${a['begin']}..${a['end']}`);
    }
  }
  return listed;
}
