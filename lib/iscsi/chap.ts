/**
 * CHAP as iSCSI uses it (RFC 7143 12.1.3, RFC 1994): response =
 * H(identifier || secret || challenge). MD5 (5) is what every initiator has;
 * SHA-1 (6), SHA-256 (7) and SHA3-256 (8) are what Linux 6.x LIO also offers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './protocol-error.js';

export const CHAP_ALGORITHMS = { 5: 'md5', 6: 'sha1', 7: 'sha256', 8: 'sha3-256' } as const;
export type ChapAlgorithm = keyof typeof CHAP_ALGORITHMS;

/** Longest binary challenge accepted (RFC 7143 12.1.3: 1024 bytes). */
export const MAX_CHALLENGE = 1024;

export class ChapError extends ProtocolError {}

export function chapResponse(alg: ChapAlgorithm, id: number, secret: string, challenge: Buffer): Buffer {
  const h = createHash(CHAP_ALGORITHMS[alg]);
  h.update(Buffer.of(id & 0xff));
  h.update(Buffer.from(secret, 'utf8'));
  h.update(challenge);
  return h.digest();
}

export function digestLength(alg: ChapAlgorithm): number {
  return alg === 5 ? 16 : alg === 6 ? 20 : 32;
}

/** Picks the first algorithm of the initiator's CHAP_A list that is supported. */
export function chooseAlgorithm(list: string): ChapAlgorithm | undefined {
  for (const v of list.split(',')) {
    const n = Number(v);
    if (/^\d{1,3}$/.test(v) && n in CHAP_ALGORITHMS) return n as ChapAlgorithm;
  }
  return undefined;
}

export function newChallenge(alg: ChapAlgorithm): { id: number; challenge: Buffer } {
  // As long as the digest and never shorter than 16 bytes.
  return { id: randomBytes(1)[0]!, challenge: randomBytes(Math.max(16, digestLength(alg))) };
}

/** Binary values (RFC 7143 6.1): 0x/0X hex or 0b/0B base64. */
export function decodeBinary(v: string, max = MAX_CHALLENGE): Buffer {
  if (/^0[xX][0-9a-fA-F]+$/.test(v)) {
    const hex = v.slice(2);
    if (hex.length > max * 2) throw new ChapError('binary value too long');
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  }
  if (/^0[bB][A-Za-z0-9+/]+={0,2}$/.test(v)) {
    const b64 = v.slice(2);
    if (b64.length > Math.ceil(max / 3) * 4) throw new ChapError('binary value too long');
    return Buffer.from(b64, 'base64');
  }
  throw new ChapError('not a 0x hex or 0b base64 value');
}

export function encodeHex(b: Buffer): string {
  return `0x${b.toString('hex')}`;
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** CHAP_I is a decimal (or 0x hex) number 0..255. */
export function parseIdentifier(v: string): number {
  const n = /^\d{1,3}$/.test(v) ? Number(v) : /^0[xX][0-9a-fA-F]{1,2}$/.test(v) ? Number.parseInt(v.slice(2), 16) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new ChapError('CHAP_I is not a number from 0 to 255');
  return n;
}
