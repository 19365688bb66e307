/** `lioha discovery sendtargets|query` (the seed's iscsi_portal_sendtargets and iscsi_portal_query) against a portal. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distDir } from '../helpers/agent.js';
import { FakeTarget } from '../iscsi/fake-target.js';
import { Portald, freePort } from './harness.js';

const lioha = join(distDir, 'bin', 'lioha');
const A = 'iqn.2026-01.test.lioha:cli-host';
const T = 'iqn.2026-01.test.lioha:cli-disk';
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) =>
    execFile(lioha, args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }, (e, out, err) => resolve({ code: e ? Number(e.code) : 0, out, err })),
  );

describe('lioha discovery', () => {
  let backend: FakeTarget;
  let portald: Portald;
  beforeAll(async () => {
    backend = await new FakeTarget({ targets: [{ name: T, acl: [A] }] }).start();
    portald = await Portald.start({ portals: [{ address: '127.0.0.1', port: await freePort(), backends: [backend.address] }], removedTargets: ['iqn.2026-01.test.lioha:old'] });
  });
  afterAll(async () => {
    await portald.stop();
    await backend.stop();
  });

  it('sendtargets prints what the initiator sees, with the portal address', async () => {
    const r = await run(['discovery', 'sendtargets', '-p', `127.0.0.1:${portald.port}`, '-i', A]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`${T} 127.0.0.1:${portald.port},1\n`);
    const other = await run(['discovery', 'sendtargets', '-p', `127.0.0.1:${portald.port}`, '-i', 'iqn.2026-01.test.lioha:stranger']);
    expect(other.out).toBe('');
  });

  it('query prints where a login is sent, and exits 1 for a refusal', async () => {
    const r = await run(['discovery', 'query', '-p', `127.0.0.1:${portald.port}`, '-i', A, '-t', T]);
    expect(r.out).toBe(`target moved temporarily ${backend.address},1\n`);
    const gone = await run(['discovery', 'query', '-p', `127.0.0.1:${portald.port}`, '-i', A, '-t', 'iqn.2026-01.test.lioha:old']);
    expect(gone.out).toBe('target removed\n');
    expect(gone.code).toBe(1);
  });

  it('takes the CHAP secret from the environment only', async () => {
    const r = await run(['discovery', 'sendtargets', '-p', `127.0.0.1:${portald.port}`, '-i', A, '--chap-user', 'u']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/LIOHA_CHAP_SECRET/);
  });
});
