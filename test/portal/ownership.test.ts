/**
 * Network-portal ownership between a target and a portal resource on one node (issue 15
 * item 5), on the emulator, which models LIO's node-wide wildcard/specific exclusion.
 * The portal address 198.51.100.7/24 is present on "va" (the /proc samples of test/net);
 * the portal's stop runs after the address is gone (the sample without it), so nothing is spawned.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { actions as portalActions } from '../../agents/portal/actions.js';
import { definition as portalDefinition } from '../../agents/portal/definition.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { makeContext } from '../helpers/context.js';
import { ctxFor, makeRoot, CONFIG, IQN, OTHER } from '../target/setup.js';

const target = createTargetActions();
const VIP = '198.51.100.7';
const TPG = `iscsi/${IQN}/tpgt_1`;
const OTHER_TPG = `iscsi/${OTHER}/tpgt_1`;

let fx: ReturnType<typeof makeRoot>;

async function call(f: (ctx: never) => Promise<OcfExit>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try {
    return { code: await f(ctx as never) };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

const tgt = (action: 'start' | 'stop' | 'monitor', depth = 0, params: Record<string, string> = {}) =>
  call(target[action], ctxFor(fx.root, action, params, { checkLevel: depth }));
const portal = (action: 'start' | 'stop' | 'monitor', depth = 0) =>
  call(
    portalActions[action],
    makeContext(portalDefinition, {
      root: fx.root,
      action,
      instance: 'p_vip',
      checkLevel: depth,
      params: { ip: VIP, nic: 'va', cidr_netmask: '24', iqn: IQN, arp_count: '0', dad: 'false', block: 'none' },
    }),
  );
const np = (rel: string) => existsSync(join(fx.base, rel));

/** The saveconfig's portal list of the target IQN (and of OTHER) rewritten. */
function listPortals(file: string, portals: { ip_address: string; port: number }[]) {
  const p = join(fx.root, file);
  const d = JSON.parse(readFileSync(p, 'utf8'));
  for (const t of d.targets) for (const tpg of t.tpgs) tpg.portals = portals.map((x) => ({ ...x, iser: false, offload: false }));
  writeFileSync(p, JSON.stringify(d));
}

function addressPresent(present: boolean) {
  const text = readFileSync(new URL('../net/fib_trie.sample', import.meta.url), 'utf8');
  writeFileSync(join(fx.root, 'proc/net/fib_trie'), present ? text : text.replaceAll(VIP, '198.51.100.99'));
}

beforeEach(() => {
  fx = makeRoot();
  mkdirSync(join(fx.root, 'proc/net'), { recursive: true });
  for (const f of ['fib_trie', 'route', 'ipv6_route', 'if_inet6', 'tcp', 'tcp6']) {
    copyFileSync(new URL(`../net/${f}.sample`, import.meta.url), join(fx.root, 'proc/net', f));
  }
  const sys = join(fx.root, 'sys/class/net/va');
  mkdirSync(sys, { recursive: true });
  writeFileSync(join(sys, 'flags'), '0x1003\n');
  writeFileSync(join(sys, 'operstate'), 'up\n');
  writeFileSync(join(sys, 'carrier'), '1\n');
});
afterEach(() => fx.cleanup());

describe('the emulator binds network portals as LIO does', () => {
  it('a wildcard and a specific address on one port exclude each other across targets', async () => {
    expect((await tgt('start')).code).toBe(0);
    expect((await tgt('start', 0, { iqn: OTHER, config: '/etc/target/other.json' })).code).toBe(0);
    const cfs = new EmulatedConfigFs(fx.base);
    await expect(cfs.mkdir(`${OTHER_TPG}/np/0.0.0.0:3260`)).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('-98') });
    await expect(cfs.mkdir(`${OTHER_TPG}/np/[::]:3260`)).rejects.toMatchObject({ code: 'EINVAL' });
    await cfs.mkdir(`${OTHER_TPG}/np/0.0.0.0:3261`); // another port is free
    await expect(cfs.mkdir(`${TPG}/np/192.0.2.1:3261`)).rejects.toMatchObject({ code: 'EINVAL' });
    await cfs.mkdir(`${TPG}/np/[fd00::1]:3261`); // 0.0.0.0 does not hold IPv6
    await cfs.mkdir(`${TPG}/np/0.0.0.0:3261`); // the same listener in another TPG is shared
  });
});

