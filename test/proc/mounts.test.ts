import { describe, expect, it } from 'vitest';
import { hasOptions, mountAt, mountsUnder, parseMounts } from '../../lib/proc/mounts.js';

const SAMPLE = [
  'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
  '/dev/sda2 / ext4 rw,relatime,errors=remount-ro 0 0',
  '/dev/mapper/vg1-lv_iscsi_target /mnt/iscsi-target/vg1 ext4 rw,noatime 0 0',
  '/dev/mapper/vg1-lv_iscsi_target /mnt/with\\040space ext4 ro,relatime 0 0',
  'tmpfs /mnt/iscsi-target/vg1/sub tmpfs rw 0 0',
  '/dev/sdb1 /mnt/iscsi-target/vg10 xfs rw 0 0',
  '',
].join('\n');

describe('mounts', () => {
  const m = parseMounts(SAMPLE);
  it('parses and unescapes', () => {
    expect(m).toHaveLength(6);
    expect(m[3]).toEqual({ device: '/dev/mapper/vg1-lv_iscsi_target', mountPoint: '/mnt/with space', fstype: 'ext4', options: ['ro', 'relatime'] });
  });
  it('finds the mount on a point, trailing slash or not', () => {
    expect(mountAt(m, '/mnt/iscsi-target/vg1/')?.fstype).toBe('ext4');
    expect(mountAt(m, '/mnt/iscsi-target')).toBeUndefined();
  });
  it('lists nested mounts but not siblings with a common prefix', () => {
    expect(mountsUnder(m, '/mnt/iscsi-target/vg1').map((x) => x.mountPoint)).toEqual(['/mnt/iscsi-target/vg1', '/mnt/iscsi-target/vg1/sub']);
  });
  it('checks requested options, ignoring defaults', () => {
    expect(hasOptions(m[2]!, 'noatime')).toBe(true);
    expect(hasOptions(m[2]!, 'defaults')).toBe(true);
    expect(hasOptions(m[2]!, 'noatime,ro')).toBe(false);
  });
});
