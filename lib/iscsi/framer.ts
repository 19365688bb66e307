/**
 * Splits a TCP byte stream into PDUs, with every length bounded before any
 * allocation, and serializes outgoing PDUs. Digests (CRC32C) are checked and
 * added once a login has negotiated them (they never apply during login).
 */
import { crc32c, digestBytes } from './crc32c.js';
import { ProtocolError } from './protocol-error.js';
import { BHS_LENGTH, dataSegmentLength, pad4, totalAhsLength, type OutPdu, type Pdu } from './pdu.js';

export class FramingError extends ProtocolError {
  bhs: Buffer | undefined;
  constructor(message: string, bhs?: Buffer) {
    super(message);
    this.bhs = bhs;
  }
}

export interface FramerLimits {
  /** Largest data segment accepted (our declared MaxRecvDataSegmentLength). */
  maxDataSegment: number;
  /** Largest AHS accepted; this project needs none. */
  maxAhs: number;
}

export class Framer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  headerDigest = false;
  dataDigest = false;

  constructor(private limits: FramerLimits) {}

  setMaxDataSegment(n: number): void {
    this.limits = { ...this.limits, maxDataSegment: n };
  }

  /** Bytes held while waiting for the rest of a PDU (bounded by one PDU's size). */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Feed bytes; returns every complete PDU. Throws FramingError on a length
   * beyond the limits or a digest mismatch; the connection must then close.
   */
  push(chunk: Buffer): Pdu[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Pdu[] = [];
    for (;;) {
      if (this.buffered < BHS_LENGTH) return out;
      const head = this.peek(BHS_LENGTH);
      const ahsLen = totalAhsLength(head);
      const dsl = dataSegmentLength(head);
      if (ahsLen > this.limits.maxAhs) throw new FramingError(`AHS of ${ahsLen} bytes exceeds ${this.limits.maxAhs}`, head);
      if (dsl > this.limits.maxDataSegment) {
        throw new FramingError(`data segment of ${dsl} bytes exceeds MaxRecvDataSegmentLength ${this.limits.maxDataSegment}`, head);
      }
      const hd = this.headerDigest ? 4 : 0;
      const dd = this.dataDigest && dsl > 0 ? 4 : 0;
      const total = BHS_LENGTH + ahsLen + hd + pad4(dsl) + dd;
      if (this.buffered < total) return out;
      const all = this.take(total);
      const bhs = all.subarray(0, BHS_LENGTH);
      let off = BHS_LENGTH + ahsLen;
      if (hd) {
        if (crc32c(all, 0, off) !== all.readUInt32LE(off)) throw new FramingError('header digest mismatch', bhs);
        off += 4;
      }
      const data = all.subarray(off, off + dsl);
      if (dd) {
        const end = off + pad4(dsl);
        if (crc32c(all, off, end) !== all.readUInt32LE(end)) throw new FramingError('data digest mismatch', bhs);
      }
      out.push({ bhs, ahs: all.subarray(BHS_LENGTH, BHS_LENGTH + ahsLen), data });
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    // Copy so a retained PDU never pins a large socket buffer.
    const pdu = Buffer.from(first.subarray(0, n));
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return pdu;
  }
}

/** One PDU as bytes: BHS, [header digest], data, padding, [data digest]. */
export function serialize(p: OutPdu, digests: { header: boolean; data: boolean } = { header: false, data: false }): Buffer {
  const parts: Buffer[] = [p.bhs];
  if (digests.header) parts.push(digestBytes(p.bhs));
  if (p.data.length > 0) {
    const padded = pad4(p.data.length) === p.data.length ? p.data : Buffer.concat([p.data, Buffer.alloc(pad4(p.data.length) - p.data.length)]);
    parts.push(padded);
    if (digests.data) parts.push(digestBytes(padded));
  }
  return Buffer.concat(parts);
}
