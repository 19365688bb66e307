/**
 * A small iSCSI initiator for what a discovery portal needs from a target:
 * discovery sessions (login with optional CHAP, mutual too, SendTargets, logout)
 * and normal-session login attempts whose outcome (accepted, redirected,
 * refused) is reported rather than followed. Every wait is bounded by one
 * deadline and every length by a limit: the other end may be anything.
 */
import { Socket, connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  ChapError, chapResponse, decodeBinary, digestLength, encodeHex, parseIdentifier, sameBytes, chooseAlgorithm, type ChapAlgorithm,
} from './chap.js';
import { Framer, FramingError, serialize } from './framer.js';
import { loginStatusName } from './login-status.js';
import {
  CONTINUE, Op, RESERVED_TAG, logoutRequest, loginRequest, opcode, parseLoginResponse, parseText as parseTextPdu,
  textRequest, type OutPdu, type Pdu, type StageNo,
} from './pdu.js';
import { parseSendTargets, type DiscoveredTarget } from './sendtargets.js';
import { encodeText, parseText, uniqueKeys, type KeyValue } from './text.js';

export interface InitiatorChap {
  readonly username: string;
  readonly password: string;
  /** Also authenticate the target (mutual CHAP). */
  readonly mutual?: { readonly username: string; readonly password: string };
}

export interface InitiatorOptions {
  readonly host: string;
  readonly port: number;
  readonly initiatorName: string;
  readonly chap?: InitiatorChap;
  /** Whole operation, connect to close. */
  readonly timeoutMs: number;
  /** Most bytes of one response text (all continuation PDUs). */
  readonly maxResponseBytes?: number;
  readonly localAddress?: string;
}

export class InitiatorError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export interface LoginOutcome {
  /** 0 when logged in; otherwise the login status (class << 8 | detail). */
  readonly status: number;
  /** Keys of the final (or failing) login response, e.g. TargetAddress on a redirect. */
  readonly keys: ReadonlyMap<string, string>;
}

const OUR_MRDSL = 262144;

class Connection {
  private readonly framer = new Framer({ maxDataSegment: OUR_MRDSL, maxAhs: 1020 });
  private readonly queue: Pdu[] = [];
  private waiter: { resolve: (p: Pdu) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout;
  itt = randomBytes(4).readUInt32BE() & 0x7fffffff;
  cmdSN = 1;
  expStatSN = 0;
  readonly isid = Buffer.concat([Buffer.of(0x80), randomBytes(5)]); // random-qualifier ISID (RFC 7143 11.12.5)

  private constructor(private readonly sock: Socket, timeoutMs: number) {
    this.timer = setTimeout(() => this.fail(new InitiatorError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', (b: Buffer) => {
      try {
        for (const p of this.framer.push(b)) this.deliver(p);
      } catch (e) {
        this.fail(e instanceof FramingError ? new InitiatorError(`bad PDU from target: ${e.message}`) : (e as Error));
      }
    });
    sock.on('error', (e) => this.fail(new InitiatorError(`connection: ${e.message}`)));
    sock.on('close', () => this.fail(new InitiatorError('connection closed by the target')));
  }

  static open(o: InitiatorOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: o.host, port: o.port, ...(o.localAddress && { localAddress: o.localAddress }), noDelay: true });
      const t = setTimeout(() => {
        sock.destroy();
        reject(new InitiatorError(`connect to ${o.host}:${o.port} timed out`));
      }, o.timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        sock.removeAllListeners('error');
        resolve(new Connection(sock, o.timeoutMs));
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(new InitiatorError(`connect to ${o.host}:${o.port}: ${e.message}`));
      });
    });
  }

  private deliver(p: Pdu): void {
    if (opcode(p.bhs) === Op.NOP_IN) return; // a target ping during discovery: nothing to answer for a short session
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(p);
    } else if (this.queue.length < 16) this.queue.push(p);
    else this.fail(new InitiatorError('target sent PDUs nobody asked for'));
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    clearTimeout(this.timer);
    this.sock.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  send(p: OutPdu): void {
    if (this.failure) throw this.failure;
    this.sock.write(serialize(p));
  }

  next(): Promise<Pdu> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  close(): void {
    clearTimeout(this.timer);
    this.failure ??= new InitiatorError('closed');
    this.sock.destroy();
  }
}

