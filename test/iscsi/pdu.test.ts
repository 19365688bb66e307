import { describe, expect, it } from 'vitest';
import {
  FINAL, IMMEDIATE, Op, RESERVED_TAG, dataSegmentLength, itt, loginRequest, loginResponse, logoutRequest, logoutResponse, nopIn, opcode,
  parseLoginRequest, parseLoginResponse, parseText, reject, textRequest, textResponse,
} from '../../lib/iscsi/pdu.js';

// The BHS fields every PDU shares, at the offsets RFC 7143 11 gives them.
const isid = Buffer.from('00023d000001', 'hex');
const data = Buffer.from('key=v\0');
const u32 = (b: Buffer, at: number) => b.readUInt32BE(at);

describe('PDU encoders (RFC 7143 BHS layout)', () => {
  it('requests: ITT at 16, CmdSN at 24, ExpStatSN at 28; immediate; serial numbers wrap to 32 bits', () => {
    const reqs = [
      loginRequest({ transit: true, csg: 1, nsg: 3, isid, tsih: 7, itt: -1, cid: 2, cmdSN: 2 ** 32 + 5, expStatSN: 6, data }).bhs,
      textRequest({ final: true, itt: -1, ttt: RESERVED_TAG, sn1: 2 ** 32 + 5, sn2: 6, data }).bhs,
      logoutRequest({ itt: -1, cid: 2, cmdSN: 2 ** 32 + 5, expStatSN: 6 }).bhs,
    ];
    for (const b of reqs) {
      expect(b[0]! & IMMEDIATE).toBe(IMMEDIATE);
      expect([itt(b), u32(b, 24), u32(b, 28), u32(b, 32)]).toEqual([0xffffffff, 5, 6, 0]);
    }
    expect(reqs[1]!.subarray(8, 16).equals(Buffer.alloc(8))).toBe(true); // a text request's LUN is 0
    expect(parseLoginRequest(reqs[0]!)).toMatchObject({ transit: true, cont: false, csg: 1, nsg: 3, tsih: 7, cid: 2, isid });
  });
  it('responses: ITT at 16, StatSN at 24, ExpCmdSN at 28, MaxCmdSN at 32; data length in bytes 5-7', () => {
    const n = { statSN: 11, expCmdSN: 12, maxCmdSN: 13 };
    const rsps = [
      loginResponse({ transit: false, cont: true, csg: 0, nsg: 1, isid, tsih: 9, itt: 4, ...n, statusClass: 2, statusDetail: 1, data }).bhs,
      textResponse({ final: true, itt: 4, ttt: 8, sn1: 11, sn2: 12, sn3: 13, data }).bhs,
      nopIn({ itt: 4, ttt: 8, lun: Buffer.alloc(8, 1), ...n, data }).bhs,
      logoutResponse({ itt: 4, response: 0, ...n }).bhs,
    ];
    for (const b of rsps) expect([itt(b), u32(b, 24), u32(b, 28), u32(b, 32)]).toEqual([4, 11, 12, 13]);
    expect(rsps.map(dataSegmentLength)).toEqual([data.length, data.length, data.length, 0]);
    expect(parseLoginResponse(rsps[0]!)).toMatchObject({ transit: false, cont: true, csg: 0, nsg: 1, tsih: 9, statusClass: 2, statusDetail: 1 });
    expect(parseText(rsps[1]!)).toMatchObject({ final: true, ttt: 8 });
    expect(rsps[1]!.subarray(8, 16).equals(Buffer.alloc(8, 0xff))).toBe(true);
    expect(rsps[2]!.subarray(8, 16).equals(Buffer.alloc(8, 1))).toBe(true);
    const r = reject({ reason: 9, ...n, offending: Buffer.alloc(60, 0xab) });
    expect([opcode(r.bhs), r.bhs[1], r.bhs[2], itt(r.bhs), u32(r.bhs, 24), r.data.length]).toEqual([Op.REJECT, FINAL, 9, RESERVED_TAG, 11, 48]);
  });
  it('refuses a data segment over 24 bits', () => {
    expect(() => textResponse({ final: true, itt: 1, ttt: 1, sn1: 0, sn2: 0, data: Buffer.alloc(0x1000000) })).toThrow(RangeError);
  });
});
