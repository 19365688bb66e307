/**
 * probeLogin, the discovery monitor's proof that a portal answers: one discovery Login Request,
 * any Login Response is an answer; silence, a closed connection, a refused connection and a PDU
 * that is not a login response are failures. Loopback servers only.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeLogin } from '../../lib/iscsi/probe.js';
import { serialize } from '../../lib/iscsi/framer.js';
import { Op, BHS_LENGTH, opcode } from '../../lib/iscsi/pdu.js';
import { LoginStatus } from '../../lib/iscsi/login-status.js';
import { FakeTarget } from './fake-target.js';
import { freePort } from '../portald/harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A loopback server whose connections `onConn` handles; resolves to its port and records when each connection closed. */
async function server(onConn: (s: Socket) => void): Promise<{ port: number; closed: Promise<void>[] }> {
  const closed: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    closed.push(new Promise((r) => s.on('close', () => r())));
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  closers.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    srv.close(() => r());
  }));
  return { port: (srv.address() as { port: number }).port, closed };
}

/** A Login Response BHS with the given status (class << 8 | detail). */
function loginResponse(status: number): Buffer {
  const bhs = Buffer.alloc(BHS_LENGTH);
  bhs[0] = Op.LOGIN_RSP;
  bhs[36] = status >> 8;
  bhs[37] = status & 0xff;
  return bhs;
}

/** Reads one whole login request PDU (48-byte header plus its padded data) before answering. */
function onRequest(s: Socket, answer: (s: Socket) => void): void {
  let got = Buffer.alloc(0);
  s.on('data', (b: Buffer) => {
    got = Buffer.concat([got, b]);
    if (got.length >= BHS_LENGTH && got.length >= BHS_LENGTH + ((got.readUIntBE(5, 3) + 3) & ~3)) {
      expect(opcode(got)).toBe(Op.LOGIN_REQ);
      answer(s);
    }
  });
}

describe('probeLogin', () => {
  it('a target that logs the probe in: status 0', async () => {
    const t = await new FakeTarget({ targets: [{ name: 'iqn.2026-01.test.lioha:disk', acl: ['*'] }] }).start();
    closers.push(() => t.stop());
    expect(await probeLogin('127.0.0.1', t.port, 2000)).toBe(0);
    expect(t.logins).toEqual([{ initiator: 'iqn.2026-01.io.lioha:monitor', sessionType: 'Discovery', accepted: true }]);
  });

  it('a refusal is still an answer: the status comes back', async () => {
    const { port } = await server((s) => onRequest(s, (c) => c.write(loginResponse(LoginStatus.AUTHENTICATION_FAILURE))));
    expect(await probeLogin('127.0.0.1', port, 2000)).toBe(LoginStatus.AUTHENTICATION_FAILURE);
  });

  it('an answer that arrives a byte at a time is put together', async () => {
    const { port } = await server((s) => onRequest(s, (c) => {
      const b = serialize({ bhs: loginResponse(0x0201), data: Buffer.alloc(0) });
      let i = 0;
      const next = () => {
        if (i < b.length) c.write(b.subarray(i, ++i), () => setTimeout(next, 1));
      };
      next();
    }));
    expect(await probeLogin('127.0.0.1', port, 5000)).toBe(0x0201);
  });

  it('closes its connection after the answer when the process goes on', async () => {
    const { port, closed } = await server((s) => onRequest(s, (c) => c.write(loginResponse(0))));
    expect(await probeLogin('127.0.0.1', port, 2000)).toBe(0);
    await expect(Promise.race([closed[0], new Promise((r) => setTimeout(() => r('still open'), 2000))])).resolves.toBeUndefined();
  });

  it('a portal that accepts the connection but never answers: failure after the timeout', async () => {
    const { port, closed } = await server((s) => s.resume()); // reads, never answers
    const t0 = Date.now();
    await expect(probeLogin('127.0.0.1', port, 300)).rejects.toThrow(`no login response from 127.0.0.1:${port} within 300 ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await closed[0];
  });

  it('a portal that closes without answering, or answers with another PDU, or is not there: failure', async () => {
    const closing = await server((s) => onRequest(s, (c) => c.end()));
    await expect(probeLogin('127.0.0.1', closing.port, 2000)).rejects.toThrow('closed the connection without a login response');
    const other = await server((s) => onRequest(s, (c) => {
      const bhs = Buffer.alloc(BHS_LENGTH);
      bhs[0] = Op.REJECT;
      c.write(bhs);
    }));
    await expect(probeLogin('127.0.0.1', other.port, 2000)).rejects.toThrow('answered with opcode 0x3f, not a login response');
    const none = await freePort();
    await expect(probeLogin('127.0.0.1', none, 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
