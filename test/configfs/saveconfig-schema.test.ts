/**
 * The saveconfig schema rtslib-fb 2.1.x-2.2.x writes, ownership-aware strictness, the order of
 * problems in exit reasons, portal addresses, TargetAlias, ALUA settings and NAA identities.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, mergeSaveConfigs, parseSaveConfig, REASON_MAX } from '../../lib/configfs/saveconfig.js';
import { naaDesignator, selectDesired } from '../../lib/configfs/desired.js';
import { planReconcile } from '../../lib/configfs/plan.js';

const IQN = 'iqn.2003-01.org.linux-iscsi.node1:sn.repro';
const base = (): any => ({
  fabric_modules: [] as unknown[],
  storage_objects: [
    { name: 'disk0', plugin: 'block', dev: '/dev/vg0/disk0', readonly: false, write_back: false, wwn: '0b0a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', attributes: { emulate_write_cache: 0 }, alua_tpgs: [] as unknown[] } as Record<string, any>,
  ],
  targets: [
    { fabric: 'iscsi', wwn: IQN, tpgs: [{ tag: 1, enable: true, attributes: { generate_node_acls: 0 }, parameters: {} as Record<string, string>,
      luns: [{ index: 0, storage_object: '/backstores/block/disk0', alias: 'a1b2c3d4e5', alua_tg_pt_gp_name: 'default_tg_pt_gp' }] as Record<string, any>[],
      portals: [{ ip_address: '0.0.0.0', port: 3260, iser: false, offload: false }] as Record<string, any>[],
      node_acls: [{ node_wwn: 'iqn.1994-05.com.redhat:client1', mapped_luns: [{ index: 0, tpg_lun: 0, write_protect: false, alias: 'f1e2d3c4b5' }] }] as Record<string, any>[] }] } as Record<string, any>,
  ],
});
const select = (doc: unknown, iqns = [IQN]) => selectDesired(parseSaveConfig(JSON.stringify(doc), 'c.json'), iqns, { deriveWwn: false });
function refusal(doc: unknown, iqns = [IQN]): ConfigError {
  try { select(doc, iqns); } catch (e) { if (e instanceof ConfigError) return e; throw e; }
  throw new Error('accepted');
}

describe('rtslib-fb 2.1.x-2.2.x fields', () => {
  it('accepts "exclusive" (2.2.4) and ACL "tag", and plans the tag', () => {
    const d = base();
    d.storage_objects[0].exclusive = true;
    d.targets[0].tpgs[0].node_acls[0].tag = 'cluster-hosts';
    const want = select(d);
    expect(want.targets.get(IQN)!.tpgs[0]!.acls[0]!.tag).toBe('cluster-hosts');
    const ops = planReconcile(want, { storageObjects: new Map(), targets: new Map(), hbas: [], users: new Map() });
    expect(ops).toContainEqual({ op: 'ensure', path: `iscsi/${IQN}/tpgt_1/acls/iqn.1994-05.com.redhat:client1/tag`, value: 'cluster-hosts' });
  });
  it('refuses a shared block open on an owned object only', () => {
    const d = base();
    d.storage_objects[0].exclusive = false;
    expect(refusal(d).message).toBe('c.json: $.storage_objects[0].exclusive: a shared (non-exclusive) block device open is not supported');
  });
});

describe('strict on what is owned, lenient on the rest', () => {
  it('another fabric, an unused tcmu backstore and another object\'s ALUA group do not matter', () => {
    const d = base();
    d.storage_objects.push({ name: 'rbd', plugin: 'user:rbd', config: 'rbd/p/i', size: 1 << 20, wwn: 'x', alua_tpgs: [] });
    d.storage_objects.push({ name: 'other', plugin: 'block', dev: '/dev/vg0/other', wwn: '3d4e5f60-7182-4930-bc1d-e2f3a4b5c6d7', alua_tpgs: [{ name: 'ao', tg_pt_gp_id: 16 }] });
    d.targets.push({ fabric: 'tcm_fc', wwn: 'naa.21000024ff314c48', tpgs: [{ tag: 1, luns: [] }] });
    d.targets.push({ fabric: 'loopback', wwn: 'naa.50014052e0a5e3b1', tpgs: [{ tag: 1, nexus: 'naa.50014050a8cc51a2', luns: [] }] });
    expect([...select(d).storageObjects.keys()]).toEqual(['/backstores/block/disk0']);
  });
  it('puts the decisive problem first: an unmanaged fabric before ALUA details', () => {
    const d = base();
    d.targets[0].fabric = 'tcm_fc';
    const e = refusal(d);
    expect(e.message).toBe(`not managed: fabric tcm_fc (only iscsi), $.targets[0]: target ${IQN}`);
    const f = base();
    f.storage_objects[0].alua_tpgs = [{ name: 'default_tg_pt_gp', alua_access_state: 9 }, { name: 'g2' }, { name: 'g3' }];
    f.targets[0].tpgs[0].luns[0].alua_tg_pt_gp_name = 'g2';
    f.targets[0].tpgs[0].portals[0].ip_address = '999.1.1.1';
    const g = refusal(f);
    expect(g.message).toMatch(/^c.json: \$.targets\[0\].tpgs\[0\].portals\[0\].ip_address: "999.1.1.1" is not an IPv4 or IPv6 address \(\+1 more\)$/);
    expect(g.problems.slice(1).every((p) => /ALUA|alua/.test(p))).toBe(true);
  });
  it('a used tcmu backstore is refused, naming it', () => {
    const d = base();
    d.storage_objects[0] = { name: 'disk0', plugin: 'user:rbd', config: 'rbd/p/i', size: 1 << 20, wwn: 'x' };
    d.targets[0].tpgs[0].luns[0].storage_object = '/backstores/user:rbd/disk0';
    expect(refusal(d).message).toBe(`not managed: tcmu backstore user:rbd: /backstores/user:rbd/disk0 (${IQN} LUN 0)`);
  });
  it('keeps every reason within Pacemaker\'s 128 characters', () => {
    const d = base();
    d.targets[0].tpgs[0].node_acls[0].node_wwn = `iqn.1994-05.com.redhat:${'x'.repeat(300)}`;
    expect(refusal(d).message.length).toBeLessThanOrEqual(REASON_MAX);
  });
});

describe('portals and parameters', () => {
  it.each([['999.1.1.1'], ['::::'], ['1.2.3'], ['[10.0.0.1]'], ['fd00::g'], ['']])('refuses portal address %j', (ip) => {
    const d = base();
    d.targets[0].tpgs[0].portals[0].ip_address = ip;
    expect(refusal(d).message).toMatch(/portals\[0\]\.ip_address/);
  });
  it('accepts IPv6 as targetcli writes it ([fd00::10]) and as older lioha wrote it', () => {
    for (const ip of ['[fd00::10]', 'fd00::10', '[::]']) {
      const d = base();
      d.targets[0].tpgs[0].portals[0].ip_address = ip;
      expect(select(d).targets.get(IQN)!.tpgs[0]!.portals[0]!.ip).toBe(ip.replace(/[[\]]/g, ''));
    }
  });
  it('refuses a TargetAlias longer than the 255 bytes LIO accepts', () => {
    const d = base();
    d.targets[0].tpgs[0].parameters.TargetAlias = 'ä'.repeat(128);
    expect(refusal(d).message).toBe('c.json: $.targets[0].tpgs[0].parameters.TargetAlias: longer than 255 bytes (256)');
    d.targets[0].tpgs[0].parameters.TargetAlias = 'a'.repeat(255);
    expect(() => select(d)).not.toThrow();
  });
});

describe('ALUA settings: applied or refused, never ignored', () => {
  it('applies non-default settings of default_tg_pt_gp, access type before state', () => {
    const d = base();
    d.storage_objects[0].alua_tpgs = [{ name: 'default_tg_pt_gp', tg_pt_gp_id: 0, alua_access_state: 1, alua_access_type: 1, nonop_delay_msecs: 50, preferred: 0 }];
    const want = select(d);
    expect(want.storageObjects.get('/backstores/block/disk0')!.alua).toEqual({ alua_access_state: '1', alua_access_type: '1', nonop_delay_msecs: '50' });
    const ops = planReconcile(want, { storageObjects: new Map(), targets: new Map(), hbas: [], users: new Map() });
    const alua = ops.filter((o) => o.path.includes('/alua/')).map((o) => o.path.split('/').pop());
    expect(alua).toEqual(['alua_access_type', 'nonop_delay_msecs', 'alua_access_state']);
  });
  it('refuses other groups, a non-zero default group id and out-of-range values on owned objects', () => {
    for (const g of [{ name: 'ao_group', tg_pt_gp_id: 16 }, { name: 'default_tg_pt_gp', tg_pt_gp_id: 5 }, { name: 'default_tg_pt_gp', alua_access_state: 7 }]) {
      const d = base();
      d.storage_objects[0].alua_tpgs = [g];
      expect(() => select(d)).toThrow(ConfigError);
    }
  });
});

describe('NAA designators (VPD 0x83)', () => {
  it('derives the designator as LIO does: company id, then the first 25 hex digits of the serial', () => {
    expect(naaDesignator('3a1f0b6e-0c55-4b5e-9a41-5d1f0c2e1a03')).toBe('60014053a1f0b6e0c554b5e9a415d1f0');
    expect(naaDesignator('ABC')).toBe('6001405abc0000000000000000000000');
  });
  it('refuses two objects whose serials differ only after 25 hex digits, naming both', () => {
    const d = base();
    d.storage_objects.push({ ...d.storage_objects[0], name: 'disk1', dev: '/dev/vg0/disk1', wwn: '0b0a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1cff' });
    const e = refusal(d);
    expect(e.message).toMatch(/^same NAA id for \/backstores\/block\/disk0 and \/backstores\/block\/disk1 \(serials alike in 25 hex digits\)/);
    expect(e.problems[0]).toMatch(/: 60014050b0a1c2d3e4f4a5b8c6d7e8f9$/);
  });
  it('checks across the files of a per-group directory', () => {
    const a = base();
    const b = base();
    b.storage_objects[0] = { ...b.storage_objects[0], name: 'disk9', dev: '/dev/vg0/disk9', wwn: '0b0a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c00' };
    b.targets[0].wwn = 'iqn.2003-01.org.linux-iscsi.node1:sn.b';
    b.targets[0].tpgs[0].luns[0].storage_object = '/backstores/block/disk9';
    const merged = mergeSaveConfigs([parseSaveConfig(JSON.stringify(a), 'a.json'), parseSaveConfig(JSON.stringify(b), 'b.json')]);
    expect(() => selectDesired(merged, [IQN], { deriveWwn: false })).toThrow(/same NAA id for \/backstores\/block\/disk0 and \/backstores\/block\/disk9/);
  });
  it('the lab fixture has distinct designators', () => {
    const text = readFileSync(new URL('../lab/fixtures/lab-4lun.json', import.meta.url), 'utf8');
    const serials = (JSON.parse(text).storage_objects as { wwn: string }[]).map((s) => naaDesignator(s.wwn));
    expect(new Set(serials).size).toBe(serials.length);
  });
});
