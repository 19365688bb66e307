/**
 * The portal agent on real interfaces: two namespaces joined by a veth, the
 * built agent run inside one (a), everything checked from the other (b):
 * the address answers, b's neighbour entry was moved by the announcement,
 * stop removes it, a duplicate is refused; IPv4 and IPv6. Then the LIO
 * network portal path against a configfs-shaped tree, and link loss.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIMS_DIR, claimNp, readClaims } from '../../lib/configfs/network-portals.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtAgentPath } from '../helpers/agent.js';
import { parsePortalConfig, type PortalParams } from '../../agents/portal/config.js';
import { blockScript, unblockScript } from '../../lib/net/nft-block.js';
import { createPair, netnsUnavailable, type Pair, until } from '../helpers/netns.js';

const why = netnsUnavailable();
if (why) console.warn(`skipping portal network namespace tests: ${why}`);
const FAKE_MAC = '02:00:5e:00:53:99';
const defaults: Omit<PortalParams, 'ip'> = {
  arp_count: 5, arp_interval: 200, arp_bg: true, dad: true, dad_timeout: 1000, preferred_lft: 'forever',
  noprefixroute: false, check_link: true, port: 3260, tpgt: 1, iser: false, block: 'drop',
};

interface Run {
  code: number;
  reasons: string[];
  stderr: string;
}

function agent(pair: Pair, action: string, params: Record<string, string>, env: Record<string, string> = {}, hide?: string): Run {
  const vars = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RESOURCE_INSTANCE: 'p_vip',
    ...env,
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, v])),
  };
  const cmd = ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), builtAgentPath('portal'), action];
  // hide: run with that tool made unusable, in a private mount namespace.
  const wrapped = hide ? ['unshare', '-m', 'sh', '-c', `mount --bind /dev/null "$0" && exec "$@"`, hide, ...cmd] : cmd;
  const r = spawnSync('ip', ['netns', 'exec', pair.a, ...wrapped], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const stderr = r.stderr ?? '';
  return { code: r.status ?? -1, stderr, reasons: stderr.split('\n').filter((l) => l.startsWith('ocf-exit-reason:')).map((l) => l.slice(16)) };
}

const hasAddr = (pair: Pair, ip: string) => pair.inA('ip', ['-o', 'addr', 'show', 'dev', pair.dev]).out.includes(` ${ip}/`);
const neighMac = (pair: Pair, ip: string) => /lladdr (\S+)/.exec(pair.inB('ip', ['neigh', 'show', ip, 'dev', pair.dev]).out)?.[1];
const ping = (pair: Pair, ip: string) => pair.inB('ping', ['-c', '1', '-W', '1', ip]).code === 0;

describe.skipIf(why !== undefined)(`portal in network namespaces${why ? ` (skipped: ${why})` : ''}`, () => {
  let pair: Pair;
  beforeAll(() => {
    pair = createPair();
  });
  afterAll(() => pair?.destroy());

  describe.each([
    ['IPv4', '192.0.2.59', '24', '192.0.2.60'],
    ['IPv6', '2001:db8::59', '64', '2001:db8::60'],
  ])('%s', (_family, vip, prefix, taken) => {
    const params = { ip: vip, cidr_netmask: prefix, nic: 'eth0' };

    it('start adds and announces the address; b reaches it and its stale neighbour entry now points at a', async () => {
      // b still believes the portal is on another host (the old node).
      expect(pair.inB('ip', ['neigh', 'replace', vip, 'lladdr', FAKE_MAC, 'dev', pair.dev, 'nud', 'stale']).code).toBe(0);
      expect(agent(pair, 'monitor', params).code).toBe(7);
      const r = agent(pair, 'start', params);
      expect(r.reasons).toEqual([]);
      expect(r.code).toBe(0);
      expect(hasAddr(pair, vip)).toBe(true);
      // The announcer start left behind (arp_bg) moves b's entry within its first pair.
      expect(await until(() => neighMac(pair, vip) === pair.macA, 3000)).toBe(true);
      expect(ping(pair, vip)).toBe(true);
      expect(agent(pair, 'monitor', params).code).toBe(0);
    });

    it('start again is a no-op success', () => {
      expect(agent(pair, 'start', params).code).toBe(0);
      expect(pair.inA('ip', ['-o', 'addr', 'show', 'to', vip]).out.trim().split('\n')).toHaveLength(1);
    });

    it('derives nic and prefix from the connected route when not given', () => {
      expect(agent(pair, 'monitor', { ip: vip }).code).toBe(0);
    });

    it('stop removes the address; stop twice succeeds; monitor says 7', async () => {
      expect(agent(pair, 'stop', params).code).toBe(0);
      expect(hasAddr(pair, vip)).toBe(false);
      pair.inB('ip', ['neigh', 'flush', 'dev', pair.dev]);
      expect(ping(pair, vip)).toBe(false);
      expect(agent(pair, 'stop', params).code).toBe(0);
      expect(agent(pair, 'monitor', params).code).toBe(7);
    });

    it('refuses an address another host already answers for, naming its MAC', () => {
      expect(pair.inB('ip', ['addr', 'add', `${taken}/${prefix}`, 'dev', pair.dev, ...(vip.includes(':') ? ['nodad'] : [])]).code).toBe(0);
      try {
        const r = agent(pair, 'start', { ...params, ip: taken });
        expect(r.code).toBe(1);
        expect(r.reasons).toHaveLength(1);
        expect(r.reasons[0]).toContain(`${taken} is already in use on eth0 by ${pair.macB}`);
        expect(hasAddr(pair, taken)).toBe(false);
        expect(agent(pair, 'monitor', { ...params, ip: taken }).code).toBe(7);
      } finally {
        pair.inB('ip', ['addr', 'del', `${taken}/${prefix}`, 'dev', pair.dev]);
      }
    });
  });

  describe('LIO network portal and connection blocking', () => {
    const iqn = 'iqn.2003-01.org.linux-iscsi.lab:portal';
    const vip = '192.0.2.61';
    let root: string;
    let env: Record<string, string>;
    const params = { ip: vip, cidr_netmask: '24', nic: 'eth0', iqn, block: 'drop' };
    const tpg = () => join(root, 'sys/kernel/config/target/iscsi', iqn, 'tpgt_1');
    const np = () => join(tpg(), 'np', `${vip}:3260`);
    const nftTables = () => pair.inA('nft', ['list', 'tables']).out;

    beforeAll(() => {
      // A root whose /proc and /sys/class/net are the namespace's own (resolved
      // inside the agent's namespace), with configfs replaced by a plain tree.
      root = mkdtempSync(join(tmpdir(), 'lioha-portal-ns-'));
      symlinkSync('/proc', join(root, 'proc'));
      mkdirSync(join(root, 'sys/class'), { recursive: true });
      symlinkSync('/sys/class/net', join(root, 'sys/class/net'));
      env = { LIOHA_ROOT: root };
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('start fails with a clear reason and changes nothing when the TPG does not exist', () => {
      const r = agent(pair, 'start', params, env);
      expect(r.code).toBe(1);
      expect(r.reasons[0]).toMatch(/target portal group .*tpgt_1 does not exist: start the target resource before the portal/);
      expect(hasAddr(pair, vip)).toBe(false);
      expect(nftTables()).not.toContain('lioha_portal');
    });

    it('a start whose portal never listens is rolled back: no np, no address, no block', () => {
      mkdirSync(join(tpg(), 'np'), { recursive: true });
      const r = agent(pair, 'start', params, env);
      expect(r.code).toBe(1);
      expect(r.reasons[0]).toContain(`network portal ${vip}:3260 was created but nothing listens on it`);
      expect(existsSync(np())).toBe(false);
      expect(hasAddr(pair, vip)).toBe(false);
      expect(nftTables()).not.toContain('lioha_portal');
      expect(agent(pair, 'monitor', params, env).code).toBe(7);
    });

    it('start creates the np; monitor needs the listener; stop removes np and address', async () => {
      // Stand-in for LIO's kernel listener, which the real np mkdir creates (IP_FREEBIND: bound before the address exists).
      const py = `import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_IP,15,1)\ns.bind(("${vip}",3260))\ns.listen()\nprint("ready",flush=True)\ntime.sleep(600)`;
      mkdirSync(join(tpg(), 'np'), { recursive: true });
      const listener = pair.spawnInA('python3', ['-c', py]);
      await new Promise<void>((res) => listener.stdout!.once('data', () => res()));
      const r = agent(pair, 'start', params, env);
      expect(r.reasons).toEqual([]);
      expect(r.code).toBe(0);
      expect(existsSync(np())).toBe(true);
      expect(nftTables(), 'the block is lifted once the portal listens').not.toContain('lioha_portal');
      expect(agent(pair, 'monitor', params, env).code).toBe(0);
      // Start on a serving portal touches nothing (no block, no tools needed).
      expect(agent(pair, 'start', params, { ...env, HA_BIN: '/nonexistent' }).code).toBe(0);
      // b can open a connection to the portal.
      expect(pair.inB('python3', ['-c', `import socket;socket.create_connection(("${vip}",3260),2)`]).code).toBe(0);

      listener.kill('SIGKILL');
      expect(await until(() => agent(pair, 'monitor', params, env).code === 1, 3000)).toBe(true);
      expect(agent(pair, 'monitor', params, env).reasons[0]).toContain(`nothing listens on ${vip}:3260`);

      expect(agent(pair, 'stop', params, env).code).toBe(0);
      expect(existsSync(np())).toBe(false);
      expect(hasAddr(pair, vip)).toBe(false);
      expect(nftTables()).not.toContain('lioha_portal');
      expect(agent(pair, 'monitor', params, env).code).toBe(7);
    });

    it('a duplicate address found while the np was being made is refused, and the np, claim and block are undone', () => {
      // Start binds the np while the duplicate probe waits for an answer; the probe's verdict comes after.
      const dup = '192.0.2.62';
      const dupNp = join(tpg(), 'np', `${dup}:3260`);
      const trace = join(root, 'trace.txt');
      mkdirSync(join(tpg(), 'np'), { recursive: true });
      expect(pair.inB('ip', ['addr', 'add', `${dup}/24`, 'dev', pair.dev]).code).toBe(0);
      try {
        const r = agent(pair, 'start', { ...params, ip: dup }, { ...env, LIOHA_CONFIGFS_TRACE: trace });
        expect(r.code).toBe(1);
        expect(r.reasons[0]).toContain(`${dup} is already in use on eth0 by ${pair.macB}`);
        const rel = `iscsi/${iqn}/tpgt_1/np/${dup}:3260`;
        expect(readFileSync(trace, 'utf8').split('\n').filter(Boolean)).toEqual([`mkdir ${rel}`, `rmdir ${rel}`]);
        expect(existsSync(dupNp)).toBe(false);
        expect(readClaims(join(root, CLAIMS_DIR)).has(rel)).toBe(false);
        expect(hasAddr(pair, dup)).toBe(false);
        expect(nftTables()).not.toContain('lioha_portal');
        expect(agent(pair, 'monitor', { ...params, ip: dup }, env).code).toBe(7);
      } finally {
        pair.inB('ip', ['addr', 'del', `${dup}/24`, 'dev', pair.dev]);
        rmSync(trace, { force: true });
      }
    });

    it('a leftover np (created by this resource) without the address is an error, not 7', () => {
      mkdirSync(np(), { recursive: true });
      claimNp(join(root, CLAIMS_DIR), `iscsi/${iqn}/tpgt_1/np/${vip}:3260`, 'p_vip');
      try {
        const r = agent(pair, 'monitor', params, env);
        expect(r.code).toBe(1);
        expect(r.reasons[0]).toContain('is absent but network portal');
        expect(agent(pair, 'stop', params, env).code).toBe(0);
        expect(existsSync(np())).toBe(false);
      } finally {
        rmSync(np(), { recursive: true, force: true });
      }
    });

    it('the block drops SYNs to the portal while installed', () => {
      // Install exactly what start installs, then check b's connect attempt times out instead of being refused.
      const addr = pair.inA('ip', ['addr', 'add', `${vip}/24`, 'dev', 'eth0']);
      expect(addr.code).toBe(0);
      try {
        const refused = pair.inB('python3', ['-c', `import socket\ntry:\n socket.create_connection(("${vip}",3260),1.5)\nexcept ConnectionRefusedError:\n print("refused")\nexcept OSError as e:\n print("timeout")`]);
        expect(refused.out.trim()).toBe('refused');
        expect(pair.inA('nft', ['-f', '-'], blockScript(parsePortalConfig({ ...defaults, ip: vip }), 't')).code).toBe(0);
        const blocked = pair.inB('python3', ['-c', `import socket\ntry:\n socket.create_connection(("${vip}",3260),1.5)\nexcept ConnectionRefusedError:\n print("refused")\nexcept OSError as e:\n print("timeout")`]);
        expect(blocked.out.trim()).toBe('timeout');
      } finally {
        pair.inA('nft', ['-f', '-'], unblockScript('t'));
        pair.inA('ip', ['addr', 'del', `${vip}/24`, 'dev', 'eth0']);
      }
    });
  });

  it('without ndisc6, IPv6 falls back to kernel duplicate address detection', () => {
    // Hidden when installed (setup.sh installs it); when it is not, the agent meets the same situation as is.
    const ndisc6 = pair.inA('sh', ['-c', 'command -v ndisc6']).out.trim() || undefined;
    const free = { ip: '2001:db8::65', cidr_netmask: '64', nic: 'eth0' };
    const r = agent(pair, 'start', free, {}, ndisc6);
    expect(r.reasons).toEqual([]);
    expect(r.code).toBe(0);
    expect(pair.inA('ip', ['-o', 'addr', 'show', 'to', '2001:db8::65']).out).not.toMatch(/tentative|dadfailed/);
    expect(agent(pair, 'stop', free).code).toBe(0);

    expect(pair.inB('ip', ['addr', 'add', '2001:db8::66/64', 'dev', pair.dev, 'nodad']).code).toBe(0);
    try {
      const dup = agent(pair, 'start', { ...free, ip: '2001:db8::66' }, {}, ndisc6);
      expect(dup.code).toBe(1);
      expect(dup.reasons[0]).toContain('2001:db8::66 is already in use on the network (IPv6 duplicate address detection failed)');
      expect(hasAddr(pair, '2001:db8::66'), 'rolled back').toBe(false);
    } finally {
      pair.inB('ip', ['addr', 'del', '2001:db8::66/64', 'dev', pair.dev]);
    }
  });

  it('a missing tool is reported as not installed (5) before anything changes', () => {
    const params = { ip: '192.0.2.67', cidr_netmask: '24', nic: 'eth0', dad: 'false' };
    const r = agent(pair, 'start', params, { HA_BIN: '/nonexistent/heartbeat' });
    expect(r.code).toBe(5);
    expect(r.reasons[0]).toBe('missing tools: /nonexistent/heartbeat/send_arp (announcements, from resource-agents; or set arp_count=0)');
    expect(hasAddr(pair, '192.0.2.67')).toBe(false);
    expect(agent(pair, 'start', { ...params, arp_count: '0' }, { HA_BIN: '/nonexistent/heartbeat' }).code).toBe(0);
    expect(agent(pair, 'stop', params).code).toBe(0);
  });

  it('OCF_CHECK_LEVEL=10 also checks interface, label and prefix with ip(8)', () => {
    const params = { ip: '192.0.2.64', cidr_netmask: '24', nic: 'eth0', label: 'vip', dad: 'false' };
    expect(agent(pair, 'start', params).code).toBe(0);
    try {
      expect(pair.inA('ip', ['-o', 'addr', 'show', 'to', '192.0.2.64']).out).toContain('eth0:vip');
      expect(agent(pair, 'monitor', params, { OCF_CHECK_LEVEL: '10' }).code).toBe(0);
      const wrong = agent(pair, 'monitor', { ...params, label: 'other' }, { OCF_CHECK_LEVEL: '10' });
      expect(wrong.code).toBe(1);
      expect(wrong.reasons[0]).toContain('has label eth0:vip, configured eth0:other');
      expect(agent(pair, 'monitor', { ...params, label: 'other' }).code, 'level 0 does not see labels').toBe(0);
    } finally {
      expect(agent(pair, 'stop', params).code).toBe(0);
    }
  });

  it('stop removes the address even when it was added by hand with another prefix', () => {
    expect(pair.inA('ip', ['addr', 'add', '192.0.2.63/32', 'dev', 'eth0']).code).toBe(0);
    const params = { ip: '192.0.2.63', cidr_netmask: '24', nic: 'eth0' };
    expect(agent(pair, 'stop', params).code).toBe(0);
    expect(hasAddr(pair, '192.0.2.63')).toBe(false);
    expect(agent(pair, 'monitor', params).code).toBe(7);
  });

  describe('link loss', () => {
    const params = { ip: '192.0.2.62', cidr_netmask: '24', nic: 'eth0', dad: 'false' };
    it('monitor fails when the peer end goes down, and recovers', async () => {
      expect(agent(pair, 'start', params).code).toBe(0);
      try {
        expect(pair.inB('ip', ['link', 'set', pair.dev, 'down']).code).toBe(0);
        const r = agent(pair, 'monitor', params);
        expect(r.code).toBe(1);
        expect(r.reasons[0]).toContain('link eth0 of 192.0.2.62 is no carrier');
        expect(agent(pair, 'monitor', { ...params, check_link: 'false' }).code).toBe(0);
      } finally {
        pair.inB('ip', ['link', 'set', pair.dev, 'up']);
        expect(agent(pair, 'stop', params).code).toBe(0);
      }
    });
  });
});
