/**
 * underBase: every configfs path an agent touches goes through it. Plain relative paths take a
 * string fast path; anything with '.', '..' or empty components is resolved and must stay under base.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ConfigFsError, underBase } from '../../lib/configfs/io.js';

const BASE = '/root/sys/kernel/config/target';

describe('underBase', () => {
  it.each([
    'iscsi/iqn.2016-09.com.example:t1/tpgt_1/lun/lun_0',
    'core/iblock_0/a..b',
    'core/iblock_0/.hidden',
    'core/iblock_0/x/...',
    'a/./b',
    'a//b',
    'a/',
    'a/b/../c',
  ])('gives the same path as path.resolve for %s', (rel) => {
    expect(underBase(BASE, 'read', rel)).toBe(resolve(BASE, rel));
  });

  it('returns base itself for the empty path, and works with a base that ends in /', () => {
    expect(underBase(BASE, 'read', '')).toBe(BASE);
    expect(underBase('/', 'read', 'sys/kernel')).toBe('/sys/kernel');
  });

  it.each(['..', '../x', 'iscsi/../../etc/passwd', '/etc/passwd', 'iscsi/../..', './..'])('refuses %s, which leaves the root', (rel) => {
    expect(() => underBase(BASE, 'mkdir', rel)).toThrow(ConfigFsError);
    expect(() => underBase(BASE, 'mkdir', rel)).toThrow(/resolves outside the configfs root/);
  });
});
