/**
 * monitor in-process against fixture trees built from the /proc samples in
 * test/net (198.51.100.7/24 and 2001:db8::7/64 on "va", listeners on
 * both :3260). run() is replaced by a function that fails the test: monitor
 * must not spawn anything.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeContext } from '../helpers/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { CLAIMS_DIR, claimNp } from '../../lib/configfs/network-portals.js';

vi.mock('../../lib/exec/run.js', async (orig) => ({
  ...(await orig<typeof import('../../lib/exec/run.js')>()),
  run: vi.fn(() => {
    throw new Error('monitor spawned a command');
  }),
}));

const { actions } = await import('../../agents/portal/actions.js');
const { definition } = await import('../../agents/portal/definition.js');

const IQN = 'iqn.2003-01.org.linux-iscsi.lab:t1';
let root: string;

function tree(o: { carrier?: string; np?: string[]; block?: boolean; claimed?: boolean } = {}) {
  for (const f of ['fib_trie', 'route', 'ipv6_route', 'if_inet6', 'tcp', 'tcp6']) {
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    copyFileSync(new URL(`../net/${f}.sample`, import.meta.url), join(root, 'proc/net', f));
  }
  const sys = join(root, 'sys/class/net/va');
  mkdirSync(sys, { recursive: true });
  writeFileSync(join(sys, 'flags'), '0x1003\n');
  writeFileSync(join(sys, 'operstate'), o.carrier === '0' ? 'lowerlayerdown\n' : 'up\n');
  writeFileSync(join(sys, 'carrier'), `${o.carrier ?? '1'}\n`);
  const tpg = join(root, 'sys/kernel/config/target/iscsi', IQN, 'tpgt_1/np');
  mkdirSync(tpg, { recursive: true });
  for (const n of o.np ?? []) {
    mkdirSync(join(tpg, n));
    // Created by this portal resource (its claim), as opposed to listed in the target's saveconfig.json.
    if (o.claimed) claimNp(join(root, CLAIMS_DIR), `iscsi/${IQN}/tpgt_1/np/${n}`, 'test-portal');
  }
  if (o.block) {
    mkdirSync(join(root, 'run/lioha/portal'), { recursive: true });
    writeFileSync(join(root, 'run/lioha/portal/test-portal.block'), 'x\n');
  }
}

async function monitor(params: Record<string, string>, checkLevel = 0): Promise<{ code: number; reason?: string }> {
  const ctx = makeContext(definition, { params, root, action: 'monitor' as never, checkLevel });
  try {
    return { code: await actions.monitor(ctx) };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lioha-portal-mon-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('portal monitor from /proc and /sys', () => {
  it('running IPv4 and IPv6 portals, nic derived or given', async () => {
    tree({ np: ['198.51.100.7:3260', '[2001:db8::7]:3260'] });
    expect(await monitor({ ip: '198.51.100.7' })).toEqual({ code: OcfExit.SUCCESS });
    expect(await monitor({ ip: '198.51.100.7', nic: 'va', iqn: IQN })).toEqual({ code: OcfExit.SUCCESS });
    expect(await monitor({ ip: '2001:db8::7', nic: 'va', cidr_netmask: '64', iqn: IQN })).toEqual({ code: OcfExit.SUCCESS });
  });
  it('7 for an absent address with nothing left over', async () => {
    tree();
    expect(await monitor({ ip: '198.51.100.8', iqn: IQN })).toEqual({ code: OcfExit.NOT_RUNNING });
    expect(await monitor({ ip: '2001:db8::8', nic: 'nosuchnic' })).toEqual({ code: OcfExit.NOT_RUNNING });
  });
  it('1, naming it, for a leftover np (of its own) or block', async () => {
    tree({ np: ['198.51.100.8:3260'], claimed: true });
    expect(await monitor({ ip: '198.51.100.8', iqn: IQN })).toMatchObject({ code: 1, reason: expect.stringContaining('np/198.51.100.8:3260') });
    rmSync(root, { recursive: true });
    tree({ block: true });
    expect(await monitor({ ip: '198.51.100.8' })).toMatchObject({ code: 1, reason: expect.stringContaining('nftables block') });
  });
  it('1 when the portal does not listen, the np is missing, the link has no carrier, the address is elsewhere or still tentative', async () => {
    tree({ np: ['198.51.100.9:3260'] });
    expect((await monitor({ ip: '198.51.100.9', iqn: IQN })).reason).toBe('nothing listens on 198.51.100.9:3260');
    expect((await monitor({ ip: '198.51.100.7', iqn: IQN })).reason).toMatch(/network portal .*198\.51\.100\.7:3260 is missing/);
    expect((await monitor({ ip: '2001:db8::7', nic: 'eth1' })).reason).toBe('2001:db8::7 is on va, not on eth1');
    rmSync(root, { recursive: true });
    tree({ carrier: '0' });
    expect((await monitor({ ip: '198.51.100.7' })).reason).toBe('link va of 198.51.100.7 is no carrier');
  });
  it('only check level 10 runs a command (which proves the spawn guard works)', async () => {
    tree();
    await expect(monitor({ ip: '198.51.100.7' }, 10)).rejects.toThrow('monitor spawned a command');
  });
  it('bad parameters are ERR_CONFIGURED', async () => {
    tree();
    expect(await monitor({ ip: '198.51.100.7/24' })).toMatchObject({ code: OcfExit.ERR_CONFIGURED });
  });
});

describe('portal start: what only this node lacks is 5, not 6 (Pacemaker then tries the other node)', () => {
  async function start(params: Record<string, string>): Promise<{ code: number; reason?: string }> {
    const ctx = makeContext(definition, { params, root, action: 'start' as never });
    try {
      return { code: await actions.start(ctx) };
    } catch (e) {
      if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
      throw e;
    }
  }
  it('a missing interface is ERR_INSTALLED', async () => {
    tree();
    expect(await start({ ip: '198.51.100.8', nic: 'nosuchnic', cidr_netmask: '24' })).toEqual({ code: OcfExit.ERR_INSTALLED, reason: 'interface nosuchnic does not exist on this node' });
  });
  it('no connected route covering the address (nic not set) is ERR_INSTALLED', async () => {
    tree();
    expect(await start({ ip: '203.0.113.5' })).toEqual({
      code: OcfExit.ERR_INSTALLED,
      reason: 'no connected route covers 203.0.113.5 on this node and nic is not set: add the route or set nic',
    });
  });
  it('a parameter wrong on every node is still ERR_CONFIGURED', async () => {
    tree();
    expect((await start({ ip: '198.51.100.8', nic: 'bad/nic' })).code).toBe(OcfExit.ERR_CONFIGURED);
  });
});
