/**
 * iSCSI PDU layout (RFC 7143 11): the 48-byte Basic Header Segment, the
 * opcodes and flags this project speaks, and encoders for the PDUs a target or
 * an initiator of discovery sessions sends. Pure: buffers in, buffers out.
 */

export const BHS_LENGTH = 48;

export const Op = {
  NOP_OUT: 0x00,
  SCSI_CMD: 0x01,
  TASK_MGMT: 0x02,
  LOGIN_REQ: 0x03,
  TEXT_REQ: 0x04,
  DATA_OUT: 0x05,
  LOGOUT_REQ: 0x06,
  SNACK: 0x10,
  NOP_IN: 0x20,
  SCSI_RSP: 0x21,
  TASK_MGMT_RSP: 0x22,
  LOGIN_RSP: 0x23,
  TEXT_RSP: 0x24,
  DATA_IN: 0x25,
  LOGOUT_RSP: 0x26,
  R2T: 0x31,
  ASYNC: 0x32,
  REJECT: 0x3f,
} as const;

export const IMMEDIATE = 0x40;
export const FINAL = 0x80;
/** Login: transit to the next stage. */
export const LOGIN_T = 0x80;
/** Login and Text: more text follows in the next PDU. */
export const CONTINUE = 0x40;

/** Login stages (CSG/NSG, RFC 7143 11.12.3). */
export const Stage = { SECURITY: 0, OPERATIONAL: 1, FULL_FEATURE: 3 } as const;
export type StageNo = 0 | 1 | 2 | 3;

/** Reject reasons (RFC 7143 11.17.1). */
export const RejectReason = {
  DATA_DIGEST: 0x02,
  SNACK: 0x03,
  PROTOCOL_ERROR: 0x04,
  NOT_SUPPORTED: 0x05,
  IMMEDIATE_REJECT: 0x06,
  TASK_IN_PROGRESS: 0x07,
  INVALID_DATA_ACK: 0x08,
  INVALID_FIELD: 0x09,
  OUT_OF_RESOURCES: 0x0a,
  WAITING_FOR_LOGOUT: 0x0c,
} as const;

export const RESERVED_TAG = 0xffffffff;

export function opcode(bhs: Buffer): number {
  return bhs[0]! & 0x3f;
}
export function isImmediate(bhs: Buffer): boolean {
  return (bhs[0]! & IMMEDIATE) !== 0;
}
export function totalAhsLength(bhs: Buffer): number {
  return bhs[4]! * 4;
}
export function dataSegmentLength(bhs: Buffer): number {
  return bhs.readUIntBE(5, 3);
}
export function itt(bhs: Buffer): number {
  return bhs.readUInt32BE(16);
}
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A PDU as read off the wire (digests already checked and stripped). */
export interface Pdu {
  readonly bhs: Buffer;
  readonly ahs: Buffer;
  readonly data: Buffer;
}

/** A BHS with opcode, flags, data length and Initiator Task Tag set; the caller fills the rest. */
function header(op: number, flags: number, dataLength: number, itt: number): Buffer {
  if (dataLength > 0xffffff) throw new RangeError(`data segment of ${dataLength} bytes does not fit in a PDU`);
  const b = Buffer.alloc(BHS_LENGTH);
  b[0] = op;
  b[1] = flags;
  b.writeUIntBE(dataLength, 5, 3);
  b.writeUInt32BE(itt >>> 0, 16);
  return b;
}

/** An initiator's request numbers its commands: CmdSN and ExpStatSN at bytes 24 and 28 (RFC 7143 11.2). */
interface RequestNumbers { itt: number; cmdSN: number; expStatSN: number }
function request(op: number, flags: number, dataLength: number, n: RequestNumbers): Buffer {
  const b = header(op, flags, dataLength, n.itt);
  b.writeUInt32BE(n.cmdSN >>> 0, 24);
  b.writeUInt32BE(n.expStatSN >>> 0, 28);
  return b;
}

