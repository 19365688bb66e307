/**
 * The discovery agent's login probe of its daemon (3 s on normal hardware) scales with the
 * operation's timeout over the agent's default (Deadline.step). Recorded where it is handed to
 * the probe; the daemon is a stand-in process, nothing connects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const rec = vi.hoisted(() => ({ probes: [] as Array<{ host: string; timeoutMs: number }> }));

vi.mock('../../lib/iscsi/probe.js', async (orig) => ({
  ...(await orig<typeof import('../../lib/iscsi/probe.js')>()),
  probeLogin: vi.fn(async (host: string, _port: number, timeoutMs: number) => {
    rec.probes.push({ host, timeoutMs });
    return 1;
  }),
}));

const { actions, PROBE_LOGIN_MS } = await import('../../agents/discovery/actions.js');
const { definition } = await import('../../agents/discovery/definition.js');
const { makeContext } = await import('../helpers/context.js');
const { OcfExit } = await import('../../lib/ocf/exit-codes.js');

const defaultMs = (action: string) => definition.actions.find((a) => a.name === action)!.timeout * 1000;
let dir: string;
let daemon: ChildProcess;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'discovery-steps-'));
  writeFileSync(join(dir, 'portald.json'), JSON.stringify({ portals: [{ address: '127.0.0.1', port: 3260, backends: ['127.0.0.1:3261'] }] }));
  // Its command line names portald, as the agent checks before trusting the pid file.
  daemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'lioha-portald'], { stdio: 'ignore' });
  const cmdline = () => { try { return readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8'); } catch { return ''; } };
  while (!cmdline().includes('portald')) await new Promise((r) => setTimeout(r, 10));
  writeFileSync(join(dir, 'portald.pid'), `${daemon.pid}\n`);
  rec.probes.length = 0;
});
afterEach(() => {
  daemon.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const monitor = (scale: number) => actions.monitor(makeContext(definition, {
  action: 'monitor', timeoutMs: defaultMs('monitor') * scale,
  params: { config: join(dir, 'portald.json'), pidfile: join(dir, 'portald.pid'), logfile: join(dir, 'portald.log'), daemon: '/bin/true' },
}));

describe('discovery step limits', () => {
  it('the login probe gets 3 s at the default monitor timeout, 3x that at 3x the timeout', async () => {
    expect(await monitor(1)).toBe(OcfExit.SUCCESS);
    expect(await monitor(3)).toBe(OcfExit.SUCCESS);
    expect(PROBE_LOGIN_MS).toBe(3000);
    expect(rec.probes).toEqual([{ host: '127.0.0.1', timeoutMs: 3000 }, { host: '127.0.0.1', timeoutMs: 9000 }]);
  });
});
