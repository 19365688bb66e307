import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENTS } from '../../agents/registry.js';
import { buildPlan } from '../../lib/cluster/build-plan.js';
import { parseDescription, parseDescriptionOrThrow } from '../../lib/cluster/parse-description.js';

const aa = JSON.parse(readFileSync(new URL('../../crm/active-active.json', import.meta.url), 'utf8'));
const with_ = (discovery: unknown) => JSON.stringify({ ...aa, discovery });

describe('discovery portal in the cluster description', () => {
  it('becomes g_discovery: the address (portal agent, no iqn), then lioha-portald', () => {
    const p = buildPlan(parseDescriptionOrThrow(JSON.stringify(aa)), AGENTS);
    const g = p.groups.find((x) => x.id === 'g_discovery')!;
    expect(g.members.map((m) => [m.id, m.agent.type, Object.fromEntries(m.params)])).toEqual([
      ['p_portal_discovery', 'portal', { ip: '192.0.2.9', cidr_netmask: '24', nic: 'eth2' }],
      ['p_discovery', 'discovery', { config: '/etc/lioha/portald.json' }],
    ]);
    expect(g.members[1]!.ops.find((o) => o.name === 'monitor')).toEqual({ name: 'monitor', interval: 10, timeout: 10 });
    expect(p.constraints.some((c) => 'rsc' in c && c.rsc === 'g_discovery')).toBe(false);
  });

  it('a preferred node gives a location preference; parameters are checked against the agents', () => {
    const p = buildPlan(parseDescriptionOrThrow(with_({ ip: '192.0.2.9', config: '/etc/lioha/p.json', preferredNode: 'iscsitgt02b', params: { discovery: { log_level: 'debug' } } })), AGENTS);
    expect(p.constraints.filter((c) => 'rsc' in c && c.rsc === 'g_discovery')).toEqual([
      { type: 'location', id: 'loc_g_discovery_prefers_iscsitgt02b', rsc: 'g_discovery', node: 'iscsitgt02b', score: 100 },
    ]);
    expect(() => buildPlan(parseDescriptionOrThrow(with_({ ip: '192.0.2.9', config: '/x.json', params: { discovery: { log_level: 'loud' } } })), AGENTS)).toThrow(
      /discovery portal, discovery: parameter log_level/,
    );
  });

  it('refuses a shared address, a bad node, bad paths, with the path of each problem', () => {
    const r = parseDescription(with_({ ip: '192.0.2.21', config: 'relative.json', preferredNode: 'nobody', colour: 1 }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'discovery.colour: unknown field (expected one of: $comment, ip, cidrNetmask, nic, port, config, group, preferredNode, params, portald)',
      'discovery.config: "relative.json" is not an absolute path (letters, digits, / . _ - + @ %)',
      'discovery.preferredNode: "nobody" is not one of the nodes (iscsitgt02a, iscsitgt02b)',
    ]);
    const clash = parseDescription(with_({ ip: '192.0.2.21', config: '/x.json' }));
    expect(!clash.ok && clash.errors).toEqual(['discovery.ip: 192.0.2.21 is also a portal of volume group vg_dsk_0; the discovery portal needs its own address']);
  });
});