/** A target's response: StatSN, ExpCmdSN and MaxCmdSN at bytes 24, 28 and 32 (zero when not given). */
interface ResponseNumbers { itt: number; statSN: number; expCmdSN: number; maxCmdSN?: number }
function response(op: number, flags: number, dataLength: number, n: ResponseNumbers): Buffer {
  const b = header(op, flags, dataLength, n.itt);
  b.writeUInt32BE(n.statSN >>> 0, 24);
  b.writeUInt32BE(n.expCmdSN >>> 0, 28);
  if (n.maxCmdSN !== undefined) b.writeUInt32BE(n.maxCmdSN >>> 0, 32);
  return b;
}

/** BHS plus padded data, ready to write (digests are added by the writer). */
export interface OutPdu {
  readonly bhs: Buffer;
  readonly data: Buffer;
}

/** The T, C, CSG and NSG bits of a login request's or response's flags byte (RFC 7143 11.12, 11.13). */
export interface LoginStages { transit: boolean; cont: boolean; csg: StageNo; nsg: StageNo }
/** What an encoder takes: C (more text follows) is off unless set. */
type LoginStageFields = Omit<LoginStages, 'cont'> & { cont?: boolean };

export interface LoginRequestFields extends LoginStageFields {
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
  data: Buffer;
}

/** Login request and response alike: version 0 and the session's ISID and TSIH (the flags are loginFlags). */
function login(b: Buffer, f: { isid: Buffer; tsih: number }): Buffer {
  b[2] = 0; // Version-max
  b[3] = 0; // Version-min (request), Version-active (response)
  f.isid.copy(b, 8, 0, 6);
  b.writeUInt16BE(f.tsih, 14);
  return b;
}
const loginFlags = (f: LoginStageFields): number =>
  (f.transit ? LOGIN_T : 0) | (f.cont ? CONTINUE : 0) | (f.csg << 2) | f.nsg;

export function loginRequest(f: LoginRequestFields): OutPdu {
  const b = login(request(Op.LOGIN_REQ | IMMEDIATE, loginFlags(f), f.data.length, f), f);
  b.writeUInt16BE(f.cid, 20);
  return { bhs: b, data: f.data };
}

