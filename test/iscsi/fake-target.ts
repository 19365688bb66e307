/**
 * A tiny iSCSI target on loopback, standing in for LIO where the kernel module
 * is not available: discovery sessions answer SendTargets filtered per
 * initiator (like LIO with demo_mode_discovery=0 and node ACLs), normal
 * sessions log in when the ACL allows and answer the few SCSI commands
 * libiscsi's tools send (TEST UNIT READY, INQUIRY, REPORT LUNS, READ CAPACITY).
 * Test double only; it records the logins it saw.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Framer, serialize } from '../../lib/iscsi/framer.js';
import { LoginStatus } from '../../lib/iscsi/login-status.js';
import {
  BHS_LENGTH, Op, RESERVED_TAG, isImmediate, logoutResponse, nopIn, opcode, parseText as parseTextPdu, textResponse, type OutPdu, type Pdu,
} from '../../lib/iscsi/pdu.js';
import { encodeText, parseText } from '../../lib/iscsi/text.js';
import { TargetLogin, type ChapCredentials, type LoginComplete } from '../../lib/iscsi/target-login.js';

export interface FakeTargetSpec {
  readonly name: string;
  /** Initiators with an ACL; '*' for any. */
  readonly acl: readonly string[];
}

export interface FakeTargetOptions {
  readonly host?: string;
  readonly port?: number;
  readonly targets: FakeTargetSpec[];
  /** Addresses reported in SendTargets (default: the address listened on). */
  readonly reportAddresses?: readonly string[];
  readonly discoveryChap?: ChapCredentials;
}

export interface SeenLogin {
  readonly initiator: string;
  readonly sessionType: string;
  readonly target?: string;
  readonly accepted: boolean;
}

