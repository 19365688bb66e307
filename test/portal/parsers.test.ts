import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatIp } from '../../lib/net/ip.js';
import { parsePortalConfig, type PortalParams } from '../../agents/portal/config.js';
import { arpingReplyMacs, ndisc6ReplyMacs, parseIpAddrShow } from '../../lib/net/ip-output.js';
import { blockScript, blockTableName, unblockScript } from '../../lib/net/nft-block.js';

describe('ip -o addr show', () => {
  // iproute2 6.1 output (the "\" stands for the line breaks of the non -o form).
  const out = [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
    '4: eth0    inet 192.0.2.59/26 brd 192.0.2.63 scope global secondary eth0:vip\\       valid_lft forever preferred_lft forever',
    '7: eth2.10@eth2    inet 10.0.1.9/24 brd 10.0.1.255 scope global eth2.10\\       valid_lft forever preferred_lft forever',
    '4: eth0    inet6 2001:db8::59/64 scope global tentative dadfailed \\       valid_lft forever preferred_lft forever',
  ].join('\n');
  const rows = parseIpAddrShow(out);
  it('reads interface, prefix, label and flags', () => {
    expect(rows.map((r) => `${r.ifname} ${formatIp(r.address)}/${r.prefixLen} ${r.label ?? '-'} ${r.flags.join(',')}`)).toEqual([
      'lo 127.0.0.1/8 - ',
      'eth0 192.0.2.2/24 - ',
      'eth0 192.0.2.59/26 eth0:vip secondary',
      'eth2.10 10.0.1.9/24 - ',
      'eth0 2001:db8::59/64 - tentative,dadfailed',
    ]);
  });
});

describe('probe output', () => {
  it('Habets and iputils arping replies', () => {
    expect(arpingReplyMacs('ARPING 192.0.2.50\n42 bytes from 96:e3:ba:1f:61:e5 (192.0.2.50): index=0 time=11.321 usec\n')).toEqual(['96:e3:ba:1f:61:e5']);
    expect(arpingReplyMacs('ARPING 192.0.2.50 from 0.0.0.0 eth0\nUnicast reply from 192.0.2.50 [96:E3:BA:1F:61:E5]  0.611ms\nSent 1 probes\n')).toEqual(['96:e3:ba:1f:61:e5']);
    expect(arpingReplyMacs('ARPING 192.0.2.60\n\n--- 192.0.2.60 statistics ---\n2 packets transmitted, 0 packets received, 100% unanswered\n')).toEqual([]);
  });
  it('ndisc6 replies', () => {
    expect(ndisc6ReplyMacs('Soliciting 2001:db8::50 (2001:db8::50) on eth0...\nTarget link-layer address: 96:E3:BA:1F:61:E5\n from 2001:db8::50\n')).toEqual(['96:e3:ba:1f:61:e5']);
    expect(ndisc6ReplyMacs('Soliciting 2001:db8::60 (2001:db8::60) on eth0...\nTimed out.\nNo response.\n')).toEqual([]);
  });
});

describe('nftables block', () => {
  const p: PortalParams = {
    ip: '2001:db8::59', arp_count: 5, arp_interval: 200, arp_bg: true, dad: true, dad_timeout: 1000,
    preferred_lft: 'forever', noprefixroute: false, check_link: true, port: 3260, tpgt: 1, iser: false, block: 'drop',
  };
  it('one table per instance, with a safe name', () => {
    expect(blockTableName('p_vip-10.a')).toBe('lioha_portal_p_vip_10_a');
  });
  it('drops only SYNs to the portal', () => {
    const s = blockScript(parsePortalConfig(p), 'p_vip');
    expect(s).toContain('ip6 daddr 2001:db8::59 tcp dport 3260 tcp flags & (syn | ack) == syn counter drop');
    expect(blockScript(parsePortalConfig({ ...p, ip: '192.0.2.59' }), 'p_vip')).toContain('ip daddr 192.0.2.59 tcp dport 3260');
  });
  const nft = spawnSync('sh', ['-c', 'command -v nft && nft list tables'], { encoding: 'utf8' });
  it.skipIf(nft.status !== 0)('the scripts are accepted by nft --check', () => {
    for (const script of [blockScript(parsePortalConfig(p), 'p_vip'), blockScript(parsePortalConfig({ ...p, ip: '192.0.2.59' }), 'x'), unblockScript('p_vip')]) {
      const r = spawnSync('nft', ['--check', '-f', '-'], { input: script, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
