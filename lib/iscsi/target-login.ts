/**
 * The target side of an iSCSI login (RFC 7143 6, 11.12-11.13) as a pure state
 * machine: Login Request PDUs in, Login Response PDUs out. It runs the
 * security stage (AuthMethod None or CHAP, mutual CHAP too) and the
 * operational stage, and stops at one decision point: once the first request
 * names the initiator and the session type, the caller decides (a discovery
 * portal redirects normal sessions; a target checks its ACLs).
 */
import {
  ChapError, chapResponse, chooseAlgorithm, decodeBinary, digestLength, encodeHex, newChallenge,
  parseIdentifier, sameBytes, type ChapAlgorithm,
} from './chap.js';
import { LoginStatus } from './login-status.js';
import { OperationalNegotiation, type Negotiated, type SessionType } from './negotiate.js';
import { loginResponse, parseLoginRequest, type LoginRequest, type OutPdu, type Pdu, type StageNo, Stage } from './pdu.js';
import { encodeText, parseText, TextError, uniqueKeys, type KeyValue } from './text.js';

export interface ChapCredentials {
  readonly username: string;
  readonly password: string;
  /** Mutual CHAP: what the target answers with when the initiator challenges it. */
  readonly mutualUsername?: string;
  readonly mutualPassword?: string;
}

export interface TargetLoginOptions {
  /** CHAP required of the initiator; absent: AuthMethod=None. */
  readonly chap?: ChapCredentials;
  /** Our MaxRecvDataSegmentLength declaration. */
  readonly maxRecvDataSegmentLength: number;
  /** TargetPortalGroupTag sent when a normal session names its target. */
  readonly portalGroupTag?: number;
  /** Most login PDUs one login may take (bounds a negotiation that never ends). */
  readonly maxExchanges?: number;
  /** Most bytes of login text across continuation PDUs. */
  readonly maxTextBytes?: number;
  /** TSIH to assign on success. */
  readonly tsih?: number;
}

export interface LoginIdentity {
  readonly initiatorName: string;
  readonly initiatorAlias?: string;
  readonly targetName?: string;
  readonly sessionType: SessionType;
  readonly isid: Buffer;
  readonly tsih: number;
}

export type LoginStep =
  /** Send `pdu`. `close`: a failed login, close after sending. `complete`: full feature phase begins. */
  | { readonly kind: 'respond'; readonly pdu: OutPdu; readonly close?: boolean; readonly complete?: LoginComplete; readonly failure?: LoginFailure }
  /** The caller must call decide() before anything else happens. */
  | { readonly kind: 'decide'; readonly identity: LoginIdentity };

export interface LoginComplete {
  readonly identity: LoginIdentity;
  readonly negotiated: Negotiated;
  readonly statSN: number;
  readonly expCmdSN: number;
  readonly authenticated: boolean;
}

export interface LoginFailure {
  readonly status: number;
  readonly reason: string;
}

type AuthState = 'start' | 'want-chap-a' | 'want-chap-r' | 'done';

export type Decision =
  | { readonly accept: true }
  | { readonly accept: false; readonly status: number; readonly pairs?: readonly KeyValue[]; readonly reason: string };

export class TargetLogin {
  private stage: StageNo | undefined;
  private identity: LoginIdentity | undefined;
  private decided = false;
  private auth: AuthState = 'start';
  private chapAlg: ChapAlgorithm = 5;
  private chapId = 0;
  private chapChallenge: Buffer = Buffer.alloc(0);
  private op: OperationalNegotiation | undefined;
  private statSN: number;
  private exchanges = 0;
  private pendingText: Buffer[] = [];
  private pendingBytes = 0;
  private held: { req: LoginRequest; pairs: KeyValue[] } | undefined;
  private finished = false;
  private tpgtSent = false;

  constructor(private readonly opts: TargetLoginOptions, initialStatSN: number) {
    this.statSN = initialStatSN >>> 0;
  }

  get done(): boolean {
    return this.finished;
  }

