import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltAgent } from '../helpers/agent.js';
import { doublesBin, prepareVgFixture, readDoubleState, updateDoubleState } from '../doubles/fixture.js';

/** The built executable, out of process, as Pacemaker runs it (needs `npm run build`). */
describe('vg built agent', () => {
  let root: string;
  const params = { vgname: 'vg1', metadata_lv: 'lv_iscsi_target', drbd_resource: 'r0' };
  const run = (action: string, env: Record<string, string> = {}) => runBuiltAgent('vg', action, { root, params, env: { LIOHA_PATH: doublesBin, ...env } });
  beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'vg-built-')); prepareVgFixture(root, { role: 'Secondary', peerRole: 'Primary' }); });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses start on the Secondary with one exit reason', () => {
    const r = run('start');
    expect(r.code).toBe(1);
    expect(r.reasons).toEqual(['refusing to activate vg1 on a node that is not DRBD Primary: DRBD r0 minor 0 is Secondary (peer Primary), disk UpToDate']);
    expect(run('monitor', { OCF_RESKEY_CRM_meta_interval: '0' }).code).toBe(7);
  });

  it('after promotion: start, monitor (depth 0 and 10), stop, stop, monitor 7', () => {
    updateDoubleState(root, (s) => { s.drbd.resources[0]!.role = 'Primary'; s.drbd.resources[0]!.peerRole = 'Secondary'; s.log = []; });
    expect(run('start').code).toBe(0);
    const cmds = readDoubleState(root).log.map((l) => l.split(' ').slice(0, 2).join(' '));
    // The reads run at once; activation waits for all of them.
    expect(cmds.slice(0, 4).sort()).toEqual(['drbdadm sh-minor', 'lvm pvs', 'lvm systemid', 'lvm vgs']);
    expect(cmds.slice(4, 6)).toEqual(['lvm vgchange', 'lvm vgchange']);
    // The LV listing and the metadata mount run together after the activation: either may log first.
    expect(cmds.slice(6).sort()).toEqual(['lvm lvs', 'mount -t']);
    expect(run('monitor', { OCF_RESKEY_CRM_meta_interval: '30000' }).code).toBe(0);
    expect(run('monitor', { OCF_RESKEY_CRM_meta_interval: '30000', OCF_CHECK_LEVEL: '10' }).code).toBe(0);
    expect(run('stop').code).toBe(0);
    expect(run('stop').code).toBe(0);
    expect(run('monitor').code).toBe(7);
  });
});
