/**
 * The announcement series with fake resource-agents helpers (HA_BIN): with arp_bg the whole
 * series goes to the detached, timeout(1)-bounded helper and start waits for none of it
 * (send_arp spaces each pair by half the interval); without arp_bg start sends it all itself.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { announce, stopBackground } from '../../agents/portal/announce.js';
import { parsePortalConfig, type PortalParams } from '../../agents/portal/config.js';
import { definition } from '../../agents/portal/definition.js';
import { makeContext } from '../helpers/context.js';
import { until } from '../helpers/netns.js';

const base: PortalParams = {
  ip: '192.0.2.59', nic: 'eth0', arp_count: 5, arp_interval: 200, arp_bg: true, dad: true, dad_timeout: 300, preferred_lft: 'forever',
  noprefixroute: false, check_link: true, port: 3260, tpgt: 1, iser: false, block: 'none',
} as PortalParams;

let dir: string;
const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portal-announce-'));
  // A send_arp that records its arguments, then takes 300 ms like a real pair at interval 600.
  writeFileSync(join(dir, 'send_arp'), `#!/bin/sh\necho "$*" >>'${dir}/calls'\nsleep 0.3\n`);
  chmodSync(join(dir, 'send_arp'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('portal announcements', () => {
  const ctx = () => makeContext(definition, { params: { ip: '192.0.2.59' }, root: dir, env: { HA_BIN: dir, PATH: process.env.PATH }, instance: 'p_vip' });

  it('arp_bg: the whole series in one detached helper, nothing in the foreground', async () => {
    const c = ctx();
    await announce(c, parsePortalConfig({ ...base }), 'eth0', 24);
    // Nothing was sent in the foreground: the helper has not even written its line yet, or only its own.
    expect(calls().filter((l) => !l.includes('-r 5'))).toEqual([]);
    expect(existsSync(join(dir, 'run/lioha/portal/p_vip.announce.pid'))).toBe(true);
    expect(await until(() => calls().length > 0, 5000)).toBe(true);
    expect(calls()).toEqual(['-i 200 -r 5 eth0 192.0.2.59 auto not_used not_used']);
    stopBackground(c);
  });

  it('without arp_bg: start sends the whole series itself', async () => {
    await announce(ctx(), parsePortalConfig({ ...base, arp_bg: false }), 'eth0', 24);
    expect(calls()).toEqual(['-i 200 -r 5 eth0 192.0.2.59 auto not_used not_used']);
    expect(existsSync(join(dir, 'run/lioha/portal/p_vip.announce.pid'))).toBe(false);
  });
});
