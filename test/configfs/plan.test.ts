import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSaveConfig } from '../../lib/configfs/saveconfig.js';
import { selectDesired } from '../../lib/configfs/desired.js';
import { planReconcile, planTeardown, PlanError, type PlanOp } from '../../lib/configfs/plan.js';
import type { LiveState } from '../../lib/configfs/model.js';

const IQN = 'iqn.2016-09.com.example:iscsitgt01';
const desired = selectDesired(parseSaveConfig(readFileSync(new URL('../fixtures/target/saveconfig.json', import.meta.url), 'utf8')), [IQN], { deriveWwn: false });
const empty = (): LiveState => ({ storageObjects: new Map(), targets: new Map(), hbas: [], users: new Map() });
const at = (ops: PlanOp[], pred: (o: PlanOp) => boolean) => ops.findIndex(pred);

describe('planner', () => {
  const ops = planReconcile(desired, empty());

  it('a fresh TPG/ACL: values equal to the kernel defaults cost nothing, others are written without a read first', () => {
    const tpg = ops.filter((o) => o.path.includes('/tpgt_1/param/') || o.path.includes('/tpgt_1/attrib/'));
    // The fixture differs from the defaults only in AuthMethod=CHAP and InitialR2T=No; netif_timeout
    // is read first because 6.12 TPGs do not have it (defaults.ts lists what every recorded kernel agrees on).
    expect(tpg.map((o) => [o.op, o.path.split('/').slice(-1)[0]]).sort()).toEqual([['ensure', 'netif_timeout'], ['write', 'AuthMethod'], ['write', 'InitialR2T']]);
    expect(ops.filter((o) => o.op === 'ensure' && o.path.startsWith('iscsi/')).map((o) => o.path.split('/').slice(-1)[0])).toEqual(['netif_timeout']);
    // Storage objects' attributes depend on the device: still read before writing.
    expect(ops.some((o) => o.op === 'ensure' && o.path.startsWith('core/'))).toBe(true);
  });

  it('creates in kernel order and enables the TPG last', () => {
    const soEnable = at(ops, (o) => o.op === 'write' && o.path === 'core/iblock_3/lun3/enable');
    const target = at(ops, (o) => o.op === 'mkdir' && o.path === `iscsi/${IQN}`);
    const tpgParam = at(ops, (o) => o.op === 'write' && o.path.endsWith('tpgt_1/param/InitialR2T'));
    const lun = at(ops, (o) => o.op === 'mkdir' && o.path.endsWith('/lun/lun_0'));
    const portal = at(ops, (o) => o.op === 'mkdir' && o.path.endsWith('/np/10.110.88.59:3260'));
    const acl = at(ops, (o) => o.op === 'mkdir' && o.path.endsWith('/acls/iqn.2016-09.com.example:initiator01'));
    const mapped = at(ops, (o) => o.op === 'symlink' && o.path.includes('/acls/'));
    expect(soEnable).toBeGreaterThan(-1);
    expect([soEnable, target, tpgParam, lun, portal, acl, mapped]).toEqual([soEnable, target, tpgParam, lun, portal, acl, mapped].sort((a, b) => a - b));
    expect(ops.at(-1)).toEqual({ op: 'write', path: `iscsi/${IQN}/tpgt_1/enable`, value: '1' });
    // control and the udev_path attribute both, then enable, then the serial (VM lab finding).
    const so = ops.filter((o) => o.path.startsWith('core/iblock_0/lun0/') && o.op === 'write').map((o) => o.path.slice('core/iblock_0/lun0/'.length));
    expect(so).toEqual(['control', 'udev_path', 'enable', 'wwn/vpd_unit_serial']); // product id: left to emulate_model_alias, as rtslib
  });

  it('allocates HBA indexes around existing ones', () => {
    const live = empty();
    live.hbas = ['iblock_0', 'fileio_2'];
    const o = planReconcile(desired, live).filter((x) => x.op === 'mkdir' && /^core\/[a-z]+_\d+$/.test(x.path)).map((x) => x.path);
    expect(o).toEqual(['core/iblock_1', 'core/iblock_3', 'core/iblock_4', 'core/iblock_5']);
  });

  it('refuses to recreate a storage object another target uses', () => {
    const live = empty();
    live.hbas = ['iblock_7'];
    live.storageObjects.set('/backstores/block/lun0', { kind: 'block', name: 'lun0', dir: 'core/iblock_7/lun0', hba: 'iblock_7', enabled: true, dev: '/dev/sdq', wwn: '', productId: 'lun0', attributes: {} });
    live.users.set('/backstores/block/lun0', new Set(['iqn.2003-01.org.example:foreign']));
    expect(() => planReconcile(desired, live)).toThrow(PlanError);
  });

  it('tears down in reverse: disable first, storage objects last, shared ones kept', () => {
    const live = empty();
    live.targets.set(IQN, structuredClone(desired.targets.get(IQN)!));
    live.hbas = ['iblock_0', 'iblock_1', 'iblock_2', 'iblock_3'];
    for (let i = 0; i < 4; i++) {
      const ref = `/backstores/block/lun${i}` as const;
      live.storageObjects.set(ref, { kind: 'block', name: `lun${i}`, dir: `core/iblock_${i}/lun${i}`, hba: `iblock_${i}`, enabled: true, dev: `/dev/vg1/lv-lun${i}`, wwn: '', productId: '', attributes: {} });
      live.users.set(ref, new Set([IQN]));
    }
    live.users.get('/backstores/block/lun1')!.add('iqn.2003-01.org.example:other');
    const t = planTeardown([IQN], live, new Set(live.storageObjects.keys()));
    expect(t[0]).toEqual({ op: 'write', path: `iscsi/${IQN}/tpgt_1/enable`, value: '0' });
    const targetGone = at(t, (o) => o.op === 'rmdir' && o.path === `iscsi/${IQN}`);
    const firstSo = at(t, (o) => o.op === 'rmdir' && o.path.startsWith('core/'));
    expect(firstSo).toBeGreaterThan(targetGone);
    const acl = at(t, (o) => o.op === 'rmdir' && o.path.endsWith('initiator01'));
    const lun = at(t, (o) => o.op === 'rmdir' && o.path.endsWith('/lun/lun_0'));
    const np = at(t, (o) => o.op === 'rmdir' && o.path.includes('/np/'));
    expect(acl).toBeLessThan(lun);
    expect(lun).toBeLessThan(np);
    // every link before any directory, so a real kernel's teardown is a few batched calls
    expect(at(t, (o) => o.op === 'rmdir')).toBeGreaterThan(t.map((o) => o.op).lastIndexOf('unlink'));
    expect(t.filter((o) => o.op === 'rmdir' && o.path.startsWith('core/')).map((o) => o.path)).toEqual([
      'core/iblock_0/lun0', 'core/iblock_0', 'core/iblock_2/lun2', 'core/iblock_2', 'core/iblock_3/lun3', 'core/iblock_3',
    ]);
  });
});
