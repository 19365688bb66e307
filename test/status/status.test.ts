import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupNode, leftoverBans, parseCrmMon } from '../../lib/status/crm-mon.js';
import { buildReport, vgLvOf } from '../../lib/status/report.js';
import { readCluster } from '../../lib/status/cluster-source.js';
import { renderStatus } from '../../lib/status/render.js';
import { collect } from '../../lib/stats/collect.js';
import { parseProcNetTcp } from '../../lib/proc/net-tcp.js';
import { IQN, ini, logIn, makeNode, PROC_DRBD_84, PROC_NET_TCP_LISTEN_3260, writeFile, type Node } from '../stats/fixture.js';

const FIX = join(process.cwd(), 'test/fixtures/status');
const healthyXml = readFileSync(join(FIX, 'crm_mon-healthy.xml'), 'utf8');
/** Recorded from Pacemaker 2.1.5 (crm_simulate + crm_mon --output-as=xml --include=all): failed monitor, cli-ban left over. */
const failedXml = readFileSync(join(FIX, 'crm_mon-failed-ban.xml'), 'utf8');
const DRBD_OK = 'version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:10 nr:0 dw:10 dr:100 al:1 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n';

let node: Node | undefined;
afterEach(() => node?.cleanup());

async function healthyNode(): Promise<Node> {
  const n = await makeNode({ luns: 2, acls: 2 });
  logIn(n, 1, ['127.0.0.1']);
  writeFile(n, '/proc/drbd', DRBD_OK);
  writeFile(n, '/etc/drbd.d/r0.res', 'resource r0 { device /dev/drbd0; }\n');
  writeFile(n, '/proc/net/tcp', PROC_NET_TCP_LISTEN_3260);
  writeFile(n, '/mnt/iscsi-target/vg1/ddmap/lv-lun0.state', 'DDMAP_ACTIVE\n');
  return n;
}
function report(n: Node, xml: string | undefined, nodeName = 'node1') {
  const snap = collect({ root: n.root, backstores: false });
  const tcp = existsSync(join(n.root, 'proc/net/tcp')) ? parseProcNetTcp(readFileSync(join(n.root, 'proc/net/tcp'), 'utf8'), 4) : [];
  return buildReport({ node: nodeName, ...(xml ? { cluster: parseCrmMon(xml) } : { clusterError: 'crm_mon exited with 102: Not connected' }), lio: snap.lio, drbd: snap.drbd, ddmap: snap.ddmap, sockets: tcp });
}

describe('crm_mon XML', () => {
  it('reads groups, failures, fail counts and the leftover cli-ban from Pacemaker 2.1 output', () => {
    const c = parseCrmMon(failedXml);
    expect(c.nodes.map((n) => [n.name, n.online])).toEqual([['node1', true], ['node2', true]]);
    expect(c.groups[0]!.members.map((m) => [m.id, m.role])).toEqual([['p_vg', 'Stopped'], ['p_target', 'Started'], ['p_portal', 'Stopped']]);
    expect(c.failures).toEqual([expect.objectContaining({ resource: 'p_target', operation: 'monitor', node: 'node1', exitCode: 7, interval: 10000 })]);
    expect(c.failCounts).toEqual([{ node: 'node1', resource: 'p_target', count: 1 }]);
    expect(leftoverBans(c)).toEqual([{ id: 'cli-ban-g_tgt-on-node2', resource: 'g_tgt', node: 'node2', weight: -1000000 }]);
    expect(groupNode(parseCrmMon(healthyXml).groups[0]!)).toBe('node1');
    expect(() => parseCrmMon('<html></html>')).toThrow(/not crm_mon/);
  });
});

