import { describe, expect, it } from 'vitest';
import { selectDesired } from '../../lib/configfs/desired.js';
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