async function loginExchange(
  c: Connection, transit: boolean, csg: StageNo, nsg: StageNo, pairs: readonly KeyValue[],
): Promise<{ rsp: ReturnType<typeof parseLoginResponse>; keys: Map<string, string> }> {
  c.send(loginRequest({ transit, csg, nsg, isid: c.isid, tsih: 0, itt: c.itt, cid: 0, cmdSN: c.cmdSN, expStatSN: c.expStatSN, data: encodeText(pairs) }));
  let text = Buffer.alloc(0);
  for (let parts = 0; ; parts++) {
    const p = await c.next();
    if (opcode(p.bhs) !== Op.LOGIN_RSP) throw new InitiatorError(`expected a login response, got opcode 0x${opcode(p.bhs).toString(16)}`);
    const rsp = parseLoginResponse(p.bhs);
    c.expStatSN = (rsp.statSN + 1) >>> 0;
    text = Buffer.concat([text, p.data]);
    if (text.length > 65536 || parts > 16) throw new InitiatorError('login response text too long');
    if (rsp.cont && rsp.statusClass === 0) {
      // The target continues its text: acknowledge with an empty request (RFC 7143 6.4).
      c.send(loginRequest({ transit: false, csg, nsg: csg, isid: c.isid, tsih: 0, itt: c.itt, cid: 0, cmdSN: c.cmdSN, expStatSN: c.expStatSN, data: Buffer.alloc(0) }));
      continue;
    }
    return { rsp, keys: uniqueKeys(parseText(text)) };
  }
}

/**
 * Logs in. Returns the outcome for a login the target refused or redirected
 * (status class 1..3); throws InitiatorError for protocol errors or a target
 * that fails mutual authentication.
 */
async function login(c: Connection, o: InitiatorOptions, identity: KeyValue[], operational: KeyValue[]): Promise<LoginOutcome> {
  let stage: StageNo = 0;
  let pairs: KeyValue[] = [...identity, ['AuthMethod', o.chap ? 'CHAP,None' : 'None']];
  let alg: ChapAlgorithm = 5;
  let mutual: { id: number; challenge: Buffer } | undefined;
  for (let round = 0; round < 12; round++) {
    const wantNext: StageNo = stage === 0 ? 1 : 3;
    // During CHAP the initiator may not ask to transit before it has sent its response.
    const chapPending = pairs.some(([k]) => k === 'CHAP_A');
    const { rsp, keys } = await loginExchange(c, !chapPending, stage, chapPending ? stage : wantNext, pairs);
    if (rsp.statusClass !== 0) return { status: (rsp.statusClass << 8) | rsp.statusDetail, keys };
    pairs = [];
    if (stage === 0) {
      const method = keys.get('AuthMethod');
      if (method === 'CHAP' && !keys.has('CHAP_C')) {
        pairs = [['CHAP_A', '5,7']];
        continue;
      }
      const c5 = keys.get('CHAP_C');
      if (c5 !== undefined) {
        if (!o.chap) throw new InitiatorError('target demands CHAP; no credentials configured');
        try {
          const a = chooseAlgorithm(keys.get('CHAP_A') ?? '');
          if (a === undefined) throw new InitiatorError('target chose an unknown CHAP algorithm');
          alg = a;
          const id = parseIdentifier(keys.get('CHAP_I') ?? '');
          pairs = [['CHAP_N', o.chap.username], ['CHAP_R', encodeHex(chapResponse(alg, id, o.chap.password, decodeBinary(c5)))]];
          if (o.chap.mutual) {
            mutual = { id: randomBytes(1)[0]!, challenge: randomBytes(Math.max(16, digestLength(alg))) };
            pairs.push(['CHAP_I', String(mutual.id)], ['CHAP_C', encodeHex(mutual.challenge)]);
          }
        } catch (e) {
          if (e instanceof ChapError) throw new InitiatorError(`CHAP: ${e.message}`);
          throw e;
        }
        continue;
      }
      if (mutual && o.chap?.mutual) {
        const n = keys.get('CHAP_N');
        const r = keys.get('CHAP_R');
        const want = chapResponse(alg, mutual.id, o.chap.mutual.password, mutual.challenge);
        let got: Buffer;
        try {
          got = decodeBinary(r ?? '', 64);
        } catch {
          throw new InitiatorError('target did not authenticate itself (mutual CHAP)');
        }
        if (n !== o.chap.mutual.username || !sameBytes(got, want)) throw new InitiatorError('target failed mutual CHAP authentication');
        mutual = undefined;
      }
      if (rsp.transit) {
        stage = rsp.nsg;
        if (stage === 3) return { status: 0, keys };
        pairs = operational;
      }
      continue;
    }
    if (rsp.transit && rsp.nsg === 3) return { status: 0, keys };
  }
  throw new InitiatorError('login did not finish within 12 exchanges');
}