describe('status verdict', () => {
  it('OK on a healthy active node: group here, DRBD UpToDate/Connected, portal listening, sessions shown', async () => {
    node = await healthyNode();
    const r = report(node, healthyXml);
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('OK');
    const text = renderStatus(r);
    expect(text.split('\n')[0]).toBe('OK: g_tgt on node1; DRBD r0 Primary/UpToDate; 1 session(s) here');
    expect(text).toContain('portal 127.0.0.1:3260 listening');
    expect(text).toContain(`acl ${ini(1)}: logged in, 1 connection(s) from 127.0.0.1, 2 mapped LUN(s)`);
    expect(text).toContain(`acl ${ini(0)}: no session`);
    expect(text).toContain('lun_0: /backstores/block/lun0 (/dev/vg1/lv-lun0) ddmap ACTIVE');
  });

  it('DEGRADED for a leftover cli-ban and a failed action, naming the fix', async () => {
    node = await healthyNode();
    const xml = healthyXml.replace('<status code', '<failures>\n    <failure op_key="p_target_monitor_10000" node="node1" exitstatus="not running" exitreason="" exitcode="7" call="2" status="complete" last-rc-change="x" queued="0" exec="0" interval="10000" task="monitor"/>\n  </failures>\n  <bans>\n    <ban id="cli-ban-g_tgt-on-node2" resource="g_tgt" node="node2" weight="-1000000" promoted-only="false" master_only="false"/>\n  </bans>\n  <status code');
    const r = report(node, xml);
    expect(r.verdict).toBe('DEGRADED');
    expect(r.reason).toMatch(/^leftover cli-ban-g_tgt-on-node2 keeps g_tgt off node2 and blocks failover there; run pcs resource clear g_tgt/);
    expect(r.findings.map((f) => f.text)).toContainEqual(expect.stringMatching(/1 failed action.*pcs resource cleanup g_tgt/));
  });

  it('DEGRADED while DRBD resyncs, with progress and ETA', async () => {
    node = await healthyNode();
    writeFile(node, '/proc/drbd', PROC_DRBD_84);
    const r = report(node, healthyXml);
    expect(r.verdict).toBe('DEGRADED');
    expect(renderStatus(r)).toContain('drbd r0 (minor 0): Primary/Secondary UpToDate/Inconsistent SyncSource, out of sync 114.4 MiB; sync 55.6%, 114.4 MiB left, ETA 0:00:05 at 21.9 MiB/s');
  });

  it('FAILED when the group is down, a portal does not listen, or Pacemaker does not answer', async () => {
    node = await healthyNode();
    let r = report(node, failedXml);
    expect(r.verdict).toBe('FAILED');
    expect(r.reason).toMatch(/^group g_tgt on node1: p_vg, p_portal stopped \(\+\d+ more\)$/);
    writeFile(node, '/proc/net/tcp', '  sl  local_address rem_address   st\n');
    r = report(node, healthyXml);
    expect(r.findings).toEqual([{ level: 'FAILED', text: `target ${IQN} portal 127.0.0.1:3260 is not listening` }]);
    r = report(node, undefined);
    expect(r.verdict).toBe('FAILED');
    expect(r.reason).toMatch(/^Pacemaker not answering: crm_mon exited with 102/);
  });

  it('maps LV device paths to VG/LV for the ddmap state', () => {
    expect(vgLvOf('/dev/vg1/lv-lun0')).toEqual({ vg: 'vg1', lv: 'lv-lun0' });
    expect(vgLvOf('/dev/mapper/vg1-lv--lun0')).toEqual({ vg: 'vg1', lv: 'lv-lun0' });
    expect(vgLvOf('/dev/sdb')).toBeUndefined();
    // ddmap backend=era: the backstore is the LV's era device
    expect(vgLvOf('/dev/mapper/era-vg--a-lun--1')).toEqual({ vg: 'vg-a', lv: 'lun-1' });
    expect(vgLvOf('/dev/mapper/era-vg1')).toEqual({ vg: 'era', lv: 'vg1' });
  });
});

const cli = join(process.cwd(), 'dist/bin/lioha');
describe.skipIf(!existsSync(cli))('lioha status (built CLI)', () => {
  it('first line is the verdict and the exit code matches (0 OK, 1 DEGRADED, 2 FAILED); --json for scripts', async () => {
    node = await healthyNode();
    const run = (xml: string, ...extra: string[]) =>
      spawnSync(cli, ['status', '--node', 'node1', '--crm-mon-xml', join(FIX, xml), ...extra], { env: { PATH: process.env.PATH ?? '', LIOHA_ROOT: node!.root }, encoding: 'utf8' });
    let r = run('crm_mon-healthy.xml');
    expect(r.stderr).toBe('');
    expect([r.status, r.stdout.split('\n')[0]]).toEqual([0, 'OK: g_tgt on node1; DRBD r0 Primary/UpToDate; 1 session(s) here']);
    r = run('crm_mon-failed-ban.xml');
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^FAILED: /);
    writeFile(node, '/proc/drbd', PROC_DRBD_84);
    r = run('crm_mon-healthy.xml', '--json');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout) as { verdict: string; drbd: { devices: { resync: { percent: number } }[] } };
    expect(j.verdict).toBe('DEGRADED');
    expect(j.drbd.devices[0]!.resync.percent).toBe(55.6);
    expect(spawnSync(cli, ['status', '--bogus'], { encoding: 'utf8' }).status).toBe(3);
  });
});

