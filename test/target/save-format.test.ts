/**
 * `lioha target save` writes what targetcli writes, so admins can diff the two: on the tree
 * the agent builds from a `targetctl save` file (the lab's, recorded on a 6.1 kernel), the
 * save is that file again, up to list order (rtslib follows configfs readdir order, lioha
 * index order). IPv6 portals keep their brackets, the ALUA group is kept, and nothing
 * targetcli omits is added. The product id follows emulate_model_alias, as under targetctl.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { saveLive } from '../../lib/configfs/save.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { createEmulatedConfigFs } from '../../lib/configfs/emulator-fixture.js';
import { ctxFor, fastTmp } from './setup.js';

const LAB = new URL('../lab/fixtures/lab-4lun.json', import.meta.url);
const IQN = 'iqn.2016-09.com.example:iscsitgt01';
const actions = createTargetActions();
let root: string;
let base: string;
beforeEach(() => {
  root = mkdtempSync(join(fastTmp(), 'lioha-save-'));
  base = createEmulatedConfigFs(root);
  mkdirSync(join(root, 'etc/target'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function install(doc: unknown): void {
  writeFileSync(join(root, 'etc/target/saveconfig.json'), typeof doc === 'string' ? doc : JSON.stringify(doc), { mode: 0o600 });
  const d = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { storage_objects: { dev?: string }[] };
  for (const so of d.storage_objects) {
    if (!so.dev) continue;
    mkdirSync(join(root, so.dev, '..'), { recursive: true });
    writeFileSync(join(root, so.dev), '');
  }
}
/** Lists sorted by their identity, so only content is compared. */
function canonical(v: any): any {
  if (Array.isArray(v)) {
    const key = (x: any) => JSON.stringify([x?.index, x?.node_wwn, x?.tag, x?.name, x?.ip_address, x?.port, x?.wwn]);
    return v.map(canonical).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

describe('lioha target save writes what targetctl save writes', () => {
  it('gives back the targetctl-saved lab file from the tree the agent built from it', async () => {
    const text = readFileSync(LAB, 'utf8');
    install(text);
    expect(await actions.start(ctxFor(root, 'start', { iqn: IQN }))).toBe(0);
    const saved = await saveLive(new EmulatedConfigFs(base, []), [IQN]);
    // The lab's device had hw_max_sectors 4294967288; the emulated one has less, and refuses the saved
    // optimal_sectors (a device-bound attribute): the save gives the device's value, as targetctl save would.
    const expected = JSON.parse(text);
    for (const so of expected.storage_objects) so.attributes.optimal_sectors = Math.min(so.attributes.optimal_sectors, so.attributes.hw_max_sectors ?? Infinity, 2560);
    expect(canonical(JSON.parse(saved))).toEqual(canonical(expected));
    // Formatted as json.dumps(sort_keys=True, indent=2).
    expect(saved).toMatch(/^\{\n {2}"fabric_modules": \[\],\n {2}"storage_objects": \[\n {4}\{\n {6}"alua_tpgs": \[/);
  });

  it('brackets IPv6 portals, omits empty CHAP fields, tcq_depth and nullio:false', async () => {
    const doc = JSON.parse(readFileSync(LAB, 'utf8'));
    doc.storage_objects = [{ name: 'rd0', plugin: 'ramdisk', size: 1 << 20, wwn: '5a5b5c5d-0000-4000-8000-000000000001', attributes: {} }];
    const tpg = doc.targets[0].tpgs[0];
    tpg.luns = [{ index: 0, storage_object: '/backstores/ramdisk/rd0' }];
    tpg.portals = [{ ip_address: '[fd00::10]', port: 3260 }, { ip_address: '192.0.2.10', port: 3260 }];
    tpg.node_acls = [{ node_wwn: 'iqn.1994-05.com.redhat:c1', tcq_depth: 32, chap_userid: '', chap_password: '', mapped_luns: [{ index: 0, tpg_lun: 0, write_protect: true }] }];
    install(doc);
    expect(await actions.start(ctxFor(root, 'start', { iqn: IQN }))).toBe(0);
    const saved = JSON.parse(await saveLive(new EmulatedConfigFs(base, []), [IQN]));
    const t = saved.targets[0].tpgs[0];
    expect(t.portals.map((p: any) => p.ip_address).sort()).toEqual(['192.0.2.10', '[fd00::10]']);
    const acl = t.node_acls[0];
    expect(Object.keys(acl).sort()).toEqual(['attributes', 'mapped_luns', 'node_wwn']);
    expect(acl.mapped_luns[0].write_protect).toBe(true);
    expect(saved.storage_objects[0]).not.toHaveProperty('nullio');
    expect(saved.storage_objects[0].alua_tpgs).toEqual([expect.objectContaining({ name: 'default_tg_pt_gp', tg_pt_gp_id: 0, alua_access_type: 3, nonop_delay_msecs: 100 })]);
    expect(readFileSync(join(base, `iscsi/${IQN}/tpgt_1/acls/iqn.1994-05.com.redhat:c1/cmdsn_depth`), 'utf8')).toBe('32\n');
  });
});

describe('INQUIRY product id follows emulate_model_alias, as under targetctl restore', () => {
  for (const [alias, want] of [[undefined, 'IBLOCK'], [0, 'IBLOCK'], [1, 'lun0']] as const) {
    it(`emulate_model_alias ${alias ?? 'absent'}: product id ${want}`, async () => {
      const doc = JSON.parse(readFileSync(LAB, 'utf8'));
      for (const so of doc.storage_objects) {
        if (alias === undefined) delete so.attributes.emulate_model_alias;
        else so.attributes.emulate_model_alias = alias;
      }
      install(doc);
      expect(await actions.start(ctxFor(root, 'start', { iqn: IQN }))).toBe(0);
      const so = (await import('node:fs')).readdirSync(join(base, 'core')).filter((h) => h.startsWith('iblock_'))
        .map((h) => join(base, 'core', h, 'lun0')).find((p) => { try { readFileSync(join(p, 'enable')); return true; } catch { return false; } })!;
      expect(readFileSync(join(so, 'wwn/product_id'), 'utf8')).toBe(`${want}\n`);
      expect(await actions.monitor(ctxFor(root, 'monitor', { iqn: IQN }, { checkLevel: 10 }))).toBe(0);
    });
  }
});
