import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { collect } from '../../lib/stats/collect.js';
import { Exposition } from '../../lib/stats/exposition.js';
import { toPrometheus } from '../../lib/stats/prometheus.js';
import { parseExposition } from './exposition-parser.js';
import { IQN, ini, logIn, makeNode, PROC_DRBD_84, setInitiatorMiB, setLoginStats, setLunMiB, writeFile, type Node } from './fixture.js';

let node: Node | undefined;
afterEach(() => node?.cleanup());

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).status === 0;

async function sample(): Promise<string> {
  node = await makeNode({ luns: 3, acls: 2 });
  setLunMiB(node, 1, 10, 20, 300);
  setInitiatorMiB(node, 0, 1, 4, 8, 50);
  logIn(node, 0);
  setLoginStats(node, { accepts: 3, authorize_fails: 1 });
  writeFile(node, '/proc/drbd', PROC_DRBD_84);
  writeFile(node, '/etc/drbd.d/r0.res', 'resource r0 {\n  device /dev/drbd0;\n  disk /dev/vg0/lv-drbd0;\n  meta-disk internal;\n}\n');
  writeFile(node, '/mnt/iscsi-target/vg1/ddmap/lv-lun0.state', 'DDMAP_ACTIVE\n');
  const snap = collect({ root: node.root });
  snap.groups = [{ group: 'g_tgt', node: 'node1' }, { group: 'g_other' }];
  return toPrometheus(snap, 0.0123);
}

describe('Prometheus exposition of a scrape', () => {
  it('is well-formed: one HELP/TYPE per family, counters end in _total, no duplicate series', async () => {
    const fams = parseExposition(await sample());
    for (const f of fams.values()) if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
    expect(fams.size).toBeGreaterThan(30);
  });

  it('carries the per-LUN and per-initiator counters in bytes, with their labels', async () => {
    const fams = parseExposition(await sample());
    const find = (name: string, l: Record<string, string>) => fams.get(name)?.samples.find((s) => Object.entries(l).every(([k, v]) => s.labels[k] === v))?.value;
    expect(find('lioha_lun_written_bytes_total', { target: IQN, tpg: '1', lun: '1', backstore: '/backstores/block/lun1', device: '/dev/vg1/lv-lun1' })).toBe(20 * 1048576);
    expect(find('lioha_lun_commands_total', { lun: '1' })).toBe(300);
    expect(find('lioha_initiator_lun_read_bytes_total', { initiator: ini(0), mapped_lun: '1', lun: '1' })).toBe(4 * 1048576);
    expect(find('lioha_iscsi_session_logged_in', { initiator: ini(0) })).toBe(1);
    expect(find('lioha_iscsi_session_logged_in', { initiator: ini(1) })).toBe(0);
    expect(find('lioha_iscsi_session_connections', { initiator: ini(0) })).toBe(1);
    expect(find('lioha_iscsi_login_failures_total', { reason: 'authorize' })).toBe(1);
    expect(find('lioha_iscsi_logins_total', { result: 'accepted' })).toBe(3);
    expect(find('lioha_drbd_network_sent_bytes_total', { minor: '0', resource: 'r0' })).toBe(145248 * 1024);
    expect(find('lioha_drbd_out_of_sync_bytes', { resource: 'r0' })).toBe(117184 * 1024);
    expect(find('lioha_drbd_resync_done_ratio', { resource: 'r0' })).toBeCloseTo(0.556);
    expect(find('lioha_drbd_resync_eta_seconds', { resource: 'r0' })).toBe(5);
    expect(find('lioha_drbd_state_info', { role: 'Primary', peer_disk: 'Inconsistent', connection: 'SyncSource' })).toBe(1);
    expect(find('lioha_ddmap_state', { vg: 'vg1', lv: 'lv-lun0', state: 'ACTIVE' })).toBe(1);
    expect(find('lioha_ddmap_state', { vg: 'vg1', lv: 'lv-lun0', state: 'DIRTY' })).toBe(0);
    expect(fams.get('lioha_group_node')?.samples).toEqual([{ name: 'lioha_group_node', labels: { group: 'g_tgt', node: 'node1' }, value: 1 }]);
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics (promtool from scripts/setup.sh)', async () => {
    const text = await sample();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('escapes label values and refuses non-conventional names', () => {
    const e = new Exposition().family('x_total', 'counter', 'h').sample('x_total', { a: 'q"\\\nz' }, 1);
    expect(e.text()).toContain('x_total{a="q\\"\\\\\\nz"} 1');
    expect(parseExposition(e.text()).get('x_total')!.samples[0]!.labels.a).toBe('q"\\\nz');
    expect(() => new Exposition().family('bytes_read', 'counter', 'h')).toThrow(/_total/);
  });

  it('the test parser rejects what promtool rejects', () => {
    expect(() => parseExposition('# HELP a h\n# TYPE a counter\na 1\n')).toThrow(/_total/);
    expect(() => parseExposition('# HELP a h\n# TYPE a gauge\na 1\na 2\n')).toThrow(/duplicate/);
    expect(() => parseExposition('# HELP a h\n# TYPE a gauge\na{x="1} 1\n')).toThrow();
    expect(() => parseExposition('# TYPE a gauge\na 1\n')).toThrow(/HELP/);
  });
});
