/**
 * `lioha cluster check` (and pcs/crm generation) compare the groups' saveconfig files: clashes
 * that would fail a target start only when a failover brings two groups onto one node.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterCli as cli } from './run-cli.js';

type Json = any;
const fixture = (name: string): Json => JSON.parse(readFileSync(`test/fixtures/cluster-clash/${name}.json`, 'utf8'));

let dir: string;
let stderr: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lioha-clash-'));
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Two active/active groups, g1 on vg1 (192.0.2.10) and g2 on vg2 (192.0.2.11), each with its own saveconfig. */
function description(g1Config: string, g2Config: string, change?: (d: Json) => void): string {
  const d: Json = {
    cluster: 'clash',
    nodes: [{ name: 'nodeA', addresses: [] }, { name: 'nodeB', addresses: [] }],
    options: { stonith: false },
    drbd: [{ name: 'r0' }, { name: 'r1' }],
    volumeGroups: [
      {
        vg: 'vg1', drbd: 'r0', group: 'g1', preferredNode: 'nodeA',
        targets: [{ iqn: 'iqn.2016-09.com.example:tgt1', config: g1Config }],
        portals: [{ ip: '192.0.2.10', cidrNetmask: 24 }],
        params: { vg: { metadata_lv: 'meta' } },
      },
      {
        vg: 'vg2', drbd: 'r1', group: 'g2', preferredNode: 'nodeB',
        targets: [{ iqn: 'iqn.2016-09.com.example:tgt2', config: g2Config }],
        portals: [{ ip: '192.0.2.11', cidrNetmask: 24 }],
      },
    ],
  };
  change?.(d);
  const file = join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify(d));
  return file;
}

/** The two fixtures, each changed as a test needs, written to the test's directory; the description names them. */
function clusterWith(change1?: (c: Json) => void, change2?: (c: Json) => void, changeDescription?: (d: Json) => void) {
  const g1 = fixture('g1');
  const g2 = fixture('g2');
  change1?.(g1);
  change2?.(g2);
  const f1 = join(dir, 'g1.json');
  const f2 = join(dir, 'g2.json');
  writeFileSync(f1, JSON.stringify(g1));
  writeFileSync(f2, JSON.stringify(g2));
  return { file: description(f1, f2, changeDescription), f1, f2 };
}

