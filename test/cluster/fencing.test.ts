/** Fence devices and no-quorum-policy in the description, the plan and both scripts. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { AGENTS } from '../../agents/registry.js';
import { buildPlan } from '../../lib/cluster/build-plan.js';
import { parseDescription, parseDescriptionOrThrow } from '../../lib/cluster/parse-description.js';
import { generateScript } from '../../cli/cluster/generate.js';

const seed = JSON.parse(readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8'));
const fenced = (mutate: (d: any) => void = () => {}) => {
  const d = structuredClone(seed);
  d.options.stonith = true;
  d.fencing = [
    { id: 'fence_a', agent: 'fence_ipmilan', node: 'iscsitgt01a', params: { ip: '192.0.2.201', pcmk_delay_base: '5s' } },
    { id: 'fence_s', agent: 'fence_ipmilan', node: 'iscsitgt01s', params: { ip: '192.0.2.202' } },
  ];
  mutate(d);
  return JSON.stringify(d);
};

describe('fencing in the cluster description', () => {
  it('plans one device per node that never runs on the node it fences', () => {
    const p = buildPlan(parseDescriptionOrThrow(fenced()), AGENTS);
    expect(p.fenceDevices.map((f) => [f.id, f.node, f.params])).toEqual([
      ['fence_a', 'iscsitgt01a', [['pcmk_host_list', 'iscsitgt01a'], ['ip', '192.0.2.201'], ['pcmk_delay_base', '5s']]],
      ['fence_s', 'iscsitgt01s', [['pcmk_host_list', 'iscsitgt01s'], ['ip', '192.0.2.202']]],
    ]);
    expect(p.properties).toEqual([['stonith-enabled', 'true'], ['no-quorum-policy', 'stop']]);
    expect(p.notes.join()).not.toMatch(/no fence device/);
  });

  it('writes the devices and their avoid constraints into the pcs and crmsh scripts', () => {
    const pcs = generateScript('pcs', fenced(), { source: 'x', command: 'test' });
    expect(pcs).toContain('pcs -f "$cib" stonith create fence_a fence_ipmilan \\\n  pcmk_host_list=iscsitgt01a ip=192.0.2.201 pcmk_delay_base=5s \\\n  op monitor interval=60s timeout=20s');
    expect(pcs).toContain('pcs -f "$cib" constraint location fence_a avoids iscsitgt01a');
    expect(pcs).toContain('property set stonith-enabled=true no-quorum-policy=stop');
    const crm = generateScript('crm', fenced(), { source: 'x', command: 'test' });
    expect(crm).toContain('primitive fence_s stonith:fence_ipmilan \\\n  params pcmk_host_list=iscsitgt01s ip=192.0.2.202');
    expect(crm).toContain('location loc_fence_s_avoids_iscsitgt01s fence_s -inf: iscsitgt01s');
    expect(crm).toContain('no-quorum-policy=stop');
  });

  it('takes noQuorumPolicy from the options and refuses unknown policies', () => {
    const p = buildPlan(parseDescriptionOrThrow(fenced((d) => { d.options.noQuorumPolicy = 'freeze'; })), AGENTS);
    expect(p.properties).toContainEqual(['no-quorum-policy', 'freeze']);
    const r = parseDescription(fenced((d) => { d.options.noQuorumPolicy = 'suicide'; }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['options.noQuorumPolicy: must be one of: stop, freeze, ignore, demote']);
  });

  it('refuses devices for unknown nodes, duplicate ids, a hand-set host list and devices without stonith', () => {
    const r = parseDescription(fenced((d) => {
      d.fencing[0].node = 'nosuch';
      d.fencing[1].params.pcmk_host_list = 'x';
    }));
    expect(!r.ok && r.errors).toEqual([
      'fencing[0].node: nosuch is not one of the nodes (iscsitgt01a, iscsitgt01s)',
      'fencing[1].params.pcmk_host_list: is set from node; remove it',
    ]);
    const dup = parseDescription(fenced((d) => { d.fencing[1].id = 'fence_a'; }));
    expect(!dup.ok && dup.errors).toEqual(['fencing[1].id: fence device fence_a is listed twice']);
    const off = parseDescription(fenced((d) => { d.options.stonith = false; }));
    expect(!off.ok && off.errors).toEqual(['fencing: fence devices are listed but options.stonith is false']);
  });

  it('says so in the script header when stonith is on without a device', () => {
    const pcs = generateScript('pcs', fenced((d) => { delete d.fencing; }), { source: 'x', command: 'test' });
    expect(pcs).toMatch(/# Note: stonith is enabled but the description lists no fence device/);
  });
});
