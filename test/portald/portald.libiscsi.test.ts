/**
 * lioha-portald against a real userspace initiator (libiscsi's iscsi-ls and
 * iscsi-inq, Debian package libiscsi-bin): discovery through the portal,
 * per-initiator ACL views, redirect followed to the back-end, CHAP refusal,
 * decommissioned and unavailable targets. Back-ends are fake LIO targets on
 * loopback; no kernel module is involved.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { discoverTargets, tryLogin } from '../../lib/iscsi/initiator.js';
import { LoginStatus } from '../../lib/iscsi/login-status.js';
import { FakeTarget } from '../iscsi/fake-target.js';
import { Portald, freePort } from './harness.js';

const HAVE_LIBISCSI = existsSync('/usr/bin/iscsi-ls') && existsSync('/usr/bin/iscsi-inq');
const A = 'iqn.2026-01.test.lioha:host-a';
const B = 'iqn.2026-01.test.lioha:host-b';
const T1 = 'iqn.2026-01.test.lioha:group1-disk';
const T2 = 'iqn.2026-01.test.lioha:group1-secret';
const T3 = 'iqn.2026-01.test.lioha:group2-disk';

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 20_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const targetsIn = (out: string): string[] =>
  [...out.matchAll(/^Target:(\S+) Portal:(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`).sort();

describe.skipIf(!HAVE_LIBISCSI)('lioha-portald with libiscsi (needs libiscsi-bin; scripts/setup.sh installs it)', () => {
  let node1: FakeTarget;
  let node2: FakeTarget;
  let portald: Portald | undefined;

  beforeAll(async () => {
    // Two "nodes" of an active/active cluster, each serving one group's targets.
    node1 = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T1, acl: [A, B] }, { name: T2, acl: [A] }] }).start();
    node2 = await new FakeTarget({ host: '127.0.0.2', targets: [{ name: T3, acl: ['*'] }] }).start();
  });
  afterAll(async () => {
    await node1.stop();
    await node2.stop();
  });
  afterEach(async () => {
    await portald?.stop();
    portald = undefined;
  });

  const start = async (extra: Record<string, unknown> = {}): Promise<Portald> => {
    const port = await freePort();
    portald = await Portald.start({
      portals: [{ address: '127.0.0.1', port, backends: [node1.address, node2.address] }],
      unavailableDelayMs: 200,
      ...extra,
    });
    return portald;
  };

  it('discovery through the portal lists both groups, every TargetAddress rewritten to the portal', async () => {
    const p = await start();
    const r = await run('iscsi-ls', ['-i', A, `iscsi://127.0.0.1:${p.port}`]);
    expect(r.code, r.out).toBe(0);
    const self = `127.0.0.1:${p.port},1`;
    expect(targetsIn(r.out)).toEqual([`${T1} ${self}`, `${T2} ${self}`, `${T3} ${self}`].sort());
    // The back-ends were asked under the initiator's own name.
    expect(node1.logins.filter((l) => l.sessionType === 'Discovery').map((l) => l.initiator)).toContain(A);
  });

  it('an initiator sees fewer targets when its ACLs allow fewer', async () => {
    const p = await start();
    const a = targetsIn((await run('iscsi-ls', ['-i', A, `iscsi://127.0.0.1:${p.port}`])).out).map((t) => t.split(' ')[0]);
    const b = targetsIn((await run('iscsi-ls', ['-i', B, `iscsi://127.0.0.1:${p.port}`])).out).map((t) => t.split(' ')[0]);
    expect(a).toEqual([T1, T2, T3]);
    expect(b).toEqual([T1, T3]);
  });

  it('a normal login is redirected to the node serving the target, and libiscsi follows it there', async () => {
    const p = await start();
    const before = node2.logins.length;
    const r = await run('iscsi-inq', ['-i', A, `iscsi://127.0.0.1:${p.port}/${T3}/0`]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Vendor:LIOHA/);
    const normal = node2.logins.slice(before).filter((l) => l.sessionType === 'Normal');
    expect(normal).toEqual([{ initiator: A, sessionType: 'Normal', target: T3, accepted: true }]);
    expect(p.lines.some((l) => l.msg === `redirect to ${node2.address},1` && l.o['target'] === T3)).toBe(true);
  });

  it('iscsi-ls -s logs in to every target of both groups through the one discovery address', async () => {
    const p = await start();
    const r = await run('iscsi-ls', ['-s', '-i', A, `iscsi://127.0.0.1:${p.port}`]);
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/Lun:0 +Type:DIRECT_ACCESS/g)).toHaveLength(3);
  });

  it('CHAP: refused without credentials or with a wrong secret, accepted with the right one', async () => {
    const p = await start({ chap: { username: 'disc-user', password: 'disc-secret-123' } });
    const none = await run('iscsi-ls', ['-i', A, `iscsi://127.0.0.1:${p.port}`]);
    expect(none.code).not.toBe(0);
    expect(none.out).toMatch(/Authentication failure/i);
    const wrong = await run('iscsi-ls', ['-i', A, `iscsi://disc-user%wrong-secret-9@127.0.0.1:${p.port}`]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/Authentication failure/i);
    const good = await run('iscsi-ls', ['-i', A, `iscsi://disc-user%disc-secret-123@127.0.0.1:${p.port}`]);
    expect(good.code, good.out).toBe(0);
    expect(targetsIn(good.out)).toHaveLength(3);
    expect(p.lines.filter((l) => l.o['status'] === 'authentication failure')).toHaveLength(2);
  });

  it('a decommissioned target is answered "target removed" and is not listed', async () => {
    const p = await start({ removedTargets: [T2] });
    const ls = await run('iscsi-ls', ['-i', A, `iscsi://127.0.0.1:${p.port}`]);
    expect(targetsIn(ls.out).map((t) => t.split(' ')[0])).toEqual([T1, T3]);
    const inq = await run('iscsi-inq', ['-i', A, `iscsi://127.0.0.1:${p.port}/${T2}/0`]);
    expect(inq.code).not.toBe(0);
    expect(inq.out).toMatch(/Target removed/);
  });
});

describe('lioha-portald redirects (lioha initiator)', () => {
  const servers: FakeTarget[] = [];
  let portald: Portald | undefined;
  afterEach(async () => {
    await portald?.stop();
    portald = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('round-robins one initiator over the portals serving a target, one address per login', async () => {
    const port = await freePort();
    // One target behind two portals of the same node (two VLANs): LIO reports both addresses.
    const n1 = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T1, acl: ['*'] }] }).start();
    servers.push(n1);
    const n2 = await new FakeTarget({ host: '127.0.0.3', targets: [{ name: T1, acl: ['*'] }] }).start();
    servers.push(n2);
    n1.options = { ...n1.options, reportAddresses: [`${n1.address},1`, `${n2.address},1`] };
    n2.options = { ...n2.options, reportAddresses: [`${n1.address},1`, `${n2.address},1`] };
    portald = await Portald.start({ portals: [{ address: '127.0.0.1', port, backends: [n1.address, n2.address] }] });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await tryLogin({ host: '127.0.0.1', port, initiatorName: A, targetName: T1, timeoutMs: 3000 });
      expect(r.status).toBe(LoginStatus.TARGET_MOVED_TEMPORARILY);
      seen.push(r.keys.get('TargetAddress')!);
    }
    expect(seen).toEqual([`${n1.address},1`, `${n2.address},1`, `${n1.address},1`, `${n2.address},1`]);
  });

  it('answers "service unavailable" after the configured delay when nothing serves the target, then follows a switchover', async () => {
    const port = await freePort();
    const n1 = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T3, acl: ['*'] }] }).start();
    const n2 = await new FakeTarget({ host: '127.0.0.2', targets: [] }).start();
    servers.push(n1, n2);
    portald = await Portald.start({
      portals: [{ address: '127.0.0.1', port, backends: [n1.address, n2.address] }],
      stateSeconds: 0,
      unavailableDelayMs: 300,
      permanent: undefined,
    });
    const first = await tryLogin({ host: '127.0.0.1', port, initiatorName: A, targetName: T3, timeoutMs: 3000 });
    expect(first.keys.get('TargetAddress')).toBe(`${n1.address},1`);
    // The group stops on node 1: for a moment nobody serves it.
    n1.options = { ...n1.options, targets: [] };
    const t0 = performance.now();
    const gap = await tryLogin({ host: '127.0.0.1', port, initiatorName: A, targetName: T3, timeoutMs: 3000 });
    expect(gap.status).toBe(LoginStatus.SERVICE_UNAVAILABLE);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(280);
    // It comes up on node 2: the next login is sent there.
    n2.options = { ...n2.options, targets: [{ name: T3, acl: ['*'] }] };
    const after = await tryLogin({ host: '127.0.0.1', port, initiatorName: A, targetName: T3, timeoutMs: 3000 });
    expect(after.status).toBe(LoginStatus.TARGET_MOVED_TEMPORARILY);
    expect(after.keys.get('TargetAddress')).toBe(`${n2.address},1`);
  });

  it('mutual CHAP: the portal proves itself; a wrong mutual secret is caught by the initiator', async () => {
    const port = await freePort();
    const n1 = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T3, acl: ['*'] }] }).start();
    servers.push(n1);
    portald = await Portald.start({
      portals: [{ address: '127.0.0.1', port, backends: [n1.address] }],
      chap: { username: 'u1', password: 'initiator-secret', mutualUsername: 'portal', mutualPassword: 'portal-secret-1' },
    });
    const o = { host: '127.0.0.1', port, initiatorName: A, timeoutMs: 3000 };
    const ok = await discoverTargets({ ...o, chap: { username: 'u1', password: 'initiator-secret', mutual: { username: 'portal', password: 'portal-secret-1' } } });
    expect(ok.map((t) => t.name)).toEqual([T3]);
    await expect(
      discoverTargets({ ...o, chap: { username: 'u1', password: 'initiator-secret', mutual: { username: 'portal', password: 'not-the-secret' } } }),
    ).rejects.toThrow(/mutual CHAP/);
  });

  it('SendTargets=<name> answers that target only; a back-end that is down does not hide the others', async () => {
    const port = await freePort();
    const n1 = await new FakeTarget({ host: '127.0.0.1', targets: [{ name: T1, acl: ['*'] }, { name: T2, acl: ['*'] }] }).start();
    servers.push(n1);
    const dead = await freePort();
    portald = await Portald.start({ portals: [{ address: '127.0.0.1', port, backends: [n1.address, `127.0.0.1:${dead}`] }] });
    const o = { host: '127.0.0.1', port, initiatorName: A, timeoutMs: 3000 };
    expect((await discoverTargets(o, T2)).map((t) => t.name)).toEqual([T2]);
    const all = await discoverTargets(o);
    expect(all.map((t) => t.name)).toEqual([T1, T2]);
    expect(all[0]!.addresses).toEqual([{ host: '127.0.0.1', port, tag: 1 }]);
  });
});
