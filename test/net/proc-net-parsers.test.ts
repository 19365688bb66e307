import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../lib/net/ip.js';
import { parseIfInet6 } from '../../lib/proc/if-inet6.js';
import { localIpv4Addresses, parseFibTrie } from '../../lib/proc/fib-trie.js';
import { listensOn, parseProcNetTcp, TCP_LISTEN } from '../../lib/proc/net-tcp.js';
import { findConnectedRoute, parseProcNetIpv6Route, parseProcNetRoute } from '../../lib/proc/route.js';

// Samples captured from a 6.18 kernel in a network namespace holding
// 198.51.100.7/24 + 198.51.100.9/32 (label va:vip), 2001:db8::7/64 nodad,
// 2001:db8:1::5/64 (still tentative), a gateway route to 203.0.113.0/25 and
// 2001:db8:2::/48, and listeners on 198.51.100.7:3260, [2001:db8::7]:3260,
// 0.0.0.0:860 and [::]:8080.
const sample = (n: string) => readFileSync(new URL(`./${n}.sample`, import.meta.url), 'utf8');

describe('/proc/net/if_inet6', () => {
  const rows = parseIfInet6(sample('if_inet6'));
  it('reads address, prefix, interface and flags', () => {
    const vip = rows.find((r) => formatIp(r.address) === '2001:db8::7');
    expect(vip).toMatchObject({ ifname: 'va', prefixLen: 64, scope: 0, tentative: false, dadFailed: false });
    expect(vip?.ifindex).toBe(3);
    expect(rows.map((r) => formatIp(r.address))).toContain('::1');
  });
  it('flags an address still in DAD as tentative', () => {
    const t = rows.find((r) => formatIp(r.address) === '2001:db8:1::5');
    expect(t?.tentative).toBe(true);
  });
  it('recognises dadfailed', () => {
    const [r] = parseIfInet6('20010db8000000000000000000000063 03 40 00 c8       va\n');
    expect(r?.dadFailed).toBe(true);
    expect(r?.tentative).toBe(true); // the kernel keeps tentative set with dadfailed (ip shows both)
  });
  it('ignores junk lines', () => {
    expect(parseIfInet6('\nnot a line\n')).toEqual([]);
  });
});

describe('/proc/net/fib_trie', () => {
  const local = localIpv4Addresses(parseFibTrie(sample('fib_trie')));
  it('lists local addresses, including /32 and labelled ones', () => {
    expect([...local].sort()).toEqual(['127.0.0.1', '198.51.100.7', '198.51.100.9']);
  });
  it('does not take network, broadcast or remote routes for local addresses', () => {
    expect(local.has('198.51.100.0')).toBe(false);
    expect(local.has('198.51.100.255')).toBe(false);
    expect(local.has('203.0.113.0')).toBe(false);
    expect(local.has('127.0.0.0')).toBe(false);
  });
  it('tracks tables', () => {
    const tables = new Set(parseFibTrie(sample('fib_trie')).map((r) => r.table));
    expect(tables).toEqual(new Set(['Main', 'Local']));
  });
});

describe('/proc/net/tcp and tcp6', () => {
  const v4 = parseProcNetTcp(sample('tcp'), 4);
  const v6 = parseProcNetTcp(sample('tcp6'), 6);
  it('decodes little-endian addresses and ports', () => {
    expect(v4.map((s) => `${formatIp(s.local)}:${s.localPort}`).sort()).toEqual(['0.0.0.0:860', '198.51.100.7:3260']);
    expect(v6.map((s) => `${formatIp(s.local)}:${s.localPort}`).sort()).toEqual(['2001:db8::7:3260', ':::8080']);
    expect(v4.every((s) => s.state === TCP_LISTEN)).toBe(true);
  });
  it('finds exact and wildcard listeners', () => {
    expect(listensOn(v4, parseIp('198.51.100.7'), 3260)).toBe(true);
    expect(listensOn(v4, parseIp('198.51.100.9'), 3260)).toBe(false);
    expect(listensOn(v4, parseIp('198.51.100.9'), 860)).toBe(true);
    expect(listensOn(v4, parseIp('198.51.100.9'), 860, { exactOnly: true })).toBe(false);
    expect(listensOn(v6, parseIp('2001:db8::7'), 3260)).toBe(true);
    expect(listensOn(v6, parseIp('2001:db8::8'), 3260)).toBe(false);
  });
  it('does not count established connections as listeners', () => {
    const est =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 076433C6:0CBC 026433C6:D431 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1\n';
    expect(listensOn(parseProcNetTcp(est, 4), parseIp('198.51.100.7'), 3260)).toBe(false);
  });
});

describe('/proc/net/route and ipv6_route', () => {
  const r4 = parseProcNetRoute(sample('route'));
  const r6 = parseProcNetIpv6Route(sample('ipv6_route'));
  it('parses destination, mask and gateway', () => {
    expect(r4.map((r) => `${formatIp(r.destination)}/${r.prefixLen} via ${formatIp(r.gateway)} ${r.ifname}`)).toEqual([
      '198.51.100.0/24 via 0.0.0.0 va',
      '203.0.113.0/25 via 198.51.100.1 va',
    ]);
  });
  it('derives nic and prefix from the connected route only', () => {
    expect(findConnectedRoute(r4, parseIp('198.51.100.42'))).toMatchObject({ ifname: 'va', prefixLen: 24 });
    expect(findConnectedRoute(r4, parseIp('203.0.113.5'))).toBeUndefined(); // via a gateway
    expect(findConnectedRoute(r4, parseIp('198.51.100.42'), 'eth9')).toBeUndefined();
    expect(findConnectedRoute(r6, parseIp('2001:db8::99'))).toMatchObject({ ifname: 'va', prefixLen: 64 });
    expect(findConnectedRoute(r6, parseIp('2001:db8:2::1'))).toBeUndefined();
    expect(findConnectedRoute(r6, parseIp('fe80::1'))?.prefixLen).toBe(64);
  });
  it('prefers the most specific route', () => {
    const more = parseProcNetRoute(
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
        'eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
        'eth0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n' +
        'bond0\t0040000A\t00000000\t0001\t0\t0\t0\t00C0FFFF\t0\t0\t0\n',
    );
    expect(findConnectedRoute(more, parseIp('10.0.64.9'))).toMatchObject({ ifname: 'bond0', prefixLen: 18 });
    expect(findConnectedRoute(more, parseIp('10.9.0.1'))).toMatchObject({ ifname: 'eth0', prefixLen: 8 });
  });
});
