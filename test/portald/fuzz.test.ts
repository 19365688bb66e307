/**
 * Hostile input: at least 100,000 random and mutated PDUs thrown at the
 * portal's connection engine (in process, so it runs in seconds), then a
 * smaller stream over real sockets. Nothing may throw, every connection must
 * end with its timers released, caches must stay bounded, and the portal must
 * still answer a well-formed discovery afterwards. Seeded, so a failure
 * reproduces.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/portald/config.js';
import { Directory, RoundRobin } from '../../daemons/portald/directory.js';
import { PortalServer } from '../../daemons/portald/server.js';
import { PortalSession, type SessionHost } from '../../daemons/portald/session.js';
import { serialize } from '../../lib/iscsi/framer.js';
import { discoverTargets } from '../../lib/iscsi/initiator.js';
import { Op, loginRequest, logoutRequest, textRequest, type OutPdu } from '../../lib/iscsi/pdu.js';
import { encodeText } from '../../lib/iscsi/text.js';
import { freePort } from './harness.js';

/** xorshift32: small, fast, reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const INITIATORS = ['iqn.2026-01.test.fuzz:a', 'iqn.2026-01.test.fuzz:b', 'not a name', '', 'iqn.2026-01.test.fuzz:' + 'x'.repeat(300)];
const TARGETS = ['iqn.2026-01.test.fuzz:t1', 'iqn.2026-01.test.fuzz:gone', 'iqn.2026-01.test.fuzz:nowhere', '../../etc'];

function validSequence(r: () => number): OutPdu[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const isid = Buffer.from([0x80, 1, 2, 3, 4, 5]);
  const discovery = r() < 0.6;
  const ident: [string, string][] = [['InitiatorName', pick(INITIATORS)], ['SessionType', discovery ? 'Discovery' : 'Normal']];
  if (!discovery) ident.push(['TargetName', pick(TARGETS)]);
  const auth: [string, string][] = [['AuthMethod', pick(['None', 'CHAP,None', 'CHAP', 'Bogus'])]];
  const op: [string, string][] = [
    ['HeaderDigest', pick(['None', 'CRC32C,None', 'CRC32C', 'x'])],
    ['DataDigest', pick(['None', 'CRC32C'])],
    ['MaxRecvDataSegmentLength', pick(['512', '8192', '0', '99999999999', '0x1000'])],
    ['ErrorRecoveryLevel', '0'],
    ['X-Junk', 'y'],
  ];
  const L = (csg: 0 | 1, nsg: 0 | 1 | 3, pairs: [string, string][], transit = true) =>
    loginRequest({ transit, csg, nsg, isid, tsih: 0, itt: 1, cid: 0, cmdSN: 1, expStatSN: 0, data: encodeText(pairs) });
  const seq: OutPdu[] = [];
  if (r() < 0.5) seq.push(L(0, 1, [...ident, ...auth]));
  else seq.push(L(1, 3, [...ident, ...op]));
  seq.push(L(0, 1, [['CHAP_A', pick(['5', '7', '5,7', '99'])]], false));
  seq.push(L(0, 1, [['CHAP_N', 'user'], ['CHAP_R', pick(['0x00', '0x' + 'ab'.repeat(16), '0bAAAA', 'zz'])], ['CHAP_I', '1'], ['CHAP_C', '0x0102']]));
  seq.push(L(1, 3, op));
  seq.push(textRequest({ final: true, itt: 2, ttt: 0xffffffff, sn1: 1, sn2: 1, data: encodeText([['SendTargets', pick(['All', '', TARGETS[0]!])]]) }));
  if (r() < 0.3) seq.push(textRequest({ final: false, cont: true, itt: 3, ttt: 0xffffffff, sn1: 2, sn2: 2, data: Buffer.alloc(1000, 0x41) }));
  seq.push(logoutRequest({ itt: 4, cid: 0, cmdSN: 2, expStatSN: 2 }));
  return seq;
}

function mutate(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const what = r();
    if (what < 0.4) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    else if (what < 0.55) out[Math.floor(r() * Math.min(48, out.length))]! ^= 1 << Math.floor(r() * 8);
    else if (what < 0.7 && out.length >= 8) out.writeUIntBE(Math.floor(r() * 0x1000000), 5, 3); // DataSegmentLength
    else if (what < 0.8 && out.length >= 5) out[4] = Math.floor(r() * 256); // TotalAHSLength
    else if (what < 0.9) return out.subarray(0, Math.floor(r() * out.length));
    else out[0] = [Op.SCSI_CMD, Op.NOP_OUT, Op.DATA_OUT, Op.SNACK, Op.TASK_MGMT, 0x3f, Op.LOGIN_REQ | 0x40][Math.floor(r() * 7)]!;
  }
  return out;
}

function randomPdu(r: () => number): Buffer {
  const len = 48 + Math.floor(r() * 200);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  b[4] = r() < 0.8 ? 0 : b[4]!;
  if (r() < 0.7) b.writeUIntBE(Math.max(0, len - 48 - 3), 5, 3);
  return b;
}

function setup(extra: Record<string, unknown> = {}) {
  const config = parseConfig(
    JSON.stringify({
      portals: [{ address: '127.0.0.1', port: 3260, backends: ['127.0.0.1:3261', '127.0.0.1:3262'] }],
      removedTargets: ['iqn.2026-01.test.fuzz:gone'],
      limits: { maxRecvDataSegmentLength: 8192 },
      ...extra,
    }),
  );
  let queries = 0;
  const directory = new Directory({
    stateSeconds: 5,
    backendTimeoutMs: 1000,
    maxBackendQueries: 4,
    maxViews: 100,
    discover: async (o) => {
      queries++;
      if (o.port === 3262) throw new Error('down');
      return [{ name: 'iqn.2026-01.test.fuzz:t1', addresses: [{ host: '127.0.0.1', port: 3261, tag: 1 }] }];
    },
  });
  return { config, directory, roundRobin: new RoundRobin(60_000, 100), queries: () => queries };
}

describe('portald under hostile input', () => {
  it('survives 100,000 random and mutated PDUs in process: no throw, no leaked timer, bounded state', async () => {
    const r = rng(0x1105a);
    for (const chap of [false, true]) {
      const { config, directory, roundRobin } = setup(chap ? { chap: { username: 'user', password: 'fuzz-secret-1' } } : {});
      let timers = 0;
      let sent = 0;
      let pdus = 0;
      let sessions = 0;
      const delay = (ms: number, fn: () => void) => {
        timers++;
        let done = false;
        queueMicrotask(() => {
          if (done) return;
          done = true;
          timers--;
          fn();
        });
        return { cancel: () => void (done || ((done = true), timers--)) };
      };
      while (pdus < 50_000) {
        // 64 connections at a time, fed in lock step, so pending decisions interleave as on a busy portal.
        const batch = Array.from({ length: 64 }, () => {
          sessions++;
          const st = { closed: false, seq: validSequence(r) };
          const host: SessionHost = {
            send: (b) => void (sent += b.length),
            close: () => void (st.closed = true),
            localAddress: '127.0.0.1',
            localPort: 3260,
            remoteAddress: '127.0.0.9',
            log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
          };
          return { st, s: new PortalSession(host, { config, portal: config.portals[0]!, directory, roundRobin, delay }) };
        });
        for (let i = 0; i < 8; i++) {
          for (const { st, s } of batch) {
            const p = st.seq[i];
            if (!p || st.closed) continue;
            const kind = r();
            const bytes = kind < 0.45 ? serialize(p) : kind < 0.9 ? mutate(serialize(p), r) : randomPdu(r);
            // Sometimes split a PDU across reads, as TCP may.
            if (r() < 0.2 && bytes.length > 2) {
              const cut = 1 + Math.floor(r() * (bytes.length - 1));
              s.receive(bytes.subarray(0, cut));
              s.receive(bytes.subarray(cut));
            } else s.receive(bytes);
            pdus++;
          }
          await new Promise((res) => setImmediate(res));
        }
        for (const { s } of batch) s.closedByPeer();
      }
      expect(timers, 'timers left running').toBe(0);
      expect(sent).toBeGreaterThan(0);
      expect(directory.size.views).toBeLessThanOrEqual(100);
      expect(directory.size.inflight + directory.size.active + directory.size.waiting).toBe(0);
      expect(roundRobin.size).toBeLessThanOrEqual(100);
      expect(sessions).toBeGreaterThan(5000);
    }
  }, 120_000);

  it('survives a hostile byte stream over real sockets, releases every connection, and still answers', async () => {
    const { config: base, directory, roundRobin } = setup();
    const port = await freePort();
    const config = { ...base, portals: [{ ...base.portals[0]!, port }], limits: { ...base.limits, maxConnections: 64, maxConnectionsPerAddress: 64 } };
    const log = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined };
    const server = new PortalServer(config, { directory, roundRobin, log });
    await server.start();
    try {
      const r = rng(0xfeed);
      const one = (): Promise<void> =>
        new Promise((resolve) => {
          const sock = connect({ host: '127.0.0.1', port });
          sock.on('error', () => undefined);
          sock.on('close', () => resolve());
          sock.on('connect', () => {
            for (const p of validSequence(r)) sock.write(r() < 0.5 ? serialize(p) : r() < 0.8 ? mutate(serialize(p), r) : randomPdu(r));
            setTimeout(() => sock.destroy(), 20);
          });
        });
      for (let round = 0; round < 40; round++) await Promise.all(Array.from({ length: 10 }, one));
      for (let i = 0; i < 50 && server.stats.connections > 0; i++) await new Promise((res) => setTimeout(res, 20));
      expect(server.stats.connections).toBe(0);
      expect(server.stats.addresses).toBe(0);
      const ok = await discoverTargets({ host: '127.0.0.1', port, initiatorName: 'iqn.2026-01.test.fuzz:a', timeoutMs: 2000 });
      expect(ok.map((t) => t.name)).toEqual(['iqn.2026-01.test.fuzz:t1']);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
