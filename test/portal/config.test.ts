import { describe, expect, it } from 'vitest';
import { Failure } from '../../lib/failure.js';
import { splitList } from '../../lib/list.js';
import { parsePortalConfig, type PortalParams } from '../../agents/portal/config.js';

const base: PortalParams = {
  ip: '192.0.2.59', arp_count: 5, arp_interval: 200, arp_bg: true, dad: true, dad_timeout: 1000,
  preferred_lft: 'forever', noprefixroute: false, check_link: true, port: 3260, tpgt: 1, iser: false, block: 'none',
};
// iqn as the agent receives it in OCF_RESKEY_iqn, split like the list parameter it is.
type Raw = Partial<Omit<PortalParams, 'iqn' | 'block'>> & { iqn?: string; block?: string };
const cfg = (p: Raw) => parsePortalConfig({ ...base, ...p, iqn: splitList(p.iqn) } as PortalParams);

describe('parsePortalConfig', () => {
  it('normalises addresses and builds the LIO np name', () => {
    expect(cfg({}).npName).toBe('192.0.2.59:3260');
    const v6 = cfg({ ip: '2001:DB8:0::59', port: 3261 });
    expect(v6.ipText).toBe('2001:db8::59');
    expect(v6.npName).toBe('[2001:db8::59]:3261');
  });
  it('splits the target list on spaces and commas', () => {
    expect(cfg({ iqn: ' iqn.2003-01.org.linux-iscsi.t1:sn.1  iqn.2003-01.org.linux-iscsi.t2:x,naa.5001405abcdef012' }).targets).toEqual([
      'iqn.2003-01.org.linux-iscsi.t1:sn.1',
      'iqn.2003-01.org.linux-iscsi.t2:x',
      'naa.5001405abcdef012',
    ]);
  });
  it.each<[Raw, RegExp]>([
    [{ ip: '192.0.2.59/24' }, /^ip: .*cidr_netmask/],
    [{ ip: 'vip.example.org' }, /^ip: /],
    [{ ip: '0.0.0.0' }, /unspecified/],
    [{ ip: '127.0.0.2' }, /loopback/],
    [{ ip: 'fe80::1' }, /link-local/],
    [{ cidr_netmask: 33 }, /cidr_netmask: 33 is outside 1-32/],
    [{ ip: '2001:db8::1', cidr_netmask: 129 }, /1-128/],
    [{ nic: 'eth 0' }, /^nic: /],
    [{ nic: 'averyveryverylongname' }, /^nic: /],
    [{ nic: 'bond0', label: 'portal-vlan-10' }, /longer than 15/],
    [{ ip: '2001:db8::1', label: 'x' }, /IPv4 only/],
    [{ port: 0 }, /^port: /],
    [{ iqn: 'iqn.bad' }, /^iqn: "iqn.bad"/],
    [{ iqn: 'iqn.2003-01.org.x:a iqn.2003-01.org.x:a' }, /twice/],
    [{ iser: true }, /^iser: /],
    [{ preferred_lft: 'never' }, /^preferred_lft/],
    [{ arp_count: -1 }, /^arp_count/],
    [{ block: 'reject' }, /^block/],
  ])('rejects %j', (p, re) => {
    expect(() => cfg(p)).toThrow(Failure);
    expect(() => cfg(p)).toThrow(re);
  });
});
