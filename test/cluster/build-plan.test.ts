import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { AGENTS } from '../../agents/registry.js';
import { buildPlan, GROUP_ORDER, GROUP_ORDER_ERA, PlanError } from '../../lib/cluster/build-plan.js';
import { parseDescription } from '../../lib/cluster/parse-description.js';
import { parseDescriptionOrThrow } from '../../lib/cluster/parse-description.js';
import { DRBD_AGENT, STATEFUL_AGENT, type ForeignAgent } from '../../lib/cluster/foreign-agents.js';
import { opsFromActions } from '../../lib/cluster/ops.js';

const seed = JSON.parse(readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8'));
const plan = (mutate: (d: any) => void = () => {}) => {
  const d = structuredClone(seed);
  mutate(d);
  return buildPlan(parseDescriptionOrThrow(JSON.stringify(d)), AGENTS);
};

describe('cluster plan', () => {
  it('builds the seed layout: ms_drbd_r0 and g_tgt = vg, target, portal', () => {
    const p = plan();
    expect(p.promotables.map((c) => c.id)).toEqual(['ms_drbd_r0']);
    expect(p.promotables[0]!.meta).toEqual(expect.arrayContaining([['promoted-max', '1'], ['notify', 'true'], ['clone-max', '2']]));
    expect(p.groups.map((g) => [g.id, g.members.map((m) => m.id)])).toEqual([['g_tgt', ['p_vg_vg1', 'p_target_vg1', 'p_portal_vg1']]]);
    expect(p.groups[0]!.members[2]!.params).toEqual([
      ['ip', '10.110.88.59'], ['cidr_netmask', '26'], ['nic', 'bond0'], ['iqn', 'iqn.2016-09.com.example:iscsitgt01'], ['block', 'drop'],
    ]);
    expect(p.constraints.map((c) => c.type)).toEqual(['colocation', 'order', 'location', 'location']);
  });

  it('options.timeoutScale multiplies every operation timeout (members, DRBD, fence monitors) and says so; intervals stay', () => {
    const fenced = (d: any) => { d.options.stonith = true; d.fencing = [{ id: 'f1', agent: 'fence_xvm', node: d.nodes[0].name }]; };
    const base = plan(fenced);
    const p = plan((d) => { fenced(d); d.options.timeoutScale = 3; });
    const ops = (x: typeof p) => [...x.groups.flatMap((g) => g.members), ...x.promotables.map((c) => c.primitive)].flatMap((m) => m.ops);
    expect(ops(p).map((o) => [o.name, o.interval, o.timeout])).toEqual(ops(base).map((o) => [o.name, o.interval, o.timeout * 3]));
    expect(p.fenceDevices[0]!.monitor.timeout).toBe(base.fenceDevices[0]!.monitor.timeout * 3);
    expect(p.notes).toContain("every operation timeout is 3 times the agents' own (options.timeoutScale)");
    for (const bad of [0, 11, 1.5]) {
      expect(() => plan((d) => { d.options = { ...d.options, timeoutScale: bad }; })).toThrow(/options\.timeoutScale/);
    }
  });

  it('takes operation timeouts and intervals from the agent definitions', () => {
    const p = plan();
    for (const m of p.groups[0]!.members) {
      const def = Object.values(AGENTS).find((d) => d?.name === m.agent.type)!;
      const start = def.actions.find((a) => a.name === 'start')!;
      const monitors = def.actions.filter((a) => a.name === 'monitor' && a.interval);
      expect(m.ops.find((o) => o.name === 'start')).toEqual({ name: 'start', interval: 0, timeout: start.timeout });
      expect(m.ops.filter((o) => o.name === 'monitor').map((o) => [o.interval, o.timeout])).toEqual(
        monitors.map((a) => [a.interval, a.timeout]).sort((x, y) => x[0]! - y[0]!),
      );
    }
  });

  it('orders group members vg, target, ddmap, portal', () => {
    const p = plan((d) => { d.volumeGroups[0].ddmap = true; });
    expect(GROUP_ORDER).toEqual(['vg', 'target', 'ddmap', 'portal']);
    expect(p.groups[0]!.members.map((m) => m.agent.type)).toEqual(['vg', 'target', 'ddmap', 'portal']);
  });

  it('checks extra parameters against the agent definition', () => {
    expect(() => plan((d) => { d.volumeGroups[0].params = { vg: { volgrpname: 'x' } }; })).toThrow(
      /volume group vg1, vg: unknown parameter volgrpname \(known: vgname, drbd_resource/,
    );
    expect(() => plan((d) => { d.volumeGroups[0].params = { target: { on_stop_hang: 'panic' } }; })).toThrow(
      /volume group vg1, target: parameter on_stop_hang: 'panic' is not one of fail, reboot/,
    );
    expect(() => plan((d) => { d.volumeGroups[0].params = { portal: { arp_count: 'many' } }; })).toThrow(/arp_count: 'many' is not an integer/);
    expect(() => plan((d) => { d.volumeGroups[0].params = { vg: { vgname: 'other' } }; })).toThrow(
      /parameter vgname is set from the description/,
    );
    expect(plan((d) => { d.volumeGroups[0].params = { target: { on_stop_hang: 'reboot' } }; }).groups[0]!.members[1]!.params).toContainEqual([
      'on_stop_hang', 'reboot',
    ]);
  });

  it('with the era backend orders vg, ddmap, target, portal: era devices exist before LIO opens them and go after it let go', () => {
    const p = plan((d) => {
      d.volumeGroups[0].ddmap = true;
      d.volumeGroups[0].params = { vg: { extra_devices: '^/dev/mapper/mpath' }, ddmap: { backend: 'era', lvs: 'lv_a lv_b' } };
    });
    expect(GROUP_ORDER_ERA).toEqual(['vg', 'ddmap', 'target', 'portal']);
    expect(p.groups[0]!.members.map((m) => m.agent.type)).toEqual(['vg', 'ddmap', 'target', 'portal']);
    // lvm in the ddmap agent sees the devices the vg resource sees
    expect(Object.fromEntries(p.groups[0]!.members[1]!.params)).toEqual({ vgname: 'vg1', extra_devices: '^/dev/mapper/mpath', backend: 'era', lvs: 'lv_a lv_b' });
  });

  it('refuses backend era without lvs, naming the path', () => {
    const d = structuredClone(seed);
    d.volumeGroups[0].ddmap = true;
    d.volumeGroups[0].params = { ddmap: { backend: 'era' } };
    const r = parseDescription(JSON.stringify(d));
    expect(JSON.stringify(r)).toContain('volumeGroups[0].params.ddmap.lvs');
  });

  it('makes one target resource per configuration file', () => {
    const p = plan((d) => {
      d.volumeGroups[0].targets.push({ iqn: 'iqn.2016-09.com.example:two', config: '/etc/target/two.json' });
      d.volumeGroups[0].targets.push({ iqn: 'iqn.2016-09.com.example:three', config: '/etc/target/saveconfig.json' });
    });
    const targets = p.groups[0]!.members.filter((m) => m.agent.type === 'target');
    expect(targets.map((t) => [t.id, Object.fromEntries(t.params)])).toEqual([
      ['p_target_vg1_0', { iqn: 'iqn.2016-09.com.example:iscsitgt01 iqn.2016-09.com.example:three', config: '/etc/target/saveconfig.json' }],
      ['p_target_vg1_1', { iqn: 'iqn.2016-09.com.example:two', config: '/etc/target/two.json' }],
    ]);
  });

  it('replaces DRBD by the Stateful stand-in and writes sandbox meta as operation defaults', () => {
    const p = buildPlan(parseDescriptionOrThrow(JSON.stringify(seed)), AGENTS, { drbdStandIn: true, meta: { 'lioha-root': '/srv/x' } });
    expect(p.promotables[0]!.primitive.agent).toEqual({ standard: 'ocf', provider: 'pacemaker', type: 'Stateful' });
    expect(p.promotables[0]!.primitive.params).toEqual([]);
    expect(p.opDefaults).toEqual([['lioha-root', '/srv/x']]);
  });

  it('refuses a build without an agent a volume group needs', () => {
    const { ddmap: _, ...rest } = AGENTS;
    const d = structuredClone(seed);
    d.volumeGroups[0].ddmap = true;
    expect(() => buildPlan(parseDescriptionOrThrow(JSON.stringify(d)), rest)).toThrow(PlanError);
  });

  it('refuses two recurring monitors with the same interval', () => {
    expect(() => opsFromActions('x', [
      { name: 'start', timeout: 1 }, { name: 'stop', timeout: 1 },
      { name: 'monitor', timeout: 1, interval: 10 }, { name: 'monitor', timeout: 2, interval: 10, depth: 10 },
    ])).toThrow(/two recurring monitors with interval 10s/);
  });
});

/** The copied action tables must match what the installed agents advertise. */
describe.each([
  ['ocf:linbit:drbd', DRBD_AGENT],
  ['ocf:pacemaker:Stateful', STATEFUL_AGENT],
] as [string, ForeignAgent][])('%s actions', (name, agent) => {
  const r = spawnSync('crm_resource', ['--show-metadata', name], { encoding: 'utf8' });
  it.skipIf(r.status !== 0)(`match the installed meta-data${r.status !== 0 ? ` (skipped: crm_resource cannot show ${name})` : ''}`, () => {
    const installed = [...r.stdout.matchAll(/<action\s+([^>]*?)\/?>/g)].map((m) => {
      const a = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const role = a['role'] === 'Master' ? 'Promoted' : a['role'] === 'Slave' ? 'Unpromoted' : a['role'];
      return `${a['name']}/${parseInt(a['interval'] ?? '0', 10)}/${parseInt(a['timeout'] ?? '0', 10)}/${role ?? ''}`;
    });
    const ours = opsFromActions(name, agent.actions).map((o) => `${o.name}/${o.interval}/${o.timeout}/${o.role ?? ''}`);
    for (const op of ours) expect(installed).toContain(op);
  });
});
