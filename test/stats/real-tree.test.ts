import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLio } from '../../lib/stats/lio.js';
import { openTreeReader } from '../../lib/stats/tree-reader.js';
import { statisticsFiles } from '../../lib/stats/walk.js';
import { toPrometheus } from '../../lib/stats/prometheus.js';
import { parseExposition } from './exposition-parser.js';

/**
 * The configfs tree recorded from a real 6.1 kernel (targetcli: 4 block LUNs x 4 ACLs, a second target on a
 * ramdisk with generate_node_acls=1), laid out as plain files and the kernel's relative links: the readers
 * must understand the kernel's names, link texts and empty (unreadable) session statistics.
 */
const TREE = join(process.cwd(), 'test/fixtures/target/configfs-tree-6.1.txt');
const root = mkdtempSync(join(tmpdir(), 'lioha-realtree-'));
const base = join(root, 'sys/kernel/config/target');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function materialize(): void {
  mkdirSync(base, { recursive: true });
  for (const line of readFileSync(TREE, 'utf8').split('\n')) {
    let m = /^D \.\/?(.*)$/.exec(line);
    if (m) { mkdirSync(join(base, m[1]!), { recursive: true }); continue; }
    m = /^L \.\/(.*?) -> (.*)$/.exec(line);
    if (m) { symlinkSync(m[2]!, join(base, m[1]!)); continue; }
    m = /^F \d+ \.\/(.*?) = (.*)$/.exec(line);
    if (m) writeFileSync(join(base, m[1]!), m[2]!.replace(/\|/g, '\n'));
  }
}
materialize();

describe('readers on the recorded real 6.1 tree', () => {
  const s = readLio(openTreeReader(base), { backstores: true });
  const t1 = s.targets.find((t) => t.wwn === 'iqn.2016-09.com.example:iscsitgt01')!;

  it('finds both targets, their LUNs with backing devices, ACLs and mapped LUNs', () => {
    expect(s.targets.map((t) => t.wwn)).toEqual(['iqn.2016-09.com.example:iscsitgt01', 'iqn.2016-09.com.example:other']);
    const tpg = t1.tpgs[0]!;
    expect(tpg.enabled).toBe(true);
    expect(tpg.luns.map((l) => [l.index, l.backstore, l.device])).toEqual([0, 1, 2, 3].map((i) => [i, `/backstores/block/lun${i}`, `/dev/vg1/lv-lun${i}`]));
    expect(tpg.acls.map((a) => a.initiator)).toEqual(['initiator01', 'initiator02', 'initiator03', 'initiator04'].map((i) => `iqn.2016-09.com.example:${i}`));
    // mapped LUN -> TPG LUN through the device index (scsi_auth_intr/dev = scsi_tgt_port/dev on a real kernel)
    for (const a of tpg.acls) expect(a.mappedLuns.map((m) => [m.index, m.tpgLun])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3]]);
    const other = s.targets[1]!.tpgs[0]!;
    expect(other.generateNodeAcls).toBe(true);
    expect(other.luns[0]!.backstore).toBe('/backstores/ramdisk/rd0');
    expect(s.backstores.map((b) => b.backstore)).toContain('/backstores/fileio/file0');
  });

  it('reads no session and no session counters where the kernel shows none', () => {
    for (const a of t1.tpgs[0]!.acls) {
      expect(a.session).toBeUndefined();
      expect(a.sessionCounters).toEqual({});
    }
    expect(t1.fabric).toMatchObject({ loginAccepts: 0, loginFailures: { authenticate: 0, authorize: 0, negotiate: 0, other: 0 }, sessions: 0 });
  });

  it('exports well-formed metrics and walks the statistics subtrees the seed logged', () => {
    const fams = parseExposition(toPrometheus({ lio: s, drbd: { loaded: false, devices: [] }, ddmap: [] }));
    expect(fams.get('lioha_initiator_lun_read_bytes_total')!.samples).toHaveLength(16);
    const files = statisticsFiles(openTreeReader(base));
    expect(files.filter((f) => f.includes('/scsi_auth_intr/'))).toHaveLength(16 * 14);
    expect(files.every((f) => /(^|\/)(fabric_)?statistics\//.test(f))).toBe(true);
  });
});
