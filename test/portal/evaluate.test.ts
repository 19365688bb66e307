import { describe, expect, it } from 'vitest';
import { parsePortalConfig, type PortalParams } from '../../agents/portal/config.js';
import { evaluate, type Observation } from '../../agents/portal/evaluate.js';
import type { LinkObservation, NpState } from '../../agents/portal/observe.js';

const params: PortalParams = {
  ip: '192.0.2.59', nic: 'bond0', arp_count: 5, arp_interval: 200, arp_bg: true, dad: true, dad_timeout: 1000,
  preferred_lft: 'forever', noprefixroute: false, check_link: true, port: 3260, tpgt: 1, iser: false, block: 'drop',
  iqn: ['iqn.2003-01.org.linux-iscsi.t1:sn.1'],
};
const cfg = parsePortalConfig(params);
const up: LinkObservation = { exists: true, noArp: false, operstate: 'up', adminUp: true, carrier: true, usable: true };
const np = (o: Partial<NpState> = {}): NpState => ({
  target: cfg.targets[0]!, tpgPath: '/t/tpgt_1', npPath: '/t/tpgt_1/np/192.0.2.59:3260', npRel: 't/tpgt_1/np/192.0.2.59:3260', tpgExists: true, npExists: true, owned: true, ...o,
});
const running: Observation = { address: { present: true, ifname: 'bond0', prefixLen: 26 }, nic: 'bond0', link: up, nps: [np()], listening: true, blocking: false };

describe('evaluate', () => {
  it('running when address, link, portal and listener are all there', () => {
    expect(evaluate(cfg, running)).toEqual({ state: 'running' });
  });
  it('stopped only when nothing is left', () => {
    expect(evaluate(cfg, { address: { present: false }, nps: [np({ npExists: false })], blocking: false })).toEqual({ state: 'stopped' });
    expect(evaluate(cfg, { address: { present: false }, nps: [np({ npExists: false, tpgExists: false })], blocking: false }).state).toBe('stopped');
  });
  it('leftover np or block without the address is a failure, not 7', () => {
    const a = evaluate(cfg, { address: { present: false }, nps: [np()], blocking: false });
    expect(a).toMatchObject({ state: 'failed', reason: expect.stringMatching(/absent but network portal .* remain/) });
    const b = evaluate(cfg, { address: { present: false }, nps: [np({ npExists: false })], blocking: true });
    expect(b).toMatchObject({ state: 'failed', reason: expect.stringMatching(/nftables block/) });
  });
  it.each<[string, Partial<Observation>, RegExp]>([
    ['dadfailed', { address: { present: true, ifname: 'bond0', dadFailed: true } }, /duplicate address detection/],
    ['wrong interface', { address: { present: true, ifname: 'eth1' } }, /on eth1, not on bond0/],
    ['no carrier', { link: { ...up, carrier: false, usable: false, problem: 'no carrier' } }, /link bond0 .* no carrier/],
    ['np missing', { nps: [np({ npExists: false })] }, /network portal .* missing/],
    ['tpg gone', { nps: [np({ tpgExists: false, npExists: false })] }, /portal group .* gone/],
    ['not listening', { listening: false }, /nothing listens on 192.0.2.59:3260/],
    ['still blocked', { blocking: true }, /still blocked/],
  ])('fails on %s', (_n, o, re) => {
    const v = evaluate(cfg, { ...running, ...o });
    expect(v.state).toBe('failed');
    expect(v.state === 'failed' && v.reason).toMatch(re);
  });
  it('ignores the link when check_link is off', () => {
    const c = parsePortalConfig({ ...params, check_link: false });
    expect(evaluate(c, { ...running, link: { ...up, adminUp: false, usable: false, problem: 'administratively down' } }).state).toBe('running');
  });
  it('requires iser=1 when iser is configured', () => {
    const c = parsePortalConfig({ ...params, iser: true });
    expect(evaluate(c, { ...running, nps: [np({ iser: false })] }).state).toBe('failed');
    expect(evaluate(c, { ...running, nps: [np({ iser: true })] }).state).toBe('running');
  });
});
