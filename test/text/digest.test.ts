import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha1Hex, sha256Hex } from '../../lib/text/digest.js';

// Link names and unit serials derived from these must never change between releases.
describe('digest', () => {
  const inputs = ['', 'a', 'abc', 'lioha:block:lun0', 'iqn.2016-09.com.example:t1/1/lun/0', 'é✓', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'w'.repeat(200)];
  it.each(inputs)('sha1 and sha256 of %j match node:crypto', (s) => {
    expect(sha1Hex(s)).toBe(createHash('sha1').update(s).digest('hex'));
    expect(sha256Hex(s)).toBe(createHash('sha256').update(s).digest('hex'));
  });
});
