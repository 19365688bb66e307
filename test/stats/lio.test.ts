import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readLio } from '../../lib/stats/lio.js';
import { openTreeReader } from '../../lib/stats/tree-reader.js';
import { parseAclInfo, parseDynamicSessions } from '../../lib/stats/session-info.js';
import { EmulatedConfigFs } from '../../lib/configfs/emulator.js';
import { IQN, ini, logIn, makeNode, sessionInfo, setAttr, setInitiatorMiB, setLoginStats, setLunMiB, type Node } from './fixture.js';

let node: Node | undefined;
afterEach(() => node?.cleanup());

describe('readLio on an emulated 4 LUN x 3 ACL target', () => {
  it('reads topology, per-LUN and per-initiator counters in bytes, sessions and login failures', async () => {
    node = await makeNode({ luns: 4, acls: 3 });
    setLunMiB(node, 2, 7, 300, 12345);
    setInitiatorMiB(node, 1, 2, 5, 200, 999);
    logIn(node, 1, ['192.0.2.50', '192.0.2.51']);
    setLoginStats(node, { accepts: 4, authenticate_fails: 2, negotiate_fails: 1 });
    const s = readLio(openTreeReader(node.base), { backstores: true });
    expect(s.loaded).toBe(true);
    expect(s.targets.map((t) => t.wwn)).toEqual([IQN]);
    const tpg = s.targets[0]!.tpgs[0]!;
    expect(tpg).toMatchObject({ tag: 1, enabled: true, portals: [{ ip: '127.0.0.1', port: 3260 }] });
    expect(tpg.luns.map((l) => [l.index, l.backstore, l.device])).toEqual([0, 1, 2, 3].map((i) => [i, `/backstores/block/lun${i}`, `/dev/vg1/lv-lun${i}`]));
    expect(tpg.luns[2]).toMatchObject({ readBytes: 7 * 1048576, writeBytes: 300 * 1048576, commands: 12345 });
    expect(tpg.acls.map((a) => a.initiator)).toEqual([ini(0), ini(1), ini(2)]);
    const a1 = tpg.acls[1]!;
    expect(a1.mappedLuns[2]).toEqual({ index: 2, tpgLun: 2, readBytes: 5 * 1048576, writeBytes: 200 * 1048576, commands: 999 });
    expect(a1.session?.connections.map((c) => c.address)).toEqual(['192.0.2.50', '192.0.2.51']);
    expect(a1.sessionCounters).toMatchObject({ commandPdus: 20, rxBytes: 1048576, txBytes: 4096 });
    // No session: the kernel's session statistics files are empty, and nothing is reported.
    expect(tpg.acls[0]!.session).toBeUndefined();
    expect(tpg.acls[0]!.sessionCounters).toEqual({});
    expect(s.targets[0]!.fabric).toMatchObject({ loginAccepts: 4, loginFailures: { authenticate: 2, authorize: 0, negotiate: 1, other: 0 } });
    expect(s.backstores.map((b) => b.backstore)).toEqual([0, 1, 2, 3].map((i) => `/backstores/block/lun${i}`));
  });

  it('without counters (lioha status) reads topology and sessions only', async () => {
    node = await makeNode({ luns: 3, acls: 2 });
    logIn(node, 0);
    const tpg = readLio(openTreeReader(node.base), { counters: 'none' }).targets[0]!.tpgs[0]!;
    expect(tpg.luns.map((l) => [l.index, l.device, l.readBytes])).toEqual([[0, '/dev/vg1/lv-lun0', undefined], [1, '/dev/vg1/lv-lun1', undefined], [2, '/dev/vg1/lv-lun2', undefined]]);
    expect(tpg.acls.map((a) => [a.initiator, !!a.session, a.mappedLuns.length])).toEqual([[ini(0), true, 3], [ini(1), false, 3]]);
  });

  it('maps each mapped LUN to its TPG LUN by the device index, or by its link when indices are ambiguous', async () => {
    for (const devIndexes of [true, false]) {
      node?.cleanup();
      node = await makeNode({ luns: 3, acls: 2, devIndexes });
      // acls/<ini(1)>/lun_7 -> lun/lun_2: a mapped LUN number that is not its TPG LUN's.
      const cfs = new EmulatedConfigFs(node.base);
      const acl = `iscsi/${IQN}/tpgt_1/acls/${ini(1)}`;
      await cfs.mkdir(`${acl}/lun_7`);
      await cfs.symlink(`iscsi/${IQN}/tpgt_1/lun/lun_2`, `${acl}/lun_7/x7`);
      if (devIndexes) setAttr(node, `${acl}/lun_7/statistics/scsi_auth_intr/dev`, 3);
      const tpg = readLio(openTreeReader(node.base)).targets[0]!.tpgs[0]!;
      expect(tpg.acls.map((a) => a.mappedLuns.map((m) => [m.index, m.tpgLun]))).toEqual([
        [[0, 0], [1, 1], [2, 2]],
        [[0, 0], [1, 1], [2, 2], [7, 2]],
      ]);
    }
  });

  it('reads only the counters asked for: none for lioha status, one direction for a munin graph', async () => {
    node = await makeNode({ luns: 2, acls: 1 });
    setLunMiB(node, 1, 7, 9, 11);
    setInitiatorMiB(node, 0, 1, 3, 5, 6);
    logIn(node, 0);
    const read = readLio(openTreeReader(node.base), { counters: 'read' }).targets[0]!;
    expect(read.tpgs[0]!.luns[1]).toEqual({ index: 1, backstore: '/backstores/block/lun1', objectDir: 'core/iblock_1/lun1', device: '/dev/vg1/lv-lun1', readBytes: 7 * 1048576 });
    expect(read.tpgs[0]!.acls[0]!.mappedLuns[1]).toEqual({ index: 1, tpgLun: -1, readBytes: 3 * 1048576 });
    expect(read.tpgs[0]!.acls[0]!.sessionCounters).toEqual({});
    expect(read.fabric).toEqual({ loginFailures: {} });
    const write = readLio(openTreeReader(node.base), { counters: 'write' }).targets[0]!.tpgs[0]!;
    expect(write.acls[0]!.mappedLuns[1]).toEqual({ index: 1, tpgLun: -1, writeBytes: 5 * 1048576 });
    const none = readLio(openTreeReader(node.base), { counters: 'none' }).targets[0]!.tpgs[0]!;
    expect(none.acls[0]!.mappedLuns[1]).toEqual({ index: 1, tpgLun: -1 });
    expect(none.acls[0]!.session?.initiator).toBe(ini(0));
  });

  it('reports an unloaded LIO as not loaded, without targets', () => {
    const s = readLio(openTreeReader(join('/nonexistent', 'x')));
    expect(s).toEqual({ loaded: false, targets: [], backstores: [] });
  });
});

describe('ACL info and dynamic_sessions parsers', () => {
  it('parses the no-session text', () => {
    expect(parseAclInfo(`No active iSCSI Session for Initiator Endpoint: ${ini(0)}`)).toBeUndefined();
  });
  it('parses a session with its connections, ISID and state', () => {
    const s = parseAclInfo(sessionInfo(ini(3), ['[fd00::5]', '192.0.2.9']));
    expect(s).toMatchObject({ initiator: ini(3), sid: 3, isid: '00023d000000', tsih: 2, type: 'Normal', state: 'TARG_SESS_STATE_LOGGED_IN' });
    expect(s!.connections).toEqual([
      { cid: 0, state: 'TARG_CONN_STATE_LOGGED_IN', address: '[fd00::5]', transport: 'TCP' },
      { cid: 1, state: 'TARG_CONN_STATE_LOGGED_IN', address: '192.0.2.9', transport: 'TCP' },
    ]);
  });
  it('splits dynamic_sessions on newlines and the NUL the kernel appends', () => {
    expect(parseDynamicSessions(`${ini(1)}\n\0${ini(2)}\n\0`)).toEqual([ini(1), ini(2)]);
    expect(parseDynamicSessions('')).toEqual([]);
  });
});
