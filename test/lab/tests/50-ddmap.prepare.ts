// Host-side preparation for 50-ddmap (run by boot.sh before the VM boots): the fixture IET change-map
// source (/proc/net/iet/{volume,ddmap/*}) the guest's ddmap agent reads, since the stock kernel has no IET.
import { buildIetProc, type FixtureTarget } from '../../ddmap/iet-fixture.js';

const out = process.argv[2];
if (!out) throw new Error('usage: 50-ddmap.prepare.ts <dir>');
const MiB = 2 ** 20;
const targets: FixtureTarget[] = [
  { tid: 1, name: 'iqn.2016-09.com.example:havg.lun0', luns: [{ lun: 0, vg: 'havg', lv: 'lun0', sizeBytes: 8 * MiB, writes: [[0, 16384], [MiB, 4096], [5 * MiB, 65536]] }] },
  { tid: 2, name: 'iqn.2016-09.com.example:havg.lun1', luns: [{ lun: 0, vg: 'havg', lv: 'lun1', sizeBytes: 8 * MiB, writes: [[7 * MiB, MiB]] }] },
];
await buildIetProc(out, targets);
