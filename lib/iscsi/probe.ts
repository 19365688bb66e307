/**
 * Is an iSCSI portal answering? Sends one discovery Login Request and waits
 * for a Login Response, whatever its status (a portal that demands CHAP
 * answers "authentication failure", which still proves it is alive). Light
 * on purpose: a monitor loads this on every fork, so it needs node:net and
 * the PDU codec only (no CHAP, no node:crypto).
 */
import { connect } from 'node:net';
import { Framer, serialize } from './framer.js';
import { Op, loginRequest, opcode, parseLoginResponse } from './pdu.js';
import { encodeText } from './text.js';

/** The probe's one PDU: a discovery Login Request without authentication, straight to full feature phase. */
export function discoveryLoginRequest(initiatorName: string): Buffer {
  const pairs: [string, string][] = [['InitiatorName', initiatorName], ['SessionType', 'Discovery'], ['AuthMethod', 'None']];
  return serialize(loginRequest({
    transit: true, csg: 0, nsg: 1, isid: Buffer.from([0x80, 0, 0, 0, 0, 1]), tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0, data: encodeText(pairs),
  }));
}

/** Socket reads land here (node:net's onread): a login response is one short PDU, and no Readable stream is fed. */
const READ_BUFFER_BYTES = 4096;

/** The initiator name the monitor's probe logs in with. */
export const PROBE_INITIATOR = 'iqn.2026-01.io.lioha:monitor';

export function probeLogin(host: string, port: number, timeoutMs: number, initiatorName = PROBE_INITIATOR): Promise<number> {
  return new Promise((resolve, reject) => {
    const framer = new Framer({ maxDataSegment: 65536, maxAhs: 1020 });
    let settled = false;
    const done = (err: Error | undefined, status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Closed on the next turn of the event loop rather than now: node:net's teardown creates
      // process.stderr (Socket._destroy compares itself with it), a stream a monitor that exits
      // on this answer never uses; its exit closes the socket instead. A process that goes on
      // closes it right away. unref: the socket no longer keeps the process alive.
      sock.unref();
      setImmediate(() => sock.destroy());
      if (err) reject(err);
      else resolve(status!);
    };
    const sock = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (n: number, buf: Uint8Array): boolean => {
          if (settled) return false;
          try {
            // Copied: the read buffer is reused by the next read.
            const [p] = framer.push(Buffer.from(buf.subarray(0, n)));
            if (!p) return true;
            if (opcode(p.bhs) !== Op.LOGIN_RSP) done(new Error(`${host}:${port} answered with opcode 0x${opcode(p.bhs).toString(16)}, not a login response`));
            else {
              const r = parseLoginResponse(p.bhs);
              done(undefined, (r.statusClass << 8) | r.statusDetail);
            }
          } catch (e) {
            done(e as Error);
          }
          return false;
        },
      },
    });
    const timer = setTimeout(() => done(new Error(`no login response from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(new Error(`${host}:${port}: ${e.message}`)));
    sock.on('close', () => done(new Error(`${host}:${port} closed the connection without a login response`)));
    sock.on('connect', () => sock.write(discoveryLoginRequest(initiatorName)));
  });
}