const tpg = (c: Json) => c.targets[0].tpgs[0];
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('lioha cluster check across groups', () => {
  it('passes distinct configurations and says nothing was left unchecked', async () => {
    const { file } = clusterWith();
    const out = await cli(['cluster', 'check', file]);
    expect(out).toContain(`${file} is valid`);
    expect(out).not.toContain('not checked');
  });

  it("passes the lab's active/active description with the lab's own saveconfig files", async () => {
    const d = JSON.parse(readFileSync('test/lab/cluster/lab-aa.json', 'utf8'));
    d.volumeGroups[0].targets[0].config = resolve('test/lab/cluster/saveconfig.json');
    d.volumeGroups[1].targets[0].config = resolve('test/lab/cluster/saveconfig-tgt2.json');
    const file = join(dir, 'lab-aa.json');
    writeFileSync(file, JSON.stringify(d));
    const out = await cli(['cluster', 'check', file]);
    expect(out).toContain(`${file} is valid`);
    expect(out).not.toContain('was not checked');
  });

  it('refuses the same backstore serial (NAA id) in two groups, naming both groups, files and objects', async () => {
    const { file, f1, f2 } = clusterWith(undefined, (c) => { c.storage_objects[0].wwn = fixture('g1').storage_objects[0].wwn; });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      new RegExp(`^${esc(file)} is not valid: 1 problem in the groups' target configurations:\n {2}same NAA id for /backstores/block/lun0 of group g1 \\(${esc(f1)}\\) and /backstores/block/vg2lun0 of group g2 \\(${esc(f2)}\\)`),
    );
  });

  it('refuses serials that differ only past the 25 hex digits LIO puts in the NAA id', async () => {
    const { file } = clusterWith(
      (c) => { c.storage_objects[0].wwn = '11111111-2222-3333-4444-555555555555'; },
      (c) => { c.storage_objects[0].wwn = '11111111-2222-3333-4444-5555555559aa'; },
    );
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(/same NAA id for \/backstores\/block\/lun0 of group g1 .* and \/backstores\/block\/vg2lun0 of group g2 .*: 6001405111111112222333344445/);
  });

  it('refuses derived serials only when they clash: one backstore name in two groups', async () => {
    // derive_wwn: serials come from the backstore name, so the same name gives the same NAA id too.
    const noWwn = (c: Json) => { delete c.storage_objects[0].wwn; };
    const derive = (d: Json) => { for (const v of d.volumeGroups) v.params = { ...v.params, target: { derive_wwn: 'true' } }; };
    const distinct = clusterWith(noWwn, noWwn, derive);
    expect(await cli(['cluster', 'check', distinct.file])).toContain('is valid');
    const same = clusterWith(noWwn, (c) => { noWwn(c); c.storage_objects[0].name = 'lun0'; tpg(c).luns[0].storage_object = '/backstores/block/lun0'; }, derive);
    // One problem: the shared backstore, not also its (necessarily equal) NAA id.
    await expect(cli(['cluster', 'check', same.file])).rejects.toThrow(/1 problem in the groups' target configurations:\n {2}backstore \/backstores\/block\/lun0 is in two groups, group g1 \(.*g1\.json\) and group g2 \(.*g2\.json\): on one node both would use one kernel object/);
  });

  it('refuses the same backstore name in two groups', async () => {
    const { file, f1, f2 } = clusterWith(undefined, (c) => {
      c.storage_objects[0].name = 'lun0';
      tpg(c).luns[0].storage_object = '/backstores/block/lun0';
    });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      `backstore /backstores/block/lun0 is in two groups, group g1 (${f1}) and group g2 (${f2})`,
    );
  });

  it('refuses one backing device under two groups', async () => {
    const { file, f1, f2 } = clusterWith(undefined, (c) => { c.storage_objects[0].dev = '/dev/vg1/lun0'; });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      `device /dev/vg1/lun0 is the backstore of two groups: /backstores/block/lun0 of group g1 (${f1}) and /backstores/block/vg2lun0 of group g2 (${f2})`,
    );
  });

  it('refuses one target IQN in two groups', async () => {
    const { file } = clusterWith(undefined, undefined, (d) => { d.volumeGroups[1].targets[0].iqn = 'iqn.2016-09.com.example:tgt1'; });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      'volumeGroups[1].targets[0]: target iqn.2016-09.com.example:tgt1 is also used by volumeGroups[0].targets[0]: groups g1 and g2 cannot both own it',
    );
  });

  it('refuses a wildcard portal in one group beside a specific portal on the same port in another', async () => {
    const { file, f1, f2 } = clusterWith((c) => { tpg(c).portals[0].ip_address = '0.0.0.0'; });
    // Once: g2's portal resource adds no np of its own where g2's target lists the address.
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      `is not valid: 1 problem in the groups' target configurations:\n  ` +
        `network portals 0.0.0.0:3260 and 192.0.2.11:3260 exclude each other on one node (a wildcard and a specific address on port 3260): ` +
        `0.0.0.0:3260 of iqn.2016-09.com.example:tgt1 (group g1, ${f1}); 192.0.2.11:3260 of iqn.2016-09.com.example:tgt2 (group g2, ${f2})`,
    );
  });

  it("refuses a wildcard portal beside another group's service address, which its portal resource binds", async () => {
    const { file } = clusterWith((c) => { tpg(c).portals[0].ip_address = '0.0.0.0'; }, (c) => { tpg(c).portals = []; });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(
      /network portals 0\.0\.0\.0:3260 and 192\.0\.2\.11:3260 exclude each other on one node .*: 0\.0\.0\.0:3260 of .*tgt1 \(group g1, .*\); 192\.0\.2\.11:3260, the service address of group g2 \(its portal resource's np\)/,
    );
  });

  it('passes wildcards in both groups, and a wildcard beside a specific address on another port', async () => {
    const wildcard = (c: Json) => { tpg(c).portals[0].ip_address = '0.0.0.0'; };
    expect(await cli(['cluster', 'check', clusterWith(wildcard, wildcard).file])).toContain('is valid');
    const otherPort = clusterWith(wildcard, (c) => { tpg(c).portals[0].port = 3261; }, (d) => { d.volumeGroups[1].portals[0].port = 3261; });
    expect(await cli(['cluster', 'check', otherPort.file])).toContain('is valid');
  });

  it("refuses a wildcard portal beside the discovery portal's address (lioha-portald binds it)", async () => {
    const { file } = clusterWith(
      (c) => { tpg(c).portals[0].ip_address = '0.0.0.0'; },
      (c) => { tpg(c).portals[0].ip_address = '0.0.0.0'; },
      (d) => { d.discovery = { ip: '192.0.2.20', cidrNetmask: 24, config: '/etc/lioha/portald.json' }; },
    );
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(/192\.0\.2\.20:3260, where lioha-portald of group g_discovery listens/);
  });

  it('passes two groups sharing one file, and ignores what a group does not own', async () => {
    // One saveconfig.json with both targets (targetcli's usual layout), plus a stale copy of tgt1 in g2's own file.
    const both = fixture('g1');
    both.storage_objects.push(...fixture('g2').storage_objects);
    both.targets.push(...fixture('g2').targets);
    const shared = join(dir, 'both.json');
    writeFileSync(shared, JSON.stringify(both));
    expect(await cli(['cluster', 'check', description(shared, shared)])).toContain('is valid');
    const { file } = clusterWith(undefined, (c) => {
      const stale = fixture('g1');
      tpg(stale).portals[0].ip_address = '0.0.0.0';
      c.storage_objects.push(...stale.storage_objects);
      c.targets.push(...stale.targets);
    });
    expect(await cli(['cluster', 'check', file])).toContain('is valid');
  });

  it('reads a configuration directory as the target agent does', async () => {
    const sub = join(dir, 'g2.d');
    mkdirSync(sub);
    const g2 = fixture('g2');
    const clashing = [{ ...g2.storage_objects[0], wwn: fixture('g1').storage_objects[0].wwn }];
    writeFileSync(join(sub, 'a.json'), JSON.stringify({ ...g2, storage_objects: clashing, targets: [] }));
    writeFileSync(join(sub, 'b.json'), JSON.stringify(g2));
    const g1 = join(dir, 'g1.json');
    writeFileSync(g1, readFileSync('test/fixtures/cluster-clash/g1.json'));
    // The directory's two copies of vg2lun0 differ: the agent refuses that object on every node, so it cannot clash.
    await expect(cli(['cluster', 'check', description(g1, sub)])).resolves.toContain('is valid');
    writeFileSync(join(sub, 'b.json'), JSON.stringify({ ...g2, storage_objects: clashing }));
    await expect(cli(['cluster', 'check', description(g1, sub)])).rejects.toThrow(`same NAA id for /backstores/block/lun0 of group g1 (${g1}) and /backstores/block/vg2lun0 of group g2 (${sub})`);
  });

  it('refuses an IPv6 wildcard beside an IPv4 address on the same port ([::] is dual-stack)', async () => {
    const { file } = clusterWith(undefined, (c) => { tpg(c).portals[0].ip_address = '[::]'; });
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(/network portals 192\.0\.2\.10:3260 and \[::\]:3260 exclude each other on one node/);
  });

  it('reads nothing for a single group without a discovery address: there is nothing to compare', async () => {
    const { file, f1 } = clusterWith(undefined, undefined, (d) => { d.volumeGroups.pop(); d.drbd.pop(); });
    rmSync(f1);
    const out = await cli(['cluster', 'check', file]);
    expect(out).toContain(`${file} is valid`);
    expect(out).not.toContain('not checked');
    // with the discovery address there is: the group's file is read (and, missing here, noted)
    const { file: withDiscovery, f1: g1 } = clusterWith(undefined, undefined, (d) => {
      d.volumeGroups.pop(); d.drbd.pop();
      d.discovery = { ip: '192.0.2.20', cidrNetmask: 24, config: '/etc/lioha/portald.json' };
    });
    rmSync(g1);
    expect(await cli(['cluster', 'check', withDiscovery])).toContain(`note: ${g1} (group g1) was not checked against the other groups`);
  });

  it('notes an unreadable configuration and checks the rest', async () => {
    const { file, f2 } = clusterWith();
    rmSync(f2);
    const out = await cli(['cluster', 'check', file]);
    expect(out).toContain(`${file} is valid`);
    expect(out).toContain(`note: ${f2} (group g2) was not checked against the other groups: it does not exist on this machine\n`);
  });

  it("says why a configuration on a group's metadata filesystem is missing here", async () => {
    const g2 = join(dir, 'g2.json');
    writeFileSync(g2, readFileSync('test/fixtures/cluster-clash/g2.json'));
    const file = description('/mnt/iscsi-target/vg1/target/saveconfig.json', g2);
    const out = await cli(['cluster', 'check', file]);
    expect(out.split('\n').filter((l) => l.startsWith('note: /mnt/'))).toEqual([
      'note: /mnt/iscsi-target/vg1/target/saveconfig.json (group g1) was not checked against the other groups: it is on the metadata filesystem of vg1, which is mounted only where group g1 runs',
    ]);
  });

  it('notes a target its configuration does not hold', async () => {
    const { file, f2 } = clusterWith(undefined, (c) => { c.targets[0].wwn = 'iqn.2016-09.com.example:other'; });
    const out = await cli(['cluster', 'check', file]);
    expect(out).toContain(`note: target iqn.2016-09.com.example:tgt2 of group g2 was not checked: ${f2}: not in the file\n`);
    // A malformed target is refused by the agent on every node: noted with its first problem, its objects unchecked.
    const broken = clusterWith((c) => { tpg(c).portals[0].ip_address = '0.0.0.0'; }, (c) => { tpg(c).tag = 0; });
    const out2 = await cli(['cluster', 'check', broken.file]);
    expect(out2).toMatch(/note: target iqn\.2016-09\.com\.example:tgt2 of group g2 was not checked: .*tag.*must be an integer in 1\.\.65535\n/);
    expect(out2).toContain('is valid');
  });

  it('refuses a configuration that is not a saveconfig', async () => {
    const { file, f2 } = clusterWith();
    writeFileSync(f2, '{ not json');
    await expect(cli(['cluster', 'check', file])).rejects.toThrow(`${f2} (group g2) is not a usable configuration: ${f2}: not valid JSON`);
  });
});

describe('lioha cluster pcs|crm across groups', () => {
  it('refuses to generate on a clash and writes nothing', async () => {
    const { file } = clusterWith(undefined, (c) => { c.storage_objects[0].wwn = fixture('g1').storage_objects[0].wwn; });
    const script = join(dir, 'cluster.sh');
    for (const kind of ['pcs', 'crm']) {
      await expect(cli(['cluster', kind, '-o', script, file])).rejects.toThrow(
        new RegExp(`^refusing to generate from ${esc(file)}: 1 problem in the groups' target configurations:\n {2}same NAA id for`),
      );
      expect(existsSync(script)).toBe(false);
    }
  });

  it('generates from distinct configurations, and notes an unreadable one on stderr', async () => {
    const { file, f1 } = clusterWith();
    rmSync(f1);
    const out = await cli(['cluster', 'pcs', file]);
    expect(out).toContain('pcs -f');
    expect(stderr).toContain(`lioha: note: ${f1} (group g1) was not checked against the other groups: it does not exist on this machine\n`);
  });
});
