/**
 * iSCSI text (RFC 7143 6.1): `key=value` pairs, each ended by a NUL byte, in
 * UTF-8. Parsing is strict and bounded; anything odd is a TextError the
 * caller turns into a login reject or a closed connection.
 */
import { ProtocolError } from './protocol-error.js';

export class TextError extends ProtocolError {}

export type KeyValue = readonly [key: string, value: string];

export interface TextLimits {
  /** Most pairs in one text exchange. */
  maxPairs: number;
  /** Longest value in bytes (RFC 7143: 255 for most keys, 8192 for some; CHAP_C/CHAP_R binary up to 1024 bytes as hex). */
  maxValue: number;
}

export const DEFAULT_TEXT_LIMITS: TextLimits = { maxPairs: 256, maxValue: 8192 };

/** RFC 7143 6.1: key names are letters, digits, '.', '-', '+', '@', '_', at most 63 bytes. */
const KEY = /^[A-Za-z0-9.\-+@_]{1,63}$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a complete text (all continuation PDUs joined). Empty input is no pairs. */
export function parseText(data: Buffer, limits: TextLimits = DEFAULT_TEXT_LIMITS): KeyValue[] {
  const out: KeyValue[] = [];
  let start = 0;
  // Some initiators pad with extra NULs; trailing NULs are allowed, text without its final NUL is not.
  while (start < data.length) {
    const end = data.indexOf(0, start);
    if (end < 0) throw new TextError('text does not end with a NUL byte');
    if (end === start) {
      start++;
      continue;
    }
    if (out.length >= limits.maxPairs) throw new TextError(`more than ${limits.maxPairs} key=value pairs`);
    const eq = data.indexOf(0x3d, start);
    if (eq < 0 || eq > end) throw new TextError('a text item has no "="');
    let key: string;
    let value: string;
    try {
      key = utf8.decode(data.subarray(start, eq));
      value = utf8.decode(data.subarray(eq + 1, end));
    } catch {
      throw new TextError('text is not valid UTF-8');
    }
    if (!KEY.test(key)) throw new TextError(`invalid key name ${JSON.stringify(key.slice(0, 64))}`);
    if (end - eq - 1 > limits.maxValue) throw new TextError(`value of ${key} is longer than ${limits.maxValue} bytes`);
    out.push([key, value]);
    start = end + 1;
  }
  return out;
}

export function encodeText(pairs: readonly KeyValue[]): Buffer {
  return Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** Pairs to a map, refusing a key given twice (RFC 7143 6.2: a protocol error). */
export function uniqueKeys(pairs: readonly KeyValue[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of pairs) {
    if (m.has(k)) throw new TextError(`key ${k} is sent twice`);
    m.set(k, v);
  }
  return m;
}
