/**
 * One initiator connection to the discovery portal, without I/O: bytes in
 * (receive), bytes out (host.send), close (host.close). Discovery sessions get
 * a login (CHAP if configured) and SendTargets answers built from the
 * back-ends' view for this initiator; normal-session logins get a redirect to
 * a portal serving the target, "target removed", or "service unavailable".
 */
import { formatHostPort, formatTargetAddress } from '../../lib/iscsi/address.js';
import { Framer, FramingError, serialize } from '../../lib/iscsi/framer.js';
import { LoginStatus, loginStatusName } from '../../lib/iscsi/login-status.js';
import { isIscsiName } from '../../lib/names.js';
import {
  Op, RESERVED_TAG, RejectReason, isImmediate, itt as pduItt, logoutResponse, nopIn, opcode, parseText as parseTextPdu,
  reject, textResponse, type OutPdu, type Pdu,
} from '../../lib/iscsi/pdu.js';
import { encodeText, parseText, TextError, type KeyValue } from '../../lib/iscsi/text.js';
import { TargetLogin, type Decision, type LoginComplete, type LoginIdentity, type LoginStep } from '../../lib/iscsi/target-login.js';
import type { DiscoveryPortal, PortaldConfig } from '../../lib/portald/config.js';
import { BusyError, type Directory, type RoundRobin } from './directory.js';

export interface SessionLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  debug(o: object, msg: string): void;
}

export interface SessionHost {
  send(b: Buffer): void;
  /** Close after what was sent is flushed. */
  close(): void;
  /** Login finished: the host switches from the login timer to the idle timer. */
  loggedIn?(): void;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly log: SessionLog;
}

export interface SessionDeps {
  readonly config: PortaldConfig;
  readonly portal: DiscoveryPortal;
  readonly directory: Directory;
  readonly roundRobin: RoundRobin;
  /** setTimeout, injectable so tests need not wait. */
  readonly delay?: (ms: number, fn: () => void) => { cancel(): void };
  readonly newStatSN?: () => number;
  readonly newTsih?: () => number;
}

/** Most PDUs held while a decision (a back-end lookup) is pending. */
const MAX_BACKLOG = 8;
/** Most protocol errors tolerated in the full feature phase before closing. */
const MAX_REJECTS = 8;
/** Most bytes of one text request across continuation PDUs. */
const MAX_TEXT_REQUEST = 65536;

export class PortalSession {
  private readonly framer: Framer;
  private login: TargetLogin;
  private session: LoginComplete | undefined;
  private busy = false;
  private backlog: Pdu[] = [];
  private closed = false;
  private statSN = 0;
  private expCmdSN = 0;
  private rejects = 0;
  private textIn: { itt: number; ttt: number; parts: Buffer[]; bytes: number } | undefined;
  private textOut: { itt: number; ttt: number; rest: Buffer } | undefined;
  private timer: { cancel(): void } | undefined;
  private nextTtt = 1;