export class FakeTarget {
  readonly logins: SeenLogin[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  host: string;

  constructor(public options: FakeTargetOptions) {
    this.host = options.host ?? '127.0.0.1';
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((r) => this.server!.listen({ host: this.host, port: this.options.port ?? 0 }, () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private visible(initiator: string): FakeTargetSpec[] {
    return this.options.targets.filter((t) => t.acl.includes('*') || t.acl.includes(initiator));
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const framer = new Framer({ maxDataSegment: 262144, maxAhs: 1020 });
    let login = new TargetLogin({ maxRecvDataSegmentLength: 262144, portalGroupTag: 1, tsih: 7, ...(this.options.discoveryChap && { chap: this.options.discoveryChap }) }, 1000);
    let session: LoginComplete | undefined;
    let statSN = 0;
    let expCmdSN = 0;
    let normalLogin = false;
    const send = (p: OutPdu): void => void sock.write(serialize(p, { header: !!session?.negotiated.headerDigest, data: !!session?.negotiated.dataDigest }));
    const sn = () => {
      const r = { statSN, expCmdSN, maxCmdSN: (expCmdSN + 31) >>> 0 };
      statSN = (statSN + 1) >>> 0;
      return r;
    };
    const handle = (p: Pdu): void => {
      const op = opcode(p.bhs);
      if (!login.done) {
        if (op !== Op.LOGIN_REQ) return void sock.destroy();
        let step = login.handle(p);
        if (step.kind === 'decide') {
          const id = step.identity;
          if (id.sessionType === 'Normal') {
            normalLogin = true;
            // Normal sessions: no CHAP in this double; the ACL decides.
            login = new TargetLogin({ maxRecvDataSegmentLength: 262144, portalGroupTag: 1, tsih: 7 }, 1000);
            const again = login.handle(p);
            if (again.kind !== 'decide') throw new Error('unexpected');
            const ok = this.visible(id.initiatorName).some((t) => t.name === id.targetName);
            this.logins.push({ initiator: id.initiatorName, sessionType: 'Normal', target: id.targetName!, accepted: ok });
            step = login.decide(ok ? { accept: true } : { accept: false, status: this.options.targets.some((t) => t.name === id.targetName) ? LoginStatus.AUTHORIZATION_FAILURE : LoginStatus.NOT_FOUND, reason: 'acl' });
          } else {
            this.logins.push({ initiator: id.initiatorName, sessionType: 'Discovery', accepted: true });
            step = login.decide({ accept: true });
          }
        }
        if (step.kind !== 'respond') throw new Error('unexpected');
        send(step.pdu);
        if (step.close) return void sock.end();
        if (step.complete) {
          session = step.complete;
          statSN = session.statSN;
          expCmdSN = session.expCmdSN;
          framer.headerDigest = session.negotiated.headerDigest;
          framer.dataDigest = session.negotiated.dataDigest;
        }
        return;
      }
      if (!isImmediate(p.bhs) && op !== Op.DATA_OUT && p.bhs.readUInt32BE(24) === expCmdSN) expCmdSN = (expCmdSN + 1) >>> 0;
      const itt = p.bhs.readUInt32BE(16);
      switch (op) {
        case Op.TEXT_REQ: {
          const t = parseTextPdu(p.bhs);
          const pairs = parseText(p.data);
          const out: [string, string][] = [];
          for (const [k, v] of pairs) {
            if (k !== 'SendTargets') continue;
            for (const tg of this.visible(session!.identity.initiatorName)) {
              if (v !== 'All' && v !== tg.name) continue;
              out.push(['TargetName', tg.name]);
              for (const a of this.options.reportAddresses ?? [`${this.host}:${this.port},1`]) out.push(['TargetAddress', a]);
            }
          }
          const s = sn();
          send(textResponse({ final: true, itt: t.itt, ttt: RESERVED_TAG, sn1: s.statSN, sn2: s.expCmdSN, sn3: s.maxCmdSN, data: encodeText(out) }));
          return;
        }
        case Op.LOGOUT_REQ:
          send(logoutResponse({ itt, response: 0, ...sn() }));
          return void sock.end();
        case Op.NOP_OUT:
          if (itt !== RESERVED_TAG) send(nopIn({ itt, ttt: RESERVED_TAG, lun: p.bhs.subarray(8, 16), ...sn(), data: p.data }));
          return;
        case Op.SCSI_CMD:
          if (!normalLogin) return void sock.destroy();
          return this.scsi(p, itt, sn, send);
        default:
          return void sock.destroy();
      }
    };
    sock.on('data', (b: Buffer) => {
      try {
        for (const p of framer.push(b)) handle(p);
      } catch {
        sock.destroy();
      }
    });
  }

  private scsi(p: Pdu, itt: number, sn: () => { statSN: number; expCmdSN: number; maxCmdSN: number }, send: (p: OutPdu) => void): void {
    const cdb = p.bhs.subarray(32, 48);
    const edtl = p.bhs.readUInt32BE(20);
    let data: Buffer | undefined;
    switch (cdb[0]) {
      case 0x00: // TEST UNIT READY
        break;
      case 0x12: { // INQUIRY
        if (cdb[1]! & 1) {
          data = cdb[2] === 0x00 ? Buffer.from([0, 0, 0, 2, 0x00, 0x80]) : cdb[2] === 0x80 ? Buffer.concat([Buffer.from([0, 0x80, 0, 8]), Buffer.from('FAKE0001')]) : undefined;
          if (!data) return this.checkCondition(itt, sn, send);
        } else {
          data = Buffer.alloc(36);
          data[2] = 5; // SPC-3
          data[3] = 2;
          data[4] = 31;
          data.write('LIOHA   ', 8, 'ascii');
          data.write('FAKE-TARGET     ', 16, 'ascii');
          data.write('0001', 32, 'ascii');
        }
        break;
      }
      case 0xa0: // REPORT LUNS: LUN 0 only
        data = Buffer.alloc(16);
        data.writeUInt32BE(8, 0);
        break;
      case 0x25: // READ CAPACITY(10): 2048 blocks of 512 bytes
        data = Buffer.alloc(8);
        data.writeUInt32BE(2047, 0);
        data.writeUInt32BE(512, 4);
        break;
      case 0x9e: // READ CAPACITY(16)
        data = Buffer.alloc(32);
        data.writeUInt32BE(2047, 4);
        data.writeUInt32BE(512, 8);
        break;
      default:
        return this.checkCondition(itt, sn, send);
    }
    if (data) {
      const n = Math.min(data.length, edtl);
      const b = Buffer.alloc(BHS_LENGTH);
      b[0] = Op.DATA_IN;
      b[1] = 0x80 | 0x01 | (data.length > n ? 0x04 : 0) | (data.length < edtl ? 0x02 : 0); // F, S, O/U
      b[3] = 0; // GOOD
      b.writeUIntBE(n, 5, 3);
      b.writeUInt32BE(itt, 16);
      b.writeUInt32BE(RESERVED_TAG, 20);
      const s = sn();
      b.writeUInt32BE(s.statSN, 24);
      b.writeUInt32BE(s.expCmdSN, 28);
      b.writeUInt32BE(s.maxCmdSN, 32);
      b.writeUInt32BE(Math.abs(edtl - data.length) > 0 ? Math.abs(edtl - n) : 0, 44);
      send({ bhs: b, data: data.subarray(0, n) });
      return;
    }
    const b = Buffer.alloc(BHS_LENGTH);
    b[0] = Op.SCSI_RSP;
    b[1] = 0x80;
    b.writeUInt32BE(itt, 16);
    const s = sn();
    b.writeUInt32BE(s.statSN, 24);
    b.writeUInt32BE(s.expCmdSN, 28);
    b.writeUInt32BE(s.maxCmdSN, 32);
    send({ bhs: b, data: Buffer.alloc(0) });
  }

  private checkCondition(itt: number, sn: () => { statSN: number; expCmdSN: number; maxCmdSN: number }, send: (p: OutPdu) => void): void {
    const sense = Buffer.alloc(18);
    sense[0] = 0x70;
    sense[2] = 0x05; // ILLEGAL REQUEST
    sense[7] = 10;
    sense[12] = 0x20; // INVALID COMMAND OPERATION CODE
    const data = Buffer.concat([Buffer.from([0, sense.length]), sense]);
    const b = Buffer.alloc(BHS_LENGTH);
    b[0] = Op.SCSI_RSP;
    b[1] = 0x80;
    b[3] = 0x02; // CHECK CONDITION
    b.writeUIntBE(data.length, 5, 3);
    b.writeUInt32BE(itt, 16);
    const s = sn();
    b.writeUInt32BE(s.statSN, 24);
    b.writeUInt32BE(s.expCmdSN, 28);
    b.writeUInt32BE(s.maxCmdSN, 32);
    send({ bhs: b, data });
  }
}
