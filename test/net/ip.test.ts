import { describe, expect, it } from 'vitest';
import { formatHostPort, formatIp, ipv4FromProcHex, ipv6FromProcTcpHex, parseIp, samePrefix, tryParseIp } from '../../lib/net/ip.js';

describe('parseIp / formatIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::', '2001:db8::'],
    ['::', '::'],
    ['::1', '::1'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], ['2001:0:0:1:0:0:1:1', '2001::1:0:0:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
  ])('%s -> %s', (i, o) => expect(formatIp(parseIp(i))).toBe(o));

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', '12345::1', 'g::1', '1:2:3:4:5:6:7:8:9', 'eth0', '192.0.2.1/24'])(
    'rejects %j',
    (s) => expect(tryParseIp(s)).toBeUndefined(),
  );

  it('compares prefixes bitwise', () => {
    expect(samePrefix(parseIp('10.0.64.1'), parseIp('10.0.127.255'), 18)).toBe(true);
    expect(samePrefix(parseIp('10.0.64.1'), parseIp('10.0.128.0'), 18)).toBe(false);
    expect(samePrefix(parseIp('2001:db8::1'), parseIp('2001:db8:0:0:ffff::'), 64)).toBe(true);
  });

  it('decodes /proc host-order hex', () => {
    expect(formatIp(ipv4FromProcHex('0100007F'))).toBe('127.0.0.1');
    expect(formatIp(ipv6FromProcTcpHex('B80D0120000000000000000007000000'))).toBe('2001:db8::7');
  });

  it('formats LIO np names with IPv6 in brackets', () => {
    expect(formatHostPort(parseIp('2001:db8::7'), 3260)).toBe('[2001:db8::7]:3260');
    expect(formatHostPort(parseIp('192.0.2.7'), 3260)).toBe('192.0.2.7:3260');
  });
});
