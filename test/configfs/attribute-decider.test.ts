import { describe, expect, it } from 'vitest';
import { DEVICE_DECIDED, deviceMayRefuse } from '../../lib/configfs/attribute-decider.js';
import { selectDesired } from '../../lib/configfs/desired.js';
import { storageObjectAttributeOf } from '../../lib/configfs/layout.js';
import { parseSaveConfig } from '../../lib/configfs/saveconfig.js';

// A block object's write cache is the backing device's: 6.1 and 6.12 refuse emulate_write_cache=1 on iblock
// (EINVAL), targetctl restore logs it and carries on. The lab found a 2013 file (write_back: true) that start
// refused while targetctl restored it (48-corpus).
const IQN = 'iqn.2003-01.org.linux-iscsi.node1:sn.wce';
function file(so: Record<string, unknown>): string {
  return JSON.stringify({
    storage_objects: [{ plugin: 'block', name: 'd0', dev: '/dev/vg0/d0', wwn: '11111111-2222-3333-4444-555555555555', attributes: {}, ...so }],
    targets: [{ wwn: IQN, fabric: 'iscsi', tpgs: [{ tag: 1, enable: true, attributes: {}, parameters: {}, portals: [], node_acls: [], luns: [{ index: 0, storage_object: '/backstores/block/d0' }] }] }],
  });
}
const desired = (so: Record<string, unknown>) => selectDesired(parseSaveConfig(file(so), 'f'), [IQN], { deriveWwn: false });

describe('values the kernel decides itself', () => {
  it('emulate_write_cache=1 on a block object is left to the device and reported', () => {
    const d = desired({ attributes: { emulate_write_cache: 1, emulate_tpu: 1 } });
    const so = d.storageObjects.get('/backstores/block/d0' as never)!;
    expect(so.attributes.emulate_write_cache).toBeUndefined();
    expect(so.attributes.emulate_tpu).toBe('1');
    expect(d.kernelDecided).toEqual(['/backstores/block/d0 emulate_write_cache=1 (iblock takes the write cache from the backing device)']);
  });
  it('write_back: true on a block object, the same', () => {
    const d = desired({ write_back: true });
    const so = d.storageObjects.get('/backstores/block/d0' as never)!;
    expect(so.kind === 'block' && so.writeBack).toBeFalsy();
    expect(d.kernelDecided?.length).toBe(1);
  });
  it('emulate_dpo / emulate_fua_read 0 (files from older kernels) are left at the kernel\'s 1 and reported, on every backend', () => {
    const d = desired({ attributes: { emulate_dpo: 0, emulate_fua_read: 0, emulate_fua_write: 0 } });
    const so = d.storageObjects.get('/backstores/block/d0' as never)!;
    expect(so.attributes.emulate_dpo).toBeUndefined();
    expect(so.attributes.emulate_fua_read).toBeUndefined();
    expect(so.attributes.emulate_fua_write).toBe('0');
    expect(d.kernelDecided).toEqual([
      '/backstores/block/d0 emulate_dpo=0 (the kernel always emulates it and reads 1)',
      '/backstores/block/d0 emulate_fua_read=0 (the kernel always emulates it and reads 1)',
    ]);
  });
  it('0 is written as configured, and nothing is reported', () => {
    const d = desired({ attributes: { emulate_write_cache: 0 }, write_back: false });
    expect(d.storageObjects.get('/backstores/block/d0' as never)!.attributes.emulate_write_cache).toBe('0');
    expect(d.kernelDecided).toBeUndefined();
  });
});

describe('values the device decides', () => {
  it('a well-formed limit or flag may be refused by the device; a malformed one, or another attribute, is the configuration\'s error', () => {
    expect(deviceMayRefuse('optimal_sectors', '4294967288')).toBe(true);
    expect(deviceMayRefuse('emulate_tpu', '1')).toBe(true);
    expect(deviceMayRefuse('unmap_zeroes_data', '4294967295')).toBe(false);
    expect(deviceMayRefuse('queue_depth', '-1')).toBe(false);
    expect(deviceMayRefuse('emulate_write_cache', '1')).toBe(false);
    expect(deviceMayRefuse('block_size', '512')).toBe(false);
    expect(deviceMayRefuse('constructor', '1')).toBe(false);
  });
  it('device-decided and kernel-decided attributes are apart', () => {
    expect(DEVICE_DECIDED.has('max_write_same_len')).toBe(true);
    for (const a of ['emulate_dpo', 'emulate_fua_read', 'emulate_write_cache', 'emulate_fua_write']) expect(DEVICE_DECIDED.has(a)).toBe(false);
  });
  it('the attribute of a storage-object attribute path', () => {
    expect(storageObjectAttributeOf('core/iblock_0/lun0/attrib/optimal_sectors')).toBe('optimal_sectors');
    expect(storageObjectAttributeOf('core/iblock_0/lun0/alua/default_tg_pt_gp/optimal_sectors')).toBeUndefined();
    expect(storageObjectAttributeOf('iscsi/iqn.x/tpgt_1/attrib/queue_depth')).toBeUndefined();
  });
});
