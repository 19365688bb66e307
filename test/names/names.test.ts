import { describe, expect, it } from 'vitest';
import { isAttributeName, isIscsiName, isLvmName, isObjectName, iscsiNameProblem } from '../../lib/names.js';

describe('iSCSI names (RFC 3720/3721)', () => {
  it.each([
    'iqn.2016-09.com.example:iscsitgt01',
    'iqn.2003-01.org.linux-iscsi.host.x8664:sn.0123456789ab',
    'iqn.2011-07.edu.example:pg0.vg-dsk-1.lv-b',
    'iqn.1994-05.com.redhat',
    'eui.02004567A425678D',
    'naa.5001405abcdef012',
    'naa.6001405abcdef0126001405abcdef012',
  ])('accepts %s', (n) => expect(iscsiNameProblem(n)).toBeUndefined());

  it.each([
    ['iqn.2016-09.com.example:x/../../../../../../escaped', 'a / after the colon'],
    ['iqn.2016-20.com.example:x', 'month 20 (rtslib accepts [01][0-9]: real files carry iqn.2016-17.com.chelsio)'],
    ['iqn.16-09.com.example:x', 'a two-digit year'],
    ['iqn.2016-09.-com.example', 'a label starting with -'],
    ['iqn.2016-09.com.example:a b', 'a blank'],
    ['eui.0200456', 'too few hex digits'],
    ['naa.5001405abcdef01', '15 hex digits'],
    ['..', 'not a name at all'],
    ['iqn.2016-09.com.example/x', 'a / in the domain'],
  ])('refuses %s (%s)', (n) => expect(isIscsiName(n)).toBe(false));

  it('223 bytes is the limit', () => {
    const head = 'iqn.2016-09.com.example:';
    expect(isIscsiName(head + 'a'.repeat(223 - head.length))).toBe(true);
    expect(iscsiNameProblem(head + 'a'.repeat(224 - head.length))).toMatch(/longer than 223 bytes/);
  });
});

describe('path component names', () => {
  it('LVM names: lvm(8) characters, not -x, . or ..', () => {
    for (const ok of ['vg1', 'vg_dsk-1', 'a+b.c']) expect(isLvmName(ok)).toBe(true);
    for (const bad of ['', '-vg', '.', '..', 'vg/x', 'v g', 'x'.repeat(128)]) expect(isLvmName(bad)).toBe(false);
  });
  it('storage object names: never . or .. or /', () => {
    for (const ok of ['lun0', 'disk.a:b-c_d']) expect(isObjectName(ok)).toBe(true);
    for (const bad of ['', '.', '..', 'a/b', '../x']) expect(isObjectName(bad)).toBe(false);
  });
  it('attribute names: letters, digits, _', () => {
    for (const ok of ['emulate_tpu', 'MaxBurstLength', 'block_size']) expect(isAttributeName(ok)).toBe(true);
    for (const bad of ['', '..', 'a/b', '../enable', 'x-y']) expect(isAttributeName(bad)).toBe(false);
  });
});