  constructor(private readonly host: SessionHost, private readonly deps: SessionDeps) {
    const limits = deps.config.limits;
    this.framer = new Framer({ maxDataSegment: limits.maxRecvDataSegmentLength, maxAhs: 0 });
    this.login = new TargetLogin(
      {
        ...(deps.config.chap && { chap: deps.config.chap }),
        maxRecvDataSegmentLength: limits.maxRecvDataSegmentLength,
        portalGroupTag: deps.portal.tag,
        tsih: deps.newTsih?.() ?? 1,
      },
      deps.newStatSN?.() ?? Math.floor(Math.random() * 0xffffffff),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  receive(chunk: Buffer): void {
    if (this.closed) return;
    let pdus: Pdu[];
    try {
      pdus = this.framer.push(chunk);
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      this.host.log.debug({ remote: this.host.remoteAddress, err: e.message }, 'framing error; closing');
      return this.end();
    }
    for (const p of pdus) {
      if (this.closed) return;
      if (this.busy) {
        if (this.backlog.length >= MAX_BACKLOG) return this.end();
        this.backlog.push(p);
      } else this.pdu(p);
    }
  }

  /** The connection went away: drop timers and pending work. */
  closedByPeer(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.backlog = [];
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.backlog = [];
    this.host.close();
  }

  private write(p: OutPdu): void {
    if (this.closed) return;
    const n = this.session?.negotiated;
    this.host.send(serialize(p, { header: !!n?.headerDigest, data: !!n?.dataDigest }));
  }

  private pdu(p: Pdu): void {
    if (!this.login.done) return this.loginPdu(p);
    if (!this.session) return this.end(); // login failed; the connection is closing
    this.fullFeature(p);
  }

  private loginPdu(p: Pdu): void {
    if (opcode(p.bhs) !== Op.LOGIN_REQ) {
      // RFC 7143 6.3: anything but a Login Request before login completes ends the connection.
      return this.end();
    }
    this.step(this.login.handle(p));
  }

  private step(s: LoginStep): void {
    if (s.kind === 'decide') {
      this.busy = true;
      void this.decide(s.identity).then(
        (d) => this.afterDecision(d),
        (e: unknown) => {
          this.host.log.warn({ err: (e as Error).message }, 'login decision failed');
          this.afterDecision({ accept: false, status: LoginStatus.TARGET_ERROR, reason: 'internal error' });
        },
      );
      return;
    }
    if (s.failure) this.logFailure(s.failure.status, s.failure.reason);
    this.write(s.pdu);
    if (s.close) return this.end();
    if (s.complete) {
      this.session = s.complete;
      this.statSN = s.complete.statSN;
      this.expCmdSN = s.complete.expCmdSN;
      this.framer.headerDigest = s.complete.negotiated.headerDigest;
      this.framer.dataDigest = s.complete.negotiated.dataDigest;
      this.host.loggedIn?.();
      this.host.log.debug({ remote: this.host.remoteAddress, initiator: s.complete.identity.initiatorName }, 'discovery session logged in');
    }
  }

  private afterDecision(d: Decision & { delayMs?: number }): void {
    if (this.closed) return;
    const go = (): void => {
      this.timer = undefined;
      if (this.closed) return;
      this.busy = false;
      this.step(this.login.decide(d));
      const queued = this.backlog;
      this.backlog = [];
      for (const p of queued) if (!this.closed) this.pdu(p);
    };
    if (d.delayMs) {
      const delay = this.deps.delay ?? ((ms, fn) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      });
      this.timer = delay(d.delayMs, go);
    } else go();
  }

  private logFailure(status: number, reason: string): void {
    const level = status >> 8 === 1 ? 'info' : 'warn';
    const id = this.loginIdentity;
    this.host.log[level](
      { remote: this.host.remoteAddress, initiator: id?.initiatorName, target: id?.targetName, status: loginStatusName(status) },
      reason,
    );
  }

  private loginIdentity: LoginIdentity | undefined;

  /** The decision point: discovery sessions go on; normal sessions are answered here. */
  private async decide(id: LoginIdentity): Promise<Decision & { delayMs?: number }> {
    this.loginIdentity = id;
    if (!isIscsiName(id.initiatorName)) {
      return { accept: false, status: LoginStatus.INITIATOR_ERROR, reason: 'InitiatorName is not a valid iSCSI name' };
    }
    if (id.sessionType === 'Discovery') return { accept: true };
    const target = id.targetName!;
    if (!isIscsiName(target)) return { accept: false, status: LoginStatus.NOT_FOUND, reason: 'TargetName is not a valid iSCSI name' };
    const cfg = this.deps.config;
    if (cfg.removedTargets.includes(target)) {
      return { accept: false, status: LoginStatus.TARGET_REMOVED, reason: 'target is decommissioned' };
    }
    const unavailable = (reason: string): Decision & { delayMs: number } => ({
      accept: false, status: LoginStatus.SERVICE_UNAVAILABLE, reason, delayMs: cfg.unavailableDelayMs,
    });
    let portals;
    try {
      const view = await this.deps.directory.view(this.deps.portal, id.initiatorName);
      portals = view.targets.get(target);
    } catch (e) {
      if (e instanceof BusyError) return { accept: false, status: LoginStatus.OUT_OF_RESOURCES, reason: e.message, delayMs: cfg.unavailableDelayMs };
      return unavailable((e as Error).message);
    }
    // Not served anywhere right now (a failover in progress, or not visible to
    // this initiator): unavailable, so the initiator retries rather than giving up.
    if (!portals || portals.length === 0) return unavailable('no portal serves the target now');
    const to = this.deps.roundRobin.pick(id.initiatorName, target, portals)!;
    const status = cfg.redirect === 'permanent' ? LoginStatus.TARGET_MOVED_PERMANENTLY : LoginStatus.TARGET_MOVED_TEMPORARILY;
    return { accept: false, status, pairs: [['TargetAddress', formatTargetAddress(to)]], reason: `redirect to ${formatTargetAddress(to)}` };
  }

  private sn(): { statSN: number; expCmdSN: number; maxCmdSN: number } {
    const r = { statSN: this.statSN, expCmdSN: this.expCmdSN, maxCmdSN: (this.expCmdSN + 31) >>> 0 };
    this.statSN = (this.statSN + 1) >>> 0;
    return r;
  }

  private advanceCmdSN(p: Pdu): void {
    if (!isImmediate(p.bhs) && p.bhs.readUInt32BE(24) === this.expCmdSN) this.expCmdSN = (this.expCmdSN + 1) >>> 0;
  }

  private protocolError(p: Pdu, reason: number): void {
    this.write(reject({ reason, ...this.sn(), offending: p.bhs }));
    if (++this.rejects >= MAX_REJECTS) this.end();
  }

  private fullFeature(p: Pdu): void {
    switch (opcode(p.bhs)) {
      case Op.TEXT_REQ:
        this.advanceCmdSN(p);
        return this.text(p);
      case Op.LOGOUT_REQ: {
        this.advanceCmdSN(p);
        this.write(logoutResponse({ itt: pduItt(p.bhs), response: 0, ...this.sn() }));
        return this.end();
      }
      case Op.NOP_OUT: {
        this.advanceCmdSN(p);
        const itt = pduItt(p.bhs);
        if (itt === RESERVED_TAG) return; // a reply to our ping (we send none) or a one-way ping
        const data = p.data.subarray(0, this.session!.negotiated.initiatorMaxRecvDataSegmentLength);
        this.write(nopIn({ itt, ttt: RESERVED_TAG, lun: p.bhs.subarray(8, 16), ...this.sn(), data: Buffer.from(data) }));
        return;
      }
      case Op.LOGIN_REQ:
        return this.end();
      default:
        // SCSI commands, task management, data, SNACK: not in a discovery session.
        return this.protocolError(p, RejectReason.PROTOCOL_ERROR);
    }
  }

  private text(p: Pdu): void {
    const t = parseTextPdu(p.bhs);
    // The initiator asks for the next part of a long answer (RFC 7143 11.10.4).
    if (this.textOut && t.ttt === this.textOut.ttt) {
      if (t.itt !== this.textOut.itt || p.data.length !== 0) return this.protocolError(p, RejectReason.PROTOCOL_ERROR);
      return this.sendTextPart(this.textOut.itt, this.textOut.rest);
    }
    const continuing = this.textIn && this.textIn.itt === t.itt && this.textIn.ttt === t.ttt;
    if (!continuing && t.ttt !== RESERVED_TAG) return this.protocolError(p, RejectReason.INVALID_FIELD);
    this.textOut = undefined; // a new request abandons the rest of the old answer
    if (!continuing) this.textIn = { itt: t.itt, ttt: RESERVED_TAG, parts: [], bytes: 0 };
    if (!this.textIn) return;
    this.textIn.parts.push(p.data);
    this.textIn.bytes += p.data.length;
    if (this.textIn.bytes > MAX_TEXT_REQUEST) {
      this.textIn = undefined;
      return this.protocolError(p, RejectReason.OUT_OF_RESOURCES);
    }
    if (t.cont || !t.final) {
      // More request text follows: acknowledge with an empty response.
      this.textIn.ttt = this.newTtt();
      this.write(textResponse({ final: false, itt: t.itt, ttt: this.textIn.ttt, data: Buffer.alloc(0), ...this.snFields() }));
      return;
    }
    const data = Buffer.concat(this.textIn.parts);
    this.textIn = undefined;
    let pairs: KeyValue[];
    try {
      pairs = parseText(data);
    } catch (e) {
      if (!(e instanceof TextError)) throw e;
      return this.protocolError(p, RejectReason.PROTOCOL_ERROR);
    }
    this.busy = true;
    void this.answerText(pairs).then(
      (answer) => this.afterText(t.itt, answer),
      (e: unknown) => {
        this.host.log.warn({ err: (e as Error).message }, 'SendTargets failed');
        this.afterText(t.itt, []);
      },
    );
  }

  private snFields(): { sn1: number; sn2: number; sn3: number } {
    const s = this.sn();
    return { sn1: s.statSN, sn2: s.expCmdSN, sn3: s.maxCmdSN };
  }

  private newTtt(): number {
    const t = this.nextTtt;
    this.nextTtt = this.nextTtt >= 0x7ffffffe ? 1 : this.nextTtt + 1;
    return t;
  }

  private afterText(itt: number, answer: KeyValue[]): void {
    if (this.closed) return;
    this.busy = false;
    this.sendTextPart(itt, encodeText(answer));
    const queued = this.backlog;
    this.backlog = [];
    for (const q of queued) if (!this.closed) this.pdu(q);
  }

  /** Sends what fits the initiator's MaxRecvDataSegmentLength; keeps the rest for its next request. */
  private sendTextPart(itt: number, text: Buffer): void {
    const max = this.session!.negotiated.initiatorMaxRecvDataSegmentLength;
    if (text.length <= max) {
      this.textOut = undefined;
      this.write(textResponse({ final: true, itt, ttt: RESERVED_TAG, data: text, ...this.snFields() }));
      return;
    }
    const ttt = this.newTtt();
    this.textOut = { itt, ttt, rest: text.subarray(max) };
    this.write(textResponse({ final: false, cont: true, itt, ttt, data: text.subarray(0, max), ...this.snFields() }));
  }

  private async answerText(pairs: KeyValue[]): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    const id = this.session!.identity;
    for (const [k, v] of pairs) {
      if (k !== 'SendTargets') {
        out.push([k, 'NotUnderstood']);
        continue;
      }
      // In a discovery session an empty value means nothing to report (RFC 7143 appendix C).
      if (v === '') continue;
      let view;
      try {
        view = await this.deps.directory.view(this.deps.portal, id.initiatorName);
      } catch (e) {
        this.host.log.warn({ initiator: id.initiatorName, err: (e as Error).message }, 'SendTargets: back-ends unavailable; answering with no targets');
        continue;
      }
      const self = `${formatHostPort(this.host.localAddress, this.host.localPort)},${this.deps.portal.tag}`;
      for (const name of view.targets.keys()) {
        if (this.deps.config.removedTargets.includes(name)) continue;
        if (v !== 'All' && v !== name) continue;
        out.push(['TargetName', name], ['TargetAddress', self]);
      }
      this.host.log.info(
        { initiator: id.initiatorName, remote: this.host.remoteAddress, targets: out.filter(([k2]) => k2 === 'TargetName').length, failedBackends: view.failed },
        `SendTargets=${v.slice(0, 223)}`,
      );
    }
    return out;
  }
}