describe('the one Pacemaker call', () => {
  function fakeCrmMon(body: string): { dir: string; calls: string } {
    const dir = mkdtempSync(join(tmpdir(), 'lioha-crm-mon-'));
    const calls = join(dir, 'calls');
    writeFileSync(join(dir, 'crm_mon'), `#!/bin/sh\necho "$*" >> '${calls}'\n${body}\n`, { mode: 0o755 });
    return { dir, calls };
  }

  it('reports crm_mon\'s own XML error words when the cluster is not running', async () => {
    const f = fakeCrmMon(`cat <<'X'\n<pacemaker-result api-version="2.25" request="crm_mon">\n  <status code="102" message="Not connected">\n    <errors>\n      <error>crm_mon: Connection to cluster failed: Connection refused</error>\n    </errors>\n  </status>\n</pacemaker-result>\nX\nexit 102`);
    const saved = process.env.LIOHA_PATH;
    process.env.LIOHA_PATH = f.dir;
    try {
      const r = await readCluster(5000);
      expect(r).toEqual({ error: 'crm_mon exited with 102: Not connected: crm_mon: Connection to cluster failed: Connection refused' });
    } finally {
      if (saved === undefined) delete process.env.LIOHA_PATH;
      else process.env.LIOHA_PATH = saved;
      rmSync(f.dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(cli))('lioha status calls crm_mon exactly once, with --output-as=xml', async () => {
    node = await healthyNode();
    const f = fakeCrmMon(`cat '${join(FIX, 'crm_mon-healthy.xml')}'`);
    try {
      const r = spawnSync(cli, ['status', '--node', 'node1'], { env: { PATH: `${f.dir}:${process.env.PATH ?? ''}`, LIOHA_ROOT: node.root }, encoding: 'utf8' });
      expect(r.stdout.split('\n')[0]).toBe('OK: g_tgt on node1; DRBD r0 Primary/UpToDate; 1 session(s) here');
      expect(readFileSync(f.calls, 'utf8')).toBe('--output-as=xml --one-shot --include=all\n');
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!existsSync(cli))('lioha status --watch', () => {
  it('redraws the report every --interval, each frame read afresh (one crm_mon call per frame)', async () => {
    node = await healthyNode();
    const { spawn } = await import('node:child_process');
    const crm = mkdtempSync(join(tmpdir(), 'lioha-crm-mon-'));
    const calls = join(crm, 'calls');
    writeFileSync(join(crm, 'crm_mon'), `#!/bin/sh\necho "$*" >> '${calls}'\ncat '${join(FIX, 'crm_mon-healthy.xml')}'\n`, { mode: 0o755 });
    const p = spawn(cli, ['status', '--watch', '--interval', '0.5', '--node', 'node1'], { env: { PATH: `${crm}:${process.env.PATH ?? ''}`, LIOHA_ROOT: node.root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const frames = () => out.split('\x1b[H\x1b[2J').slice(1);
    const waitFrames = async (n: number) => {
      for (let i = 0; i < 600 && frames().length < n; i++) await new Promise((r) => setTimeout(r, 100));
      expect(frames().length, out).toBeGreaterThanOrEqual(n);
    };
    try {
      await waitFrames(1);
      expect(frames()[0]).toMatch(/^\d\d:\d\d:\d\d every 0\.5s \(Ctrl-C to quit\)\nOK: g_tgt on node1/);
      // the portal stops listening: a later frame says so, without restarting the command
      writeFile(node, '/proc/net/tcp', '  sl  local_address rem_address   st\n');
      const seen = frames().length;
      await waitFrames(seen + 2);
      expect(frames().at(-1)).toMatch(/\nFAILED: target .* portal 127\.0\.0\.1:3260 is not listening/);
      const n = readFileSync(calls, 'utf8').trim().split('\n');
      expect(n.length).toBeGreaterThanOrEqual(frames().length - 1);
      expect(new Set(n)).toEqual(new Set(['--output-as=xml --one-shot --include=all']));
    } finally {
      p.kill('SIGTERM');
      rmSync(crm, { recursive: true, force: true });
    }
  });
});