describe('target and portal run together', () => {
  it('VIP not in saveconfig.json: the portal owns its np; target start and depth-10 monitor leave it alone', async () => {
    expect((await tgt('start')).code).toBe(0);
    expect((await portal('start')).code).toBe(0);
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(true);
    // Each one's depth-10 monitor while the other is up.
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
    expect(await portal('monitor', 0)).toEqual({ code: 0 });
    // A target start (e.g. after a failed monitor) keeps the portal's np.
    expect((await tgt('start')).code).toBe(0);
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(true);
    expect(await portal('monitor')).toEqual({ code: 0 });
    // Drift in the target's own portals is still repaired.
    await new EmulatedConfigFs(fx.base).rmdir(`${TPG}/np/10.110.88.59:3260`);
    expect((await tgt('monitor', 10)).reason).toMatch(/portal 10\.110\.88\.59:3260 is missing/);
    expect((await tgt('start')).code).toBe(0);
    expect(np(`${TPG}/np/10.110.88.59:3260`)).toBe(true);
    // Portal stop removes its np only.
    addressPresent(false);
    expect((await portal('stop')).code).toBe(0);
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(false);
    expect(np(`${TPG}/np/10.110.88.59:3260`)).toBe(true);
    expect(await portal('monitor')).toEqual({ code: OcfExit.NOT_RUNNING });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
  });

  it('VIP listed in saveconfig.json (the opposite wiring): the target owns the np, portal stop leaves it', async () => {
    listPortals(CONFIG, [{ ip_address: VIP, port: 3260 }]);
    expect((await tgt('start')).code).toBe(0); // LIO binds an address the node does not hold yet
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(true);
    expect((await portal('start')).code).toBe(0);
    expect(await portal('monitor')).toEqual({ code: 0 });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
    addressPresent(false);
    expect((await portal('stop')).code).toBe(0);
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(true);
    expect(await portal('monitor')).toEqual({ code: OcfExit.NOT_RUNNING });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
  });

  it('wildcard 0.0.0.0:3260 in saveconfig.json (targetcli default): no VIP np, the wildcard serves it', async () => {
    listPortals(CONFIG, [{ ip_address: '0.0.0.0', port: 3260 }]);
    expect((await tgt('start')).code).toBe(0);
    expect(await portal('start')).toEqual({ code: 0 });
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(false);
    expect(await portal('monitor')).toEqual({ code: 0 });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
    addressPresent(false);
    expect((await portal('stop')).code).toBe(0);
    expect(np(`${TPG}/np/0.0.0.0:3260`)).toBe(true);
    expect(await portal('monitor')).toEqual({ code: OcfExit.NOT_RUNNING });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
  });

  it('a wildcard of another target on the node: the portal joins the wildcard listener instead of a VIP np', async () => {
    listPortals(CONFIG, []);
    listPortals('/etc/target/other.json', [{ ip_address: '0.0.0.0', port: 3260 }]);
    expect((await tgt('start', 0, { iqn: OTHER, config: '/etc/target/other.json' })).code).toBe(0);
    expect((await tgt('start')).code).toBe(0);
    expect(await portal('start')).toEqual({ code: 0 });
    expect(np(`${TPG}/np/${VIP}:3260`)).toBe(false);
    expect(np(`${TPG}/np/0.0.0.0:3260`)).toBe(true);
    expect(await portal('monitor')).toEqual({ code: 0 });
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
    expect(await tgt('monitor', 10, { iqn: OTHER, config: '/etc/target/other.json' })).toEqual({ code: 0 });
    addressPresent(false);
    expect((await portal('stop')).code).toBe(0);
    expect(np(`${TPG}/np/0.0.0.0:3260`)).toBe(false);
    expect(np(`${OTHER_TPG}/np/0.0.0.0:3260`)).toBe(true);
    expect(await tgt('monitor', 10, { iqn: OTHER, config: '/etc/target/other.json' })).toEqual({ code: 0 });
  });
});

describe('a wildcard target meeting a specific-address target on one node', () => {
  it('the second start fails with a reason naming both portals, and leaves nothing half-done', async () => {
    listPortals('/etc/target/other.json', [{ ip_address: '0.0.0.0', port: 3260 }]);
    expect((await tgt('start')).code).toBe(0); // lists 10.110.88.59:3260
    const r = await tgt('start', 0, { iqn: OTHER, config: '/etc/target/other.json' });
    expect(r.code).toBe(1);
    expect(r.reason).toBe(`start: cannot bind 0.0.0.0:3260: port 3260 is held by 10.110.88.59:3260 of ${IQN} (wildcard vs specific)`);
    expect(np(`iscsi/${OTHER}`)).toBe(false);
    expect(await tgt('monitor', 10)).toEqual({ code: 0 });
  });
});
