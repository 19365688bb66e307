/**
 * Reading lvs for the backup's snapshot: a snapshot's lv_size is its copy-on-write space, so the size of what
 * it holds is origin_size. The two-node lab found a backup of a 16 MiB LV that copied only its first 8 MiB
 * (the snapshot's lv_size) while every check of the destination against its own checksums passed.
 */
import { describe, expect, it } from 'vitest';
import { parseLvsSnapshotJson } from '../../lib/backup/lvm-snapshot.js';

// as lvm 2.03 prints `lvs --reportformat json --units b --nosuffix -o lv_name,lv_attr,lv_size,origin,origin_size,lv_tags`
const report = (rows: Record<string, string>[]) => JSON.stringify({ report: [{ lv: rows }] });
const snapshot = { lv_name: 'lun1-bksnap', lv_attr: 'sri-a-s---', lv_size: '8388608', origin: 'lun1', origin_size: '16777216', lv_tags: 'lioha-backup' };
const origin = { lv_name: 'lun1', lv_attr: 'owi-aos---', lv_size: '16777216', origin: '', origin_size: '', lv_tags: '' };

describe('parseLvsSnapshotJson', () => {
  it("takes a snapshot's size from origin_size, not from its copy-on-write lv_size", () => {
    expect(parseLvsSnapshotJson(report([snapshot]), 'lun1-bksnap')).toEqual({
      name: 'lun1-bksnap', attr: 'sri-a-s---', sizeBytes: 16777216n, origin: 'lun1', tags: ['lioha-backup'],
    });
  });

  it("takes an origin's size from lv_size", () => {
    expect(parseLvsSnapshotJson(report([origin]), 'lun1')?.sizeBytes).toBe(16777216n);
  });

  it('refuses a snapshot row without origin_size rather than guess its size', () => {
    const { origin_size: _, ...old } = snapshot;
    expect(() => parseLvsSnapshotJson(report([old]), 'lun1-bksnap')).toThrow(/origin_size/);
  });

  it('answers null for a name the report does not have', () => {
    expect(parseLvsSnapshotJson(report([origin]), 'lun2')).toBeNull();
  });
});
