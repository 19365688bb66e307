import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { allProblems, ConfigError, dumpSaveConfig, mergeSaveConfigs, parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { parseSecrets, selectDesired } from '../../lib/configfs/desired.js';

const text = readFileSync(new URL('../fixtures/target/saveconfig.json', import.meta.url), 'utf8');
const IQN = 'iqn.2016-09.com.example:iscsitgt01';

function problems(doc: unknown): string[] {
  // Every object's problems, as if every object were owned.
  try {
    return allProblems(parseSaveConfig(typeof doc === 'string' ? doc : JSON.stringify(doc), 'cfg.json')).map((p) => p.text);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}
const base = () => JSON.parse(text) as any;

describe('saveconfig.json parser', () => {
  it('reads the targetcli dump: 4 block objects, one target with 4 LUNs, 4 CHAP ACLs x 4 mapped LUNs, one portal', () => {
    const cfg = parseSaveConfig(text);
    expect(cfg.storageObjects.size).toBe(4);
    expect(cfg.storageObjects.get('/backstores/block/lun3')).toMatchObject({ kind: 'block', dev: '/dev/vg1/lv-lun3', readonly: false, writeBack: false });
    const tpg = cfg.targets.get(IQN)!.tpgs[0]!;
    expect(tpg.luns.map((l) => l.storageObject)).toEqual([0, 1, 2, 3].map((i) => `/backstores/block/lun${i}`));
    expect(tpg.acls.map((a) => a.mappedLuns.length)).toEqual([4, 4, 4, 4]);
    expect(tpg.acls[0]!.auth.mutualUserid).toBe('tgtuser');
    expect(tpg.attributes.demo_mode_write_protect).toBe('1');
    expect(tpg.parameters.MaxBurstLength).toBe('262144');
    expect(tpg.portals).toEqual([{ ip: '10.110.88.59', port: 3260, iser: false }]);
  });

  it('round-trips through dump', () => {
    const cfg = parseSaveConfig(text);
    const again = parseSaveConfig(dumpSaveConfig(cfg.storageObjects.values(), cfg.targets.values()));
    expect(again.targets).toEqual(cfg.targets);
    expect([...again.storageObjects.values()].map((s) => ({ ...s, writeBack: undefined }))).toEqual([...cfg.storageObjects.values()].map((s) => ({ ...s, writeBack: undefined })));
  });

  it('names unknown fields', () => {
    const d = base();
    d.targets[0].tpgs[0].node_acls[2].chap_passwd = 'x';
    d.storage_objects[1].devv = '/dev/x';
    d.extra = 1;
    expect(problems(d)).toEqual([
      'cfg.json: $.storage_objects[1].devv: unknown field',
      'cfg.json: $.targets[0].tpgs[0].node_acls[2].chap_passwd: unknown field',
    ]);
    // A top-level field belongs to no resource: noted for the debug log, not refused.
    expect(parseSaveConfig(JSON.stringify(d), 'cfg.json').ignored).toContain('cfg.json: $.extra: unknown field, ignored');
  });

  it('names contradictions', () => {
    const d = base();
    d.storage_objects[0].write_back = true; // attributes say emulate_write_cache=0
    d.storage_objects[2].dev = '/dev/vg1/lv-lun1'; // same device twice
    d.targets[0].tpgs[0].luns[3].index = 2; // LUN 2 twice
    d.targets[0].tpgs[0].node_acls[1].mapped_luns[0].tpg_lun = 9;
    d.targets[0].tpgs[0].luns.push({ index: 7, storage_object: '/backstores/block/nope' });
    const p = problems(d);
    expect(p).toContain('cfg.json: $.storage_objects[0].write_back: contradicts attributes.emulate_write_cache=0');
    expect(p).toContain('cfg.json: $.storage_objects[2].dev: /dev/vg1/lv-lun1 is also used by /backstores/block/lun1');
    expect(p).toContain('cfg.json: $.targets[0].tpgs[0].luns[3].index: LUN 2 defined twice');
    expect(p).toContain('cfg.json: $.targets[0].tpgs[0].node_acls[1].mapped_luns[0].tpg_lun: TPG has no LUN 9');
    expect(p).toContain('cfg.json: $.targets[0].tpgs[0].luns[4].storage_object: /backstores/block/nope is not in storage_objects');
  });

  it('refuses malformed values and unsupported setups', () => {
    expect(problems('{"targets": [')[0]).toMatch(/^cfg.json: not valid JSON/);
    // The parser's message would quote the neighbourhood, e.g. a password: it must not reach the reason.
    expect(problems('{"chap_password": hunter2}')[0]).not.toMatch(/hunter2/);
    const d = base();
    d.targets[0].fabric = 'loopback';
    d.storage_objects[0].dev = '/dev/dm-3';
    d.storage_objects[1].plugin = 'user:rbd';
    d.storage_objects[2].attributes.block_size = 'big\nger';
    expect(problems(d)).toEqual([
      'cfg.json: $.storage_objects[0].dev: a /dev/dm-N name is not stable across nodes; use /dev/<vg>/<lv>',
      'cfg.json: $.storage_objects[2].attributes.block_size: must be an integer or a single-line string',
    ]);
    // Objects lioha does not manage are foreign: refused only when an owned target uses them.
    const cfg = parseSaveConfig(JSON.stringify(d), 'cfg.json');
    expect(cfg.foreign.get('/backstores/user:rbd/lun1')).toBe('not managed: tcmu backstore user:rbd');
    expect(cfg.foreign.get(IQN)).toBe('not managed: fabric loopback (only iscsi), $.targets[0]');
    expect(() => selectDesired(cfg, [IQN], { deriveWwn: false })).toThrow(/^not managed: fabric loopback \(only iscsi\), \$.targets\[0\]: target iqn.2016-09.com.example:iscsitgt01/);
    const e = base();
    e.targets[0].tpgs[0].portals[0].port = 70000;
    e.targets[0].tpgs[0].node_acls[0].node_wwn = 'not an iqn';
    expect(problems(e)).toEqual([
      'cfg.json: $.targets[0].tpgs[0].portals[0].port: must be an integer in 1..65535',
      'cfg.json: $.targets[0].tpgs[0].node_acls[0].node_wwn: "not an iqn" is not an iSCSI name',
    ]);
  });

  it('merges per-group files; identical shared objects are fine, different ones are refused', () => {
    const a = parseSaveConfig(text, 'a.json');
    const d = base();
    d.targets[0].wwn = 'iqn.2016-09.com.example:second';
    const b = parseSaveConfig(JSON.stringify(d), 'b.json');
    expect([...mergeSaveConfigs([a, b]).targets.keys()]).toEqual([IQN, 'iqn.2016-09.com.example:second']);
    d.storage_objects[0].wwn = 'different';
    const c = parseSaveConfig(JSON.stringify(d), 'c.json');
    const merged = mergeSaveConfigs([a, c]);
    expect(merged.broken.get('/backstores/block/lun0')![0]!.text).toBe('/backstores/block/lun0 differs between a.json and c.json');
    expect(() => selectDesired(merged, [IQN], { deriveWwn: false })).toThrow('/backstores/block/lun0 differs between a.json and c.json');
  });
});

describe('ownership selection', () => {
  const cfg = parseSaveConfig(text);
  it('owns the named targets and only the storage objects they use', () => {
    const d = selectDesired(cfg, [IQN], { deriveWwn: false });
    expect([...d.targets.keys()]).toEqual([IQN]);
    expect(d.storageObjects.get('/backstores/block/lun0')).not.toHaveProperty('productId');
  });
  it('a secret in both places must agree', () => {
    const s = parseSecrets(JSON.stringify({ [IQN]: { acls: { 'iqn.2016-09.com.example:initiator02': { chap_password: 'other' } } } }), 's.json');
    let err: ConfigError | undefined;
    try { selectDesired(cfg, [IQN], { deriveWwn: false, secrets: s }); } catch (e) { err = e as ConfigError; }
    expect(err!.problems).toEqual([`${IQN} ACL iqn.2016-09.com.example:initiator02: chap_password differs between the configuration and the secrets file`]);
    expect(err!.message.length).toBeLessThanOrEqual(128);
    expect(() => parseSecrets('{"x": {"tpg": {"chap_pasword": "p"}}}', 's.json')).toThrow('s.json: x.tpg.chap_pasword: unknown field');
  });
  it('a secrets file parse error does not echo its content', () => {
    expect(() => parseSecrets('{"p": "hunter2"', 's.json')).toThrow(/^s.json: not valid JSON$/);
  });
});