export interface LoginRequest extends LoginStages {
  versionMax: number;
  versionMin: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

/** A login PDU's flags byte read back (loginFlags writes it). */
function loginStages(f: number): LoginStages {
  return { transit: (f & LOGIN_T) !== 0, cont: (f & CONTINUE) !== 0, csg: ((f >> 2) & 3) as StageNo, nsg: (f & 3) as StageNo };
}

export function parseLoginRequest(bhs: Buffer): LoginRequest {
  return {
    ...loginStages(bhs[1]!),
    versionMax: bhs[2]!,
    versionMin: bhs[3]!,
    isid: Buffer.from(bhs.subarray(8, 14)),
    tsih: bhs.readUInt16BE(14),
    itt: bhs.readUInt32BE(16),
    cid: bhs.readUInt16BE(20),
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
  };
}

export interface LoginResponseFields extends LoginStageFields {
  isid: Buffer;
  tsih: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  statusClass: number;
  statusDetail: number;
  data: Buffer;
}

export function loginResponse(f: LoginResponseFields): OutPdu {
  const b = login(response(Op.LOGIN_RSP, loginFlags(f), f.data.length, f), f);
  b[36] = f.statusClass;
  b[37] = f.statusDetail;
  return { bhs: b, data: f.data };
}

export interface LoginResponse extends LoginStages {
  tsih: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  statusClass: number;
  statusDetail: number;
}

export function parseLoginResponse(bhs: Buffer): LoginResponse {
  return {
    ...loginStages(bhs[1]!),
    tsih: bhs.readUInt16BE(14),
    itt: bhs.readUInt32BE(16),
    statSN: bhs.readUInt32BE(24),
    expCmdSN: bhs.readUInt32BE(28),
    maxCmdSN: bhs.readUInt32BE(32),
    statusClass: bhs[36]!,
    statusDetail: bhs[37]!,
  };
}

export interface TextFields {
  final: boolean;
  cont?: boolean;
  itt: number;
  ttt: number;
  /** Request: CmdSN, ExpStatSN. Response: StatSN, ExpCmdSN, MaxCmdSN. */
  sn1: number;
  sn2: number;
  sn3?: number;
  data: Buffer;
}

const textFlags = (f: { final: boolean; cont?: boolean }): number => (f.final ? FINAL : 0) | (f.cont ? CONTINUE : 0);

export function textRequest(f: Omit<TextFields, 'sn3'>): OutPdu {
  const b = request(Op.TEXT_REQ | IMMEDIATE, textFlags(f), f.data.length, { itt: f.itt, cmdSN: f.sn1, expStatSN: f.sn2 });
  b.writeUInt32BE(f.ttt >>> 0, 20);
  return { bhs: b, data: f.data };
}
export function textResponse(f: TextFields): OutPdu {
  const b = response(Op.TEXT_RSP, textFlags(f), f.data.length, { itt: f.itt, statSN: f.sn1, expCmdSN: f.sn2, maxCmdSN: f.sn3 });
  b.writeUInt32BE(0xffffffff, 8); // LUN: reserved (RFC 7143 11.10.4 says 0xffffffffffffffff or 0; initiators ignore it)
  b.writeUInt32BE(0xffffffff, 12);
  b.writeUInt32BE(f.ttt >>> 0, 20);
  return { bhs: b, data: f.data };
}

export interface TextPdu {
  final: boolean;
  cont: boolean;
  itt: number;
  ttt: number;
  sn1: number;
  sn2: number;
  sn3: number;
}

export function parseText(bhs: Buffer): TextPdu {
  const f = bhs[1]!;
  return {
    final: (f & FINAL) !== 0,
    cont: (f & CONTINUE) !== 0,
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    sn1: bhs.readUInt32BE(24),
    sn2: bhs.readUInt32BE(28),
    sn3: bhs.readUInt32BE(32),
  };
}

export function logoutRequest(f: { itt: number; cid: number; cmdSN: number; expStatSN: number; reason?: number }): OutPdu {
  const b = request(Op.LOGOUT_REQ | IMMEDIATE, FINAL | (f.reason ?? 0), 0, f);
  b.writeUInt16BE(f.cid, 20);
  return { bhs: b, data: Buffer.alloc(0) };
}

export function logoutResponse(f: { itt: number; response: number; statSN: number; expCmdSN: number; maxCmdSN: number }): OutPdu {
  const b = response(Op.LOGOUT_RSP, FINAL, 0, f);
  b[2] = f.response;
  return { bhs: b, data: Buffer.alloc(0) };
}

export function nopIn(f: { itt: number; ttt: number; lun: Buffer; statSN: number; expCmdSN: number; maxCmdSN: number; data: Buffer }): OutPdu {
  const b = response(Op.NOP_IN, FINAL, f.data.length, f);
  f.lun.copy(b, 8, 0, 8);
  b.writeUInt32BE(f.ttt >>> 0, 20);
  return { bhs: b, data: f.data };
}

/** Reject carries the offending BHS as its data (RFC 7143 11.17). */
export function reject(f: { reason: number; statSN: number; expCmdSN: number; maxCmdSN: number; offending: Buffer }): OutPdu {
  const data = Buffer.from(f.offending.subarray(0, BHS_LENGTH));
  const b = response(Op.REJECT, FINAL, data.length, { ...f, itt: RESERVED_TAG });
  b[2] = f.reason;
  return { bhs: b, data };
}

/** Serial number arithmetic (RFC 1982, 32 bits) as iSCSI uses for CmdSN/StatSN. */
export function snAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
