/**
 * ocf:lioha:discovery, built, run out of process as Pacemaker runs it, with
 * the built lioha-portald on loopback in front of a fake target.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverTargets } from '../../lib/iscsi/initiator.js';
import { distDir, runBuiltAgent } from '../helpers/agent.js';
import { FakeTarget } from '../iscsi/fake-target.js';
import { freePort } from '../portald/harness.js';

const T = 'iqn.2026-01.test.lioha:agent-disk';
const I = 'iqn.2026-01.test.lioha:agent-host';

/** Running (a zombie whose parent has not reaped it yet has an empty cmdline and counts as gone). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== '';
  } catch {
    return false;
  }
}

describe('ocf:lioha:discovery', () => {
  let dir: string;
  let backend: FakeTarget;
  let port: number;
  let params: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lioha-discovery-'));
    backend = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T, acl: [I] }] }).start();
    port = await freePort();
    writeFileSync(join(dir, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port, backends: [backend.address] }] }));
    params = {
      config: join(dir, 'portald.json'),
      daemon: join(distDir, 'bin', 'lioha-portald'),
      pidfile: join(dir, 'portald.pid'),
      logfile: join(dir, 'portald.log'),
    };
  });
  afterAll(async () => {
    runBuiltAgent('discovery', 'stop', { params });
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start, monitor, discovery through it, idempotent start, stop twice, monitor 7', async () => {
    expect(runBuiltAgent('discovery', 'monitor', { params }).code).toBe(7);
    const s = runBuiltAgent('discovery', 'start', { params });
    expect(s.code, s.stderr).toBe(0);
    const pid = Number(readFileSync(params.pidfile!, 'utf8'));
    expect(runBuiltAgent('discovery', 'monitor', { params }).code).toBe(0);
    const found = await discoverTargets({ host: '127.0.0.1', port, initiatorName: I, timeoutMs: 3000 });
    expect(found.map((t) => t.name)).toEqual([T]);
    expect(runBuiltAgent('discovery', 'start', { params }).code).toBe(0);
    expect(Number(readFileSync(params.pidfile!, 'utf8'))).toBe(pid);
    expect(readFileSync(params.logfile!, 'utf8')).toMatch(/"msg":"ready"/);
    expect(runBuiltAgent('discovery', 'stop', { params }).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(runBuiltAgent('discovery', 'stop', { params }).code).toBe(0);
    expect(runBuiltAgent('discovery', 'monitor', { params }).code).toBe(7);
  });

  it('a killed daemon is a failure (1), not "stopped" (7); start recovers', () => {
    expect(runBuiltAgent('discovery', 'start', { params }).code).toBe(0);
    const pid = Number(readFileSync(params.pidfile!, 'utf8'));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    const m = runBuiltAgent('discovery', 'monitor', { params });
    expect(m.code).toBe(1);
    expect(m.reasons[0]).toMatch(/gone; it crashed or was killed/);
    expect(runBuiltAgent('discovery', 'start', { params }).code).toBe(0);
    expect(runBuiltAgent('discovery', 'monitor', { params }).code).toBe(0);
    expect(runBuiltAgent('discovery', 'stop', { params }).code).toBe(0);
  });

  it('refuses a broken configuration with its JSON path (6), a missing one with 5, an open secret file with 5', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ portals: [{ address: '127.0.0.1', backends: ['nope'] }] }));
    const v = runBuiltAgent('discovery', 'validate-all', { params: { ...params, config: bad } });
    expect(v.code).toBe(6);
    expect(v.reasons[0]).toBe('config invalid: $.portals[0].backends[0]: "nope" is not "ip[:port]" (IPv6 as [addr]:port)');
    expect(runBuiltAgent('discovery', 'start', { params: { ...params, config: join(dir, 'missing.json') } }).code).toBe(5);
    const open = join(dir, 'open.json');
    writeFileSync(open, JSON.stringify({ portals: [{ address: '127.0.0.1', port, backends: [backend.address] }], chap: { username: 'u', password: 'secret-secret' } }));
    chmodSync(open, 0o644);
    const o = runBuiltAgent('discovery', 'validate-all', { params: { ...params, config: open } });
    expect(o.code).toBe(5);
    expect(o.reasons[0]).toMatch(/readable by others/);
    expect(o.stderr).not.toMatch(/secret-secret/);
  });

  it('start fails (1) and leaves nothing running when the address is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port }, () => r()));
    try {
      const s = runBuiltAgent('discovery', 'start', { params });
      expect(s.code).toBe(1);
      expect(s.reasons[0]).toMatch(/did not start \(exit code 1\)/);
      expect(existsSync(params.pidfile!)).toBe(false);
      expect(runBuiltAgent('discovery', 'monitor', { params }).code).toBe(7);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
