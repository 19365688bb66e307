import { describe, expect, it } from 'vitest';
import { formatTargetAddress, parseTargetAddress } from '../../lib/iscsi/address.js';
import { chapResponse, chooseAlgorithm, decodeBinary } from '../../lib/iscsi/chap.js';
import { crc32c } from '../../lib/iscsi/crc32c.js';
import { Framer, FramingError, serialize } from '../../lib/iscsi/framer.js';
import { LoginStatus } from '../../lib/iscsi/login-status.js';
import { isIscsiName } from '../../lib/names.js';
import { loginRequest, parseLoginResponse } from '../../lib/iscsi/pdu.js';
import { TargetLogin } from '../../lib/iscsi/target-login.js';
import { encodeText, parseText, uniqueKeys } from '../../lib/iscsi/text.js';
import { createHash } from 'node:crypto';

describe('iSCSI codec', () => {
  it('CRC32C matches the RFC 3720 B.4 test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
  });

  it('text: strict keys, NUL-terminated, UTF-8, bounded; duplicates refused', () => {
    expect(parseText(encodeText([['A', '1'], ['B.c', 'x=y']]))).toEqual([['A', '1'], ['B.c', 'x=y']]);
    expect(() => parseText(Buffer.from('A=1'))).toThrow(/NUL/);
    expect(() => parseText(Buffer.from('A\0'))).toThrow(/no "="/);
    expect(() => parseText(Buffer.from('bad key=1\0'))).toThrow(/invalid key/);
    expect(() => parseText(Buffer.from([0x41, 0x3d, 0xff, 0]))).toThrow(/UTF-8/);
    expect(() => parseText(Buffer.from(`A=${'x'.repeat(9000)}\0`))).toThrow(/longer than/);
    expect(() => uniqueKeys([['A', '1'], ['A', '2']])).toThrow(/twice/);
  });

  it('framer: splits a stream, refuses lengths over the limit before buffering them, checks digests', () => {
    const p = serialize(loginRequest({ transit: true, csg: 0, nsg: 1, isid: Buffer.alloc(6), tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0, data: Buffer.from('A=1\0B') }));
    const f = new Framer({ maxDataSegment: 64, maxAhs: 0 });
    expect(f.push(p.subarray(0, 10))).toEqual([]);
    const [got] = f.push(p.subarray(10));
    expect(got!.data.toString()).toBe('A=1\0B');
    const big = Buffer.from(p);
    big.writeUIntBE(65, 5, 3);
    expect(() => new Framer({ maxDataSegment: 64, maxAhs: 0 }).push(big.subarray(0, 48))).toThrow(FramingError);
    const withDigest = serialize({ bhs: p.subarray(0, 48), data: Buffer.from('A=1\0B') }, { header: true, data: true });
    const g = new Framer({ maxDataSegment: 64, maxAhs: 0 });
    g.headerDigest = g.dataDigest = true;
    expect(g.push(withDigest)).toHaveLength(1);
    withDigest[50] = withDigest[50]! ^ 1;
    const h = new Framer({ maxDataSegment: 64, maxAhs: 0 });
    h.headerDigest = true;
    expect(() => h.push(withDigest)).toThrow(/header digest/);
  });

  it('CHAP: response is H(id || secret || challenge); algorithms chosen from the initiator list; binary forms', () => {
    const c = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const want = createHash('md5').update(Buffer.concat([Buffer.of(7), Buffer.from('secret'), c])).digest();
    expect(chapResponse(5, 7, 'secret', c)).toEqual(want);
    expect(chooseAlgorithm('99,7,5')).toBe(7);
    expect(chooseAlgorithm('1,2')).toBeUndefined();
    expect(decodeBinary('0x0a0B')).toEqual(Buffer.from([10, 11]));
    expect(decodeBinary('0bAQI=')).toEqual(Buffer.from([1, 2]));
    expect(() => decodeBinary('0x' + 'ab'.repeat(2000))).toThrow(/too long/);
  });

  it('TargetAddress: host:port,tag with IPv6 in brackets', () => {
    expect(parseTargetAddress('192.0.2.1:3261,2')).toEqual({ host: '192.0.2.1', port: 3261, tag: 2 });
    expect(parseTargetAddress('[fd00::1]:3260,1')).toEqual({ host: 'fd00::1', port: 3260, tag: 1 });
    expect(parseTargetAddress('[fd00::1]')).toEqual({ host: 'fd00::1', port: 3260 });
    expect(parseTargetAddress('fd00::1:3260')).toBeUndefined();
    expect(parseTargetAddress('1.2.3.4:99999')).toBeUndefined();
    expect(formatTargetAddress({ host: 'fd00::2', port: 3260, tag: 3 })).toBe('[fd00::2]:3260,3');
  });

  it('iSCSI names: iqn/eui/naa, 223 bytes at most', () => {
    expect(isIscsiName('iqn.2003-01.org.linux-iscsi.host:sn.1234')).toBe(true);
    expect(isIscsiName('eui.0123456789ABCDEF')).toBe(true);
    expect(isIscsiName('naa.0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isIscsiName('iqn.2003-20.org.x')).toBe(false); // months as rtslib checks them ([01][0-9])
    expect(isIscsiName('../../etc/passwd')).toBe(false);
    expect(isIscsiName(`iqn.2003-01.org.x:${'a'.repeat(220)}`)).toBe(false);
  });
});

describe('target-side login', () => {
  const req = (csg: 0 | 1, nsg: 0 | 1 | 3, pairs: [string, string][], transit = true) => ({
    ...loginRequest({ transit, csg, nsg, isid: Buffer.from([0x80, 0, 0, 0, 0, 1]), tsih: 0, itt: 5, cid: 0, cmdSN: 9, expStatSN: 0, data: encodeText(pairs) }),
    ahs: Buffer.alloc(0),
  });
  const status = (s: ReturnType<TargetLogin['handle']>) => {
    if (s.kind !== 'respond') throw new Error('expected a response');
    const r = parseLoginResponse(s.pdu.bhs);
    return { status: (r.statusClass << 8) | r.statusDetail, r, keys: new Map(parseText(s.pdu.data)) };
  };

  it('no CHAP: AuthMethod=None, then operational keys, then full feature with a TSIH', () => {
    const l = new TargetLogin({ maxRecvDataSegmentLength: 8192, tsih: 42 }, 100);
    const d = l.handle(req(0, 1, [['InitiatorName', 'iqn.2026-01.t:i'], ['SessionType', 'Discovery'], ['AuthMethod', 'CHAP,None']]));
    expect(d.kind).toBe('decide');
    const a = status(l.decide({ accept: true }));
    expect(a.keys.get('AuthMethod')).toBe('None');
    expect(a.r.transit && a.r.nsg).toBe(1);
    const b = l.handle(req(1, 3, [['HeaderDigest', 'CRC32C,None'], ['MaxConnections', '4'], ['ErrorRecoveryLevel', '0'], ['Foo', 'x'], ['MaxRecvDataSegmentLength', '4096']]));
    const s = status(b);
    expect(s.keys.get('HeaderDigest')).toBe('CRC32C');
    expect(s.keys.get('MaxConnections')).toBe('Irrelevant');
    // negotiated in discovery too: open-iscsi refuses a discovery login answered "Irrelevant" here (two-node lab)
    expect(s.keys.get('ErrorRecoveryLevel')).toBe('0');
    expect(s.keys.get('Foo')).toBe('NotUnderstood');
    expect(s.keys.get('MaxRecvDataSegmentLength')).toBe('8192');
    expect(s.r.tsih).toBe(42);
    expect(b.kind === 'respond' && b.complete?.negotiated).toEqual({ headerDigest: true, dataDigest: false, initiatorMaxRecvDataSegmentLength: 4096 });
  });

  it('CHAP required: skipping the security stage, offering only None, or a wrong response all fail with 0x0201', () => {
    const chap = { username: 'u', password: 'pw-123456789' };
    const skip = new TargetLogin({ maxRecvDataSegmentLength: 8192, chap }, 1);
    skip.handle(req(1, 3, [['InitiatorName', 'iqn.2026-01.t:i'], ['SessionType', 'Discovery']]));
    expect(status(skip.decide({ accept: true })).status).toBe(LoginStatus.AUTHENTICATION_FAILURE);
    const none = new TargetLogin({ maxRecvDataSegmentLength: 8192, chap }, 1);
    none.handle(req(0, 1, [['InitiatorName', 'iqn.2026-01.t:i'], ['SessionType', 'Discovery'], ['AuthMethod', 'None']]));
    expect(status(none.decide({ accept: true })).status).toBe(LoginStatus.AUTHENTICATION_FAILURE);
    const wrong = new TargetLogin({ maxRecvDataSegmentLength: 8192, chap }, 1);
    wrong.handle(req(0, 1, [['InitiatorName', 'iqn.2026-01.t:i'], ['SessionType', 'Discovery'], ['AuthMethod', 'CHAP']]));
    expect(status(wrong.decide({ accept: true })).keys.get('AuthMethod')).toBe('CHAP');
    const ch = status(wrong.handle(req(0, 1, [['CHAP_A', '5']], false)));
    expect(ch.keys.get('CHAP_A')).toBe('5');
    const bad = status(wrong.handle(req(0, 1, [['CHAP_N', 'u'], ['CHAP_R', `0x${'00'.repeat(16)}`]])));
    expect(bad.status).toBe(LoginStatus.AUTHENTICATION_FAILURE);
    expect(wrong.done).toBe(true);
  });

  it('refuses stage confusion and missing names', () => {
    const a = new TargetLogin({ maxRecvDataSegmentLength: 8192 }, 1);
    expect(status(a.handle(req(0, 1, [['SessionType', 'Discovery']]))).status).toBe(LoginStatus.MISSING_PARAMETER);
    const b = new TargetLogin({ maxRecvDataSegmentLength: 8192 }, 1);
    expect(status(b.handle(req(1, 1, [['InitiatorName', 'iqn.2026-01.t:i']]))).status).toBe(LoginStatus.INITIATOR_ERROR);
    const c = new TargetLogin({ maxRecvDataSegmentLength: 8192 }, 1);
    expect(status(c.handle(req(0, 1, [['InitiatorName', 'iqn.2026-01.t:i'], ['SessionType', 'Normal']]))).status).toBe(LoginStatus.MISSING_PARAMETER);
  });
});