  /** One Login Request PDU. */
  handle(pdu: Pdu): LoginStep {
    if (this.finished) throw new Error('login already finished');
    if (this.held) throw new Error('login is waiting for decide()');
    const req = parseLoginRequest(pdu.bhs);
    if (++this.exchanges > (this.opts.maxExchanges ?? 32)) return this.fail(req, LoginStatus.INITIATOR_ERROR, 'too many login exchanges');
    if (req.versionMin > 0) return this.fail(req, LoginStatus.UNSUPPORTED_VERSION, `iSCSI version ${req.versionMin} not supported`);
    if (req.transit && req.cont) return this.fail(req, LoginStatus.INITIATOR_ERROR, 'T and C bits both set');
    if (req.csg === 2 || req.csg === 3) return this.fail(req, LoginStatus.INITIATOR_ERROR, `invalid CSG ${req.csg}`);
    if (this.stage === undefined) {
      // A login may start in either stage (RFC 7143 6.3).
      this.stage = req.csg;
    } else if (req.csg !== this.stage) {
      return this.fail(req, LoginStatus.INITIATOR_ERROR, `CSG ${req.csg} in stage ${this.stage}`);
    }
    if (req.transit && (req.nsg === 2 || req.nsg <= req.csg)) return this.fail(req, LoginStatus.INITIATOR_ERROR, `invalid NSG ${req.nsg}`);

    // Text split across PDUs (C bit): gather, answer each part with an empty response.
    this.pendingBytes += pdu.data.length;
    if (this.pendingBytes > (this.opts.maxTextBytes ?? 65536)) return this.fail(req, LoginStatus.OUT_OF_RESOURCES, 'login text too long');
    this.pendingText.push(pdu.data);
    if (req.cont) return this.respond(req, false, req.csg, req.csg, []);
    const text = Buffer.concat(this.pendingText);
    this.pendingText = [];
    this.pendingBytes = 0;

    let pairs: KeyValue[];
    let keys: Map<string, string>;
    try {
      pairs = parseText(text);
      keys = uniqueKeys(pairs);
    } catch (e) {
      return this.fail(req, LoginStatus.INITIATOR_ERROR, (e as TextError).message);
    }

    if (!this.identity) {
      const initiatorName = keys.get('InitiatorName');
      if (!initiatorName) return this.fail(req, LoginStatus.MISSING_PARAMETER, 'InitiatorName missing from the first login request');
      const st = keys.get('SessionType') ?? 'Normal';
      if (st !== 'Normal' && st !== 'Discovery') return this.fail(req, LoginStatus.SESSION_TYPE_NOT_SUPPORTED, `SessionType ${st.slice(0, 32)}`);
      const targetName = keys.get('TargetName');
      if (st === 'Normal' && !targetName) return this.fail(req, LoginStatus.MISSING_PARAMETER, 'TargetName missing for a normal session');
      const alias = keys.get('InitiatorAlias');
      this.identity = {
        initiatorName,
        sessionType: st,
        isid: req.isid,
        tsih: req.tsih,
        ...(targetName !== undefined && { targetName }),
        ...(alias !== undefined && { initiatorAlias: alias }),
      };
      this.op = new OperationalNegotiation(st, this.opts.maxRecvDataSegmentLength);
    } else {
      for (const k of ['InitiatorName', 'SessionType', 'TargetName'] as const) {
        const v = keys.get(k);
        const was = k === 'InitiatorName' ? this.identity.initiatorName : k === 'SessionType' ? this.identity.sessionType : this.identity.targetName;
        if (v !== undefined && v !== was) return this.fail(req, LoginStatus.INITIATOR_ERROR, `${k} changed during login`);
      }
    }
    if (!this.decided) {
      this.held = { req, pairs };
      return { kind: 'decide', identity: this.identity };
    }
    return this.process(req, pairs, keys);
  }

  /** Continue (or end) the login held at the decision point. */
  decide(d: Decision): LoginStep {
    const held = this.held;
    if (!held) throw new Error('no login is waiting for a decision');
    this.held = undefined;
    this.decided = true;
    if (!d.accept) return this.fail(held.req, d.status, d.reason, d.pairs ?? []);
    return this.process(held.req, held.pairs, uniqueKeys(held.pairs));
  }

