/**
 * The guest-side `lioha status` checks of the lab (test/lab/guest/status.sh), run here against the built CLI
 * on emulated nodes with a recorded crm_mon XML: what the cluster lab calls on each node before and after a
 * switchover, and that each check fails when the node shows something else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IQN, ini, logIn, makeNode, PROC_NET_TCP_LISTEN_3260, setAttr, writeFile, type Node } from '../stats/fixture.js';

const repo = process.cwd();
const cli = join(repo, 'dist/bin/lioha');
const XML = join(repo, 'test/fixtures/status/crm_mon-healthy.xml');
const drbd = (ro: string) => `version: 8.4.11 (api:1/proto:86-101)\n 0: cs:Connected ro:${ro} ds:UpToDate/UpToDate C r-----\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n`;

const nodes: Node[] = [];
afterEach(() => { for (const n of nodes.splice(0)) n.cleanup(); });

async function labNode(active: boolean): Promise<Node> {
  const n = await makeNode({ luns: 2, acls: 2 });
  nodes.push(n);
  writeFile(n, '/proc/drbd', drbd(active ? 'Primary/Secondary' : 'Secondary/Primary'));
  writeFile(n, '/etc/drbd.d/r0.res', 'resource r0 { device /dev/drbd0; }\n');
  if (active) {
    writeFile(n, '/proc/net/tcp', PROC_NET_TCP_LISTEN_3260);
    logIn(n, 1, ['127.0.0.1', '127.0.0.2']);
  } else setAttr(n, `iscsi/${IQN}/tpgt_1/enable`, 0);
  return n;
}

/** Sources status.sh and runs `script` in bash, as a lab test does in its guest. */
function guest(n: Node, script: string) {
  // stdin from /dev/null: on a socket (Node's pipes) bash would take itself for an rsh session and read ~/.bashrc
  const r = spawnSync('bash', ['-c', `. test/lab/guest/status.sh\n${script}`], {
    cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', LAB_REPO: repo, LIOHA_ROOT: n.root },
  });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}
const snap = (n: Node, me: string) => `lab_status_snapshot ${n.root}/s.json --node ${me} --crm-mon-xml ${XML}`;

describe.skipIf(!existsSync(cli))('lab_status_snapshot / lab_status_expect (test/lab/guest/status.sh)', () => {
  it('the active node: group, DRBD Primary/Secondary, portals listening, sessions per initiator', async () => {
    const n = await labNode(true);
    const r = guest(n, `${snap(n, 'node1')} && lab_status_expect ${n.root}/s.json g_tgt node1 ${ini(1)}=2 ${ini(0)}=0`);
    expect(r.err).toBe('');
    expect(r.rc).toBe(0);
    expect(r.out).toMatch(/^status_ms=\d+ node_ms=\d+ rc=0$/m);
    expect(r.out).toContain('OK: g_tgt on node1');
    expect(r.out).toContain(`lab_status_expect: node1 active: g_tgt on node1; DRBD r0 Primary/Secondary UpToDate/UpToDate Connected; sessions ${ini(1)}=2; verdict OK`);
    expect(JSON.parse(readFileSync(join(n.root, 's.json'), 'utf8')).node).toBe('node1');
    expect(readFileSync(join(n.root, 's.json.txt'), 'utf8').split('\n')[0]).toMatch(/^OK: /);
  });

  it('the passive node: DRBD Secondary/Primary, no TPG enabled, nobody logged in', async () => {
    const n = await labNode(false);
    const r = guest(n, `${snap(n, 'node2')} && lab_status_expect ${n.root}/s.json g_tgt node1 ${ini(1)}=2`);
    expect(r.err).toBe('');
    expect(r.rc).toBe(0);
    expect(r.out).toContain('lab_status_expect: node2 passive: g_tgt on node1; DRBD r0 Secondary/Primary UpToDate/UpToDate Connected; sessions none; verdict OK');
  });

  it('fails on the wrong node, a missing session, a wrong connection count, or a view that does not fit the role', async () => {
    const a = await labNode(true);
    const p = await labNode(false);
    const expectFail = (n: Node, me: string, args: string, why: RegExp) => {
      const r = guest(n, `${snap(n, me)} >/dev/null 2>&1; lab_status_expect ${n.root}/s.json g_tgt ${args}`);
      expect(r.rc, args).toBe(1);
      expect(r.err).toMatch(why);
    };
    expectFail(a, 'node1', 'node2', /g_tgt runs on node1, want node2/);
    expectFail(a, 'node1', `node1 ${ini(0)}`, new RegExp(`${ini(0)} has 0 connection\\(s\\) here, want a session`));
    expectFail(a, 'node1', `node1 ${ini(1)}=1`, /has 2 connection\(s\) here, want 1/);
    // the passive node's report read as if it were the active one, and an enabled TPG on the passive node
    expectFail(p, 'node1', 'node1', /DRBD r0 is Secondary here, want Primary[^]*no enabled TPG on the active node/);
    setAttr(p, `iscsi/${IQN}/tpgt_1/enable`, 1);
    logIn(p, 0);
    expectFail(p, 'node2', 'node1', new RegExp(`tpgt_1 is enabled on the passive node[^]*${ini(0)} is logged in on the passive node`));
  });

  it('snapshot fails when lioha status says FAILED or takes longer than LAB_STATUS_MAX_MS', async () => {
    const n = await labNode(true);
    writeFile(n, '/proc/net/tcp', '  sl  local_address rem_address   st\n');
    let r = guest(n, snap(n, 'node1'));
    expect(r.rc).toBe(1);
    expect(r.err).toContain('lioha status exited 2');
    expect(r.out).toMatch(/^FAILED: .*portal 127\.0\.0\.1:3260 is not listening/m);
    writeFile(n, '/proc/net/tcp', PROC_NET_TCP_LISTEN_3260);
    r = guest(n, `LAB_STATUS_MAX_MS=0 ${snap(n, 'node1')}`);
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/took \d+ ms, more than 0/);
  });
});