const DISCOVERY_OPERATIONAL: KeyValue[] = [
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['MaxRecvDataSegmentLength', String(OUR_MRDSL)],
];

const NORMAL_OPERATIONAL: KeyValue[] = [
  ...DISCOVERY_OPERATIONAL,
  ['InitialR2T', 'Yes'],
  ['ImmediateData', 'Yes'],
  ['MaxBurstLength', '262144'],
  ['FirstBurstLength', '65536'],
  ['DefaultTime2Wait', '2'],
  ['DefaultTime2Retain', '0'],
  ['MaxOutstandingR2T', '1'],
  ['ErrorRecoveryLevel', '0'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
];

async function sendTargets(c: Connection, value: string, maxBytes: number): Promise<KeyValue[]> {
  const itt = (c.itt + 1) >>> 0;
  let ttt = RESERVED_TAG;
  let data = encodeText([['SendTargets', value]]);
  let text = Buffer.alloc(0);
  for (let parts = 0; parts < 1024; parts++) {
    c.send(textRequest({ final: true, itt, ttt, sn1: c.cmdSN, sn2: c.expStatSN, data }));
    const p = await c.next();
    if (opcode(p.bhs) !== Op.TEXT_RSP) throw new InitiatorError(`expected a text response, got opcode 0x${opcode(p.bhs).toString(16)}`);
    const t = parseTextPdu(p.bhs);
    if (t.itt !== itt) throw new InitiatorError('text response for another task');
    c.expStatSN = (t.sn1 + 1) >>> 0;
    c.cmdSN = t.sn2 >>> 0; // ExpCmdSN: immediate requests do not advance it; follow the target
    text = Buffer.concat([text, p.data]);
    if (text.length > maxBytes) throw new InitiatorError(`SendTargets answer longer than ${maxBytes} bytes`);
    if (!(p.bhs[1]! & CONTINUE) && t.final) return parseText(text, { maxPairs: 65536, maxValue: 8192 });
    ttt = t.ttt;
    data = Buffer.alloc(0);
  }
  throw new InitiatorError('SendTargets answer in too many parts');
}

async function logout(c: Connection): Promise<void> {
  c.send(logoutRequest({ itt: (c.itt + 2) >>> 0, cid: 0, cmdSN: c.cmdSN, expStatSN: c.expStatSN }));
  const p = await c.next();
  if (opcode(p.bhs) !== Op.LOGOUT_RSP) throw new InitiatorError('expected a logout response');
}

/** Discovery: the targets `o.initiatorName` may see at this portal. */
export async function discoverTargets(o: InitiatorOptions, what = 'All'): Promise<DiscoveredTarget[]> {
  const c = await Connection.open(o);
  try {
    const r = await login(c, o, [['InitiatorName', o.initiatorName], ['SessionType', 'Discovery']], DISCOVERY_OPERATIONAL);
    if (r.status !== 0) throw new InitiatorError(`discovery login refused: ${loginStatusName(r.status)}`, r.status);
    const pairs = await sendTargets(c, what, o.maxResponseBytes ?? 1 << 20);
    await logout(c).catch(() => undefined); // the answer is in; a target that drops the logout changes nothing
    return parseSendTargets(pairs);
  } finally {
    c.close();
  }
}

/**
 * A normal-session login to `targetName`; reports the outcome. When it
 * succeeds, logs out again at once (`keepOpen` false).
 */
export async function tryLogin(o: InitiatorOptions & { readonly targetName: string }): Promise<LoginOutcome> {
  const c = await Connection.open(o);
  try {
    const r = await login(c, o, [['InitiatorName', o.initiatorName], ['SessionType', 'Normal'], ['TargetName', o.targetName]], NORMAL_OPERATIONAL);
    if (r.status === 0) await logout(c).catch(() => undefined);
    return r;
  } finally {
    c.close();
  }
}