  private process(req: LoginRequest, pairs: KeyValue[], keys: Map<string, string>): LoginStep {
    const out: KeyValue[] = [];
    const identity = this.identity!;
    if (identity.sessionType === 'Normal' && !this.tpgtSent && this.opts.portalGroupTag !== undefined) {
      out.push(['TargetPortalGroupTag', String(this.opts.portalGroupTag)]);
      this.tpgtSent = true;
    }
    if (this.stage === Stage.SECURITY) {
      const r = this.security(req, keys, out);
      if (r) return r;
    } else {
      if (keys.has('AuthMethod') || [...keys.keys()].some((k) => k.startsWith('CHAP_'))) {
        return this.fail(req, LoginStatus.INITIATOR_ERROR, 'security keys in the operational stage');
      }
      // Skipping the security stage is only fine when no authentication is required.
      if (this.auth !== 'done') {
        if (this.opts.chap) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'CHAP required but the initiator skipped the security stage');
        this.auth = 'done';
      }
    }
    out.push(...this.op!.answer(pairs));
    const authenticated = this.auth === 'done';
    const transit = req.transit && authenticated;
    if (this.stage === Stage.OPERATIONAL) {
      // Our declaration goes out in the operational stage (initiators read it there).
      out.push(...this.op!.declarations());
    }
    if (transit && req.nsg === Stage.FULL_FEATURE) {
      out.push(...this.op!.declarations());
      const tsih = identity.tsih || this.opts.tsih || 1;
      const rsp = this.respond(req, true, req.csg, Stage.FULL_FEATURE, out, tsih);
      this.finished = true;
      const complete: LoginComplete = {
        identity: { ...identity, tsih },
        negotiated: this.op!.result,
        statSN: this.statSN,
        expCmdSN: req.cmdSN,
        authenticated: !!this.opts.chap,
      };
      return { ...rsp, complete } as LoginStep;
    }
    const step = this.respond(req, transit, req.csg, transit ? req.nsg : req.csg, out);
    if (transit) this.stage = req.nsg;
    return step;
  }

  /** The security stage; returns a step only to end the login. */
  private security(req: LoginRequest, keys: Map<string, string>, out: KeyValue[]): LoginStep | undefined {
    const chap = this.opts.chap;
    const method = keys.get('AuthMethod');
    if (this.auth === 'start') {
      if (method === undefined) {
        return this.fail(req, LoginStatus.MISSING_PARAMETER, 'AuthMethod missing in the security stage');
      }
      const offered = method.split(',');
      if (chap) {
        if (!offered.includes('CHAP')) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'CHAP required; initiator offered ' + method.slice(0, 40));
        out.push(['AuthMethod', 'CHAP']);
        this.auth = 'want-chap-a';
        if (!keys.has('CHAP_A')) return undefined;
      } else {
        if (!offered.includes('None')) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'no CHAP configured; initiator insists on ' + method.slice(0, 40));
        out.push(['AuthMethod', 'None']);
        this.auth = 'done';
        return undefined;
      }
    } else if (method !== undefined) {
      return this.fail(req, LoginStatus.INITIATOR_ERROR, 'AuthMethod sent twice');
    }
    if (!chap) return undefined;
    if (this.auth === 'want-chap-a') {
      const a = keys.get('CHAP_A');
      if (a === undefined) return undefined; // nothing yet; the initiator will send it
      const alg = chooseAlgorithm(a);
      if (alg === undefined) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'no common CHAP algorithm');
      const { id, challenge } = newChallenge(alg);
      this.chapAlg = alg;
      this.chapId = id;
      this.chapChallenge = challenge;
      out.push(['CHAP_A', String(alg)], ['CHAP_I', String(id)], ['CHAP_C', encodeHex(challenge)]);
      this.auth = 'want-chap-r';
      return undefined;
    }
    if (this.auth === 'want-chap-r') {
      const n = keys.get('CHAP_N');
      const r = keys.get('CHAP_R');
      if (n === undefined || r === undefined) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'CHAP_N or CHAP_R missing');
      try {
        const got = decodeBinary(r, 64);
        const want = chapResponse(this.chapAlg, this.chapId, chap.password, this.chapChallenge);
        // Compare name and response both, so timing does not tell which was wrong.
        const nameOk = sameBytes(Buffer.from(n, 'utf8'), Buffer.from(chap.username, 'utf8'));
        const respOk = got.length === digestLength(this.chapAlg) && sameBytes(got, want);
        if (!nameOk || !respOk) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, `CHAP authentication failed for ${n.slice(0, 64)}`);
        const ci = keys.get('CHAP_I');
        const cc = keys.get('CHAP_C');
        if (ci !== undefined || cc !== undefined) {
          if (ci === undefined || cc === undefined) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'mutual CHAP needs both CHAP_I and CHAP_C');
          if (!chap.mutualUsername || !chap.mutualPassword) {
            return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'initiator asked for mutual CHAP, which is not configured');
          }
          const theirChallenge = decodeBinary(cc);
          // A reflected challenge would let the initiator use us as an oracle (RFC 7143 12.1.3).
          if (theirChallenge.length === 0 || theirChallenge.equals(this.chapChallenge)) {
            return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, 'mutual CHAP challenge is empty or reflects ours');
          }
          const id = parseIdentifier(ci);
          out.push(['CHAP_N', chap.mutualUsername], ['CHAP_R', encodeHex(chapResponse(this.chapAlg, id, chap.mutualPassword, theirChallenge))]);
        }
      } catch (e) {
        if (e instanceof ChapError) return this.fail(req, LoginStatus.AUTHENTICATION_FAILURE, e.message);
        throw e;
      }
      this.auth = 'done';
      return undefined;
    }
    return undefined;
  }

  private respond(req: LoginRequest, transit: boolean, csg: StageNo, nsg: StageNo, pairs: readonly KeyValue[], tsih = 0): LoginStep {
    const pdu = loginResponse({
      transit,
      csg,
      nsg,
      isid: req.isid,
      tsih,
      itt: req.itt,
      statSN: this.statSN,
      expCmdSN: req.cmdSN,
      maxCmdSN: (req.cmdSN + 31) >>> 0,
      statusClass: 0,
      statusDetail: 0,
      data: encodeText(pairs),
    });
    this.statSN = (this.statSN + 1) >>> 0;
    return { kind: 'respond', pdu };
  }

  private fail(req: LoginRequest, status: number, reason: string, pairs: readonly KeyValue[] = []): LoginStep {
    this.finished = true;
    const pdu = loginResponse({
      transit: false,
      csg: req.csg === 3 || req.csg === 2 ? 0 : req.csg,
      nsg: 0,
      isid: req.isid,
      tsih: 0,
      itt: req.itt,
      statSN: this.statSN,
      expCmdSN: req.cmdSN,
      maxCmdSN: req.cmdSN,
      statusClass: status >> 8,
      statusDetail: status & 0xff,
      data: encodeText(pairs),
    });
    return { kind: 'respond', pdu, close: true, failure: { status, reason } };
  }
}
