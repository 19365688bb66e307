/** CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 11.1, appendix B.4). */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The digest as it travels: the CRC's bytes in little-endian order (RFC 7143 11.1). */
export function digestBytes(buf: Uint8Array, start = 0, end = buf.length): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc32c(buf, start, end));
  return b;
}
