/**
 * Is an iSCSI portal answering? Sends one discovery Login Request and waits
 * for a Login Response, whatever its status (a portal that demands CHAP
 * answers "authentication failure", which still proves it is alive). Light
 * on purpose: a monitor loads this on every fork.
 */
import { connect } from 'node:net';
import { Framer, serialize } from './framer.js';
import { Op, loginRequest, opcode, parseLoginResponse } from './pdu.js';
import { encodeText } from './text.js';

export function probeLogin(host: string, port: number, timeoutMs: number, initiatorName = 'iqn.2026-01.io.lioha:monitor'): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, noDelay: true });
    const framer = new Framer({ maxDataSegment: 65536, maxAhs: 1020 });
    const done = (err: Error | undefined, status?: number): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(status!);
    };
    const timer = setTimeout(() => done(new Error(`no login response from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(new Error(`${host}:${port}: ${e.message}`)));
    sock.on('close', () => done(new Error(`${host}:${port} closed the connection without a login response`)));
    sock.on('connect', () => {
      const pairs: [string, string][] = [['InitiatorName', initiatorName], ['SessionType', 'Discovery'], ['AuthMethod', 'None']];
      sock.write(serialize(loginRequest({
        transit: true, csg: 0, nsg: 1, isid: Buffer.from([0x80, 0, 0, 0, 0, 1]), tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0, data: encodeText(pairs),
      })));
    });
    sock.on('data', (b: Buffer) => {
      try {
        const [p] = framer.push(b);
        if (!p) return;
        if (opcode(p.bhs) !== Op.LOGIN_RSP) return done(new Error(`${host}:${port} answered with opcode 0x${opcode(p.bhs).toString(16)}, not a login response`));
        const r = parseLoginResponse(p.bhs);
        done(undefined, (r.statusClass << 8) | r.statusDetail);
      } catch (e) {
        done(e as Error);
      }
    });
  });
}
