/** The built lioha-portald as a process: --check, readiness pid file, SIGHUP reload (a broken file is refused), SIGTERM. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tryLogin } from '../../lib/iscsi/initiator.js';
import { LoginStatus } from '../../lib/iscsi/login-status.js';
import { distDir } from '../helpers/agent.js';
import { FakeTarget } from '../iscsi/fake-target.js';
import { freePort } from './harness.js';

const daemon = join(distDir, 'bin', 'lioha-portald');
const T = 'iqn.2026-01.test.lioha:daemon-disk';
const I = 'iqn.2026-01.test.lioha:daemon-host';
const dir = mkdtempSync(join(tmpdir(), 'lioha-portald-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('lioha-portald process', () => {
  it('--check names every error with its JSON path and exits 1; a valid file exits 0', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"portals": [{"address": "127.0.0.1", "backends": ["x"]}], "stateSeconds": -1}');
    const r = spawnSync(daemon, ['--config', bad, '--check'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad} is invalid:`);
    expect(r.stderr).toContain('$.portals[0].backends[0]: "x" is not "ip[:port]"');
    expect(r.stderr).toContain('$.stateSeconds: must be an integer from 0 to 60');
    const good = join(dir, 'good.json');
    writeFileSync(good, '{"portals": [{"address": "127.0.0.1", "backends": ["127.0.0.1:3261"]}]}');
    const g = spawnSync(daemon, ['--config', good, '--check'], { encoding: 'utf8' });
    expect(g.status).toBe(0);
    expect(g.stdout).toContain('valid (1 discovery portal(s))');
  });

  it('writes its pid file once listening, reloads on SIGHUP (refusing a broken file), stops on SIGTERM', async () => {
    const backend = await new FakeTarget({ targets: [{ name: T, acl: ['*'] }] }).start();
    const port = await freePort();
    const cfg = join(dir, 'portald.json');
    const pidfile = join(dir, 'portald.pid');
    const write = (extra: object) => writeFileSync(cfg, JSON.stringify({ portals: [{ address: '127.0.0.1', port, backends: [backend.address] }], ...extra }));
    write({});
    const child = spawn(daemon, ['--config', cfg, '--pidfile', pidfile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    try {
      await until(() => existsSync(pidfile));
      expect(Number(readFileSync(pidfile, 'utf8'))).toBe(child.pid);
      const o = { host: '127.0.0.1', port, initiatorName: I, targetName: T, timeoutMs: 3000 };
      expect((await tryLogin(o)).status).toBe(LoginStatus.TARGET_MOVED_TEMPORARILY);
      writeFileSync(cfg, '{ broken');
      child.kill('SIGHUP');
      await until(() => log.includes('reload refused'));
      expect((await tryLogin(o)).status).toBe(LoginStatus.TARGET_MOVED_TEMPORARILY);
      write({ removedTargets: [T] });
      child.kill('SIGHUP');
      await until(() => log.includes('configuration reloaded'));
      expect((await tryLogin(o)).status).toBe(LoginStatus.TARGET_REMOVED);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(pidfile)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await backend.stop();
    }
  });
});
