import { describe, expect, it } from 'vitest';
import {
  DdmapFormatError, HEADER_SIZE, decodeHeader, decodeImage, emptyImage, encodeImage, imageBytes, mapSizeForVolume, nameSum,
} from '../../lib/ddmap/format.js';

const ENTRY = 'iqn.1990-01.edu.amherst:my-big-target.10';

describe('ddmap image codec', () => {
  it('lays out the 20-byte header as struct ddmap_header: "ddmap\\0", version 1, name_sum, map_size (LE)', () => {
    const img = emptyImage(ENTRY, 24);
    img.words[0] = 0x00000003;
    img.words[23] = 0x80000000;
    const buf = encodeImage(img);
    expect(buf.length).toBe(HEADER_SIZE + 24 * 4);
    expect(buf.subarray(0, 8)).toEqual(Buffer.from('ddmap\0\0\0', 'latin1'));
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(buf.readUInt32LE(12)).toBe(nameSum(ENTRY));
    expect(buf.readUInt32LE(16)).toBe(24);
    expect(buf.subarray(20, 24)).toEqual(Buffer.from([0x03, 0, 0, 0]));
    expect(buf.subarray(buf.length - 4)).toEqual(Buffer.from([0, 0, 0, 0x80]));
  });

  it('round-trips header and words, also from an unaligned buffer', () => {
    const img = emptyImage(ENTRY, 1000);
    for (let i = 0; i < 1000; i++) img.words[i] = (i * 2654435761) >>> 0;
    const buf = encodeImage(img);
    const back = decodeImage(buf);
    expect(back.header).toEqual(img.header);
    expect(Array.from(back.words)).toEqual(Array.from(img.words));
    const shifted = Buffer.alloc(buf.length + 1);
    buf.copy(shifted, 1);
    const back2 = decodeImage(shifted.subarray(1));
    expect(Array.from(back2.words)).toEqual(Array.from(img.words));
    expect(encodeImage(back2)).toEqual(buf);
  });

  it('name_sum is the byte sum of "<target>.<lun>"', () => {
    expect(nameSum('a.0')).toBe(0x61 + 0x2e + 0x30);
    expect(nameSum(ENTRY)).toBe([...Buffer.from(ENTRY)].reduce((a, b) => a + b, 0));
  });

  it('sizes the map as (size >> 14) >> 5: 10 GiB -> 20480 words, 12 MiB -> 24, 2 TiB -> 16 MiB of map', () => {
    expect(mapSizeForVolume(10n * 2n ** 30n)).toBe(20480);
    expect(mapSizeForVolume(12 * 2 ** 20)).toBe(24);
    expect(mapSizeForVolume(12 * 2 ** 20 + 512 * 1024 - 1)).toBe(24); // a partial last word is not mapped
    expect(mapSizeForVolume(2n ** 41n) * 4).toBe(16 * 2 ** 20);
    expect(() => mapSizeForVolume(2n ** 51n)).toThrow(RangeError);
  });

  it('refuses what is not a whole version-1 ddmap image', () => {
    const good = encodeImage(emptyImage(ENTRY, 4));
    expect(() => decodeHeader(good.subarray(0, 19))).toThrow(DdmapFormatError);
    const badMagic = Buffer.from(good);
    badMagic.write('ddmaq', 0, 'latin1');
    expect(() => decodeImage(badMagic)).toThrow(/not a ddmap image/);
    const badVersion = Buffer.from(good);
    badVersion.writeUInt32LE(2, 8);
    expect(() => decodeImage(badVersion)).toThrow(/version 2/);
    expect(() => decodeImage(good.subarray(0, good.length - 1))).toThrow(/declares 4 words/);
    expect(() => decodeImage(Buffer.concat([good, Buffer.alloc(4)]))).toThrow(/declares 4 words/);
    expect(imageBytes(decodeHeader(good))).toBe(good.length);
  });
});
