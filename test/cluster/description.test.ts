import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseDescription } from '../../lib/cluster/parse-description.js';

const example = readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8');

function withChange(mutate: (d: any) => void): string {
  const d = JSON.parse(example);
  mutate(d);
  return JSON.stringify(d, null, 2);
}

function errorsOf(text: string): readonly string[] {
  const r = parseDescription(text);
  if (r.ok) throw new Error('expected the description to be rejected');
  return r.errors;
}

describe('cluster description', () => {
  it('accepts the seed example and fills defaults', () => {
    const r = parseDescription(example);
    if (!r.ok) throw new Error(`rejected: ${r.errors.join('; ')}`);
    const d = r.description;
    expect(d.nodes.map((n) => n.name)).toEqual(['iscsitgt01a', 'iscsitgt01s']);
    expect(d.volumeGroups[0]).toMatchObject({ vg: 'vg1', drbd: 'r0', group: 'g_tgt', ddmap: false, preferredNode: 'iscsitgt01a' });
    expect(d.options.stonith).toBe(false);
  });

  it('names the place of a JSON syntax error', () => {
    const [e] = errorsOf('{\n  "cluster": "x",\n  "nodes": [,]\n}');
    expect(e).toMatch(/not valid JSON \(line 3, column \d+\)/);
  });

  it('reports every problem with its path', () => {
    const errs = errorsOf(
      withChange((d) => {
        d.volumeGroups[0].drbd = 'r9';
        d.volumeGroups[0].preferredNode = 'nodeX';
        d.volumeGroups[0].portals[0].ip = '10.110.88.300';
        d.volumeGroups[0].targets[0].iqn = 'IQN.bad';
        d.volumeGroups[0].colour = 'blue';
      }),
    );
    expect(errs).toEqual(
      expect.arrayContaining([
        'volumeGroups[0].drbd: no DRBD resource named r9 under drbd',
        expect.stringMatching(/^volumeGroups\[0\]\.preferredNode: nodeX is not one of the nodes/),
        'volumeGroups[0].portals[0].ip: "10.110.88.300" is not an IPv4 or IPv6 address',
        expect.stringMatching(/^volumeGroups\[0\]\.targets\[0\]\.iqn: "IQN.bad" is not a valid iSCSI name/),
        expect.stringMatching(/^volumeGroups\[0\]\.colour: unknown field/),
      ]),
    );
    expect(errs).toHaveLength(5);
  });

  it('refuses stickiness that would let groups fail back', () => {
    const errs = errorsOf(withChange((d) => { d.options.resourceStickiness = 100; }));
    expect(errs[0]).toMatch(/resourceStickiness: must be greater than options.preferenceScore \(100\)/);
  });

  it('refuses a target, portal address or VG used twice', () => {
    const errs = errorsOf(
      withChange((d) => {
        d.volumeGroups.push({ ...d.volumeGroups[0], group: 'g_two' });
      }),
    );
    expect(errs).toEqual([
      'volumeGroups[1]: volume group vg1 is also used by volumeGroups[0]',
      'volumeGroups[1].targets[0]: target iqn.2016-09.com.example:iscsitgt01 is also used by volumeGroups[0].targets[0]: groups g_tgt and g_two cannot both own it',
      'volumeGroups[1].portals[0]: portal address 10.110.88.59 is also used by volumeGroups[0].portals[0]: groups g_tgt and g_two cannot both own it',
    ]);
  });

  it('refuses groups on one DRBD resource preferring different nodes', () => {
    const errs = errorsOf(
      withChange((d) => {
        d.volumeGroups.push({
          vg: 'vg2', drbd: 'r0', preferredNode: 'iscsitgt01s',
          targets: [{ iqn: 'iqn.2016-09.com.example:two', config: '/etc/target/two.json' }],
          portals: [{ ip: '10.110.88.60' }],
        });
      }),
    );
    expect(errs).toEqual(['volumeGroups[1].preferredNode: vg2 shares DRBD resource r0 with vg1, which prefers iscsitgt01a; both must prefer the same node']);
  });

  it('keeps quotes and control characters out of parameter values', () => {
    const errs = errorsOf(withChange((d) => { d.volumeGroups[0].params = { vg: { mount_options: 'a"b' } }; }));
    expect(errs).toEqual(['volumeGroups[0].params.vg.mount_options: must not contain quotes, backslashes or control characters']);
  });

  it('accepts IPv6 portals and checks their prefix length', () => {
    expect(parseDescription(withChange((d) => { d.volumeGroups[0].portals = [{ ip: '2001:db8::59', cidrNetmask: 64 }]; })).ok).toBe(true);
    expect(errorsOf(withChange((d) => { d.volumeGroups[0].portals = [{ ip: '10.0.0.1', cidrNetmask: 64 }]; }))).toEqual([
      'volumeGroups[0].portals[0].cidrNetmask: must be an integer from 1 to 32',
    ]);
  });
});

describe('JSON error positions', () => {
  it.each([
    ['{\n  "a": 1,\n}', 'line 3, column 1'],
    ['{\n  "a" 1\n}', 'line 2, column 7'],
    ['{"a": [1, 2', 'line 1, column 12'],
  ])('%j -> %s', (text, where) => {
    expect(errorsOf(text)[0]).toContain(where);
  });
});
