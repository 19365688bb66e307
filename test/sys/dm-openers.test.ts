import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Root } from '../../lib/sys/root.js';
import { drbdMinorsBelow, listDmDevices, vgDmDevices } from '../../lib/sys/dm.js';
import { deviceOpeners, processOpeners } from '../../lib/sys/openers.js';

let base: string;
let root: Root;
const w = (p: string, s: string) => { mkdirSync(join(base, p, '..'), { recursive: true }); writeFileSync(join(base, p), s); };
const dm = (n: number, name: string, uuid: string, slaves: string[] = [], holders: string[] = []) => {
  w(`sys/block/dm-${n}/dm/name`, `${name}\n`);
  w(`sys/block/dm-${n}/dm/uuid`, `${uuid}\n`);
  w(`sys/block/dm-${n}/dm/suspended`, '0\n');
  mkdirSync(join(base, `sys/block/dm-${n}/slaves`), { recursive: true });
  mkdirSync(join(base, `sys/block/dm-${n}/holders`), { recursive: true });
  for (const s of slaves) w(`sys/block/dm-${n}/slaves/${s}`, '');
  for (const h of holders) w(`sys/block/dm-${n}/holders/${h}`, '');
};

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'dm-'));
  root = new Root(base);
  dm(0, 'vg0-lv--drbd0', 'LVM-aaaa', ['sda2'], []);
  dm(1, 'vg1-lv--lun0', 'LVM-bbbbcccc', ['drbd0'], ['dm-3']);
  dm(2, 'vg1-lv_iscsi_target', 'LVM-bbbbdddd', ['drbd0', 'drbd10']);
  dm(3, 'mpatha', 'mpath-3600', ['dm-1']);
  dm(10, 'vg10-x', 'LVM-eeee', ['drbd1']);
  w('sys/block/sda/size', '1\n');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('dm devices from sysfs', () => {
  it('lists LVM devices by VG and the DRBD minors below them', async () => {
    const all = await listDmDevices(root);
    expect(all.map((d) => d.kernel)).toEqual(['dm-0', 'dm-1', 'dm-2', 'dm-3', 'dm-10']);
    expect(all.find((d) => d.kernel === 'dm-3')!.vg).toBeUndefined(); // multipath, not LVM
    const vg1 = await vgDmDevices(root, 'vg1');
    expect(vg1.map((d) => d.lv)).toEqual(['lv-lun0', 'lv_iscsi_target']);
    expect(vg1[0]!.holders).toEqual(['dm-3']);
    expect(drbdMinorsBelow(vg1)).toEqual([0, 10]);
    expect(await vgDmDevices(root, 'vg')).toEqual([]);
  });
});

describe('openers', () => {
  it('finds holders, mounts, swap and LIO backstores by any alias, including symlinks', async () => {
    w('proc/self/mounts', '/dev/mapper/vg1-lv--lun0 /mnt/x ext4 rw 0 0\n');
    w('proc/swaps', 'Filename Type Size Used Priority\n/dev/dm-1 partition 1 0 -2\n');
    w('sys/kernel/config/target/core/iblock_1/lun0/udev_path', '/dev/disk/by-id/dm-name-vg1-lv--lun0\n');
    w('sys/kernel/config/target/core/iblock_1/lun0/enable', '1\n');
    w('sys/kernel/config/target/core/iblock_2/lun9/udev_path', '/dev/vg1/lv-lun0\n');
    w('sys/kernel/config/target/core/iblock_2/lun9/enable', '0\n'); // configured but not enabled: not a holder
    w('dev/dm-1', '');
    mkdirSync(join(base, 'dev/disk/by-id'), { recursive: true });
    symlinkSync('../../dm-1', join(base, 'dev/disk/by-id/dm-name-vg1-lv--lun0'));
    const o = await deviceOpeners(root, 'dm-1', ['/dev/vg1/lv-lun0', '/dev/mapper/vg1-lv--lun0', '/dev/dm-1'], (k) => `${k} (mpatha)`);
    expect(o.map((x) => x.what)).toEqual([
      'device dm-3 (mpatha) stacked on it',
      'mounted on /mnt/x',
      'used as swap',
      'LIO backstore iblock_1/lun0 (/dev/disk/by-id/dm-name-vg1-lv--lun0)',
    ]);
    expect(await deviceOpeners(root, 'dm-2', ['/dev/vg1/lv_iscsi_target'])).toEqual([]);
  });

  it('finds processes by cwd, open file or mapping under a directory, and by device path', async () => {
    w('proc/10/comm', 'bash\n');
    mkdirSync(join(base, 'proc/10/fd'), { recursive: true });
    symlinkSync('/root', join(base, 'proc/10/cwd'));
    symlinkSync('/mnt/iscsi-target/vg1/saveconfig.json (deleted)', join(base, 'proc/10/fd/3'));
    w('proc/11/comm', 'python3\n');
    w('proc/11/maps', '7f00-7f01 r--p 00000000 fd:02 12 /mnt/iscsi-target/vg1/lib.so\n');
    w('proc/12/comm', 'dd\n');
    mkdirSync(join(base, 'proc/12/fd'), { recursive: true });
    symlinkSync('/dev/dm-1', join(base, 'proc/12/fd/0'));
    w('proc/13/comm', 'other\n');
    symlinkSync('/mnt/iscsi-target/vg10', join(base, 'proc/13/cwd'));
    const under = await processOpeners(root, { under: '/mnt/iscsi-target/vg1' });
    expect(under.map((x) => x.what)).toEqual([
      'pid 10 (bash) open file /mnt/iscsi-target/vg1/saveconfig.json (deleted)',
      'pid 11 (python3) mapped /mnt/iscsi-target/vg1/lib.so',
    ]);
    const dev = await processOpeners(root, { paths: ['/dev/dm-1'] });
    expect(dev.map((x) => x.pid)).toEqual([12]);
  });
});
