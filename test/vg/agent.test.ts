import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeContext } from '../helpers/context.js';
import { definition } from '../../agents/vg/definition.js';
import { actions } from '../../agents/vg/actions.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { doublesBin, prepareVgFixture, readDoubleState, updateDoubleState, type VgFixtureOptions } from '../doubles/fixture.js';

let root: string;
const PARAMS = { vgname: 'vg1', metadata_lv: 'lv_iscsi_target' };

async function act(action: 'start' | 'stop' | 'monitor', params: Record<string, string> = {}, o: { checkLevel?: number; isProbe?: boolean } = {}) {
  const ctx = makeContext(definition, {
    action, root, params: { ...PARAMS, ...params }, env: { LIOHA_PATH: doublesBin }, timeoutMs: 30_000, ...o,
  });
  try {
    return { rc: await actions[action](ctx), reason: '' };
  } catch (e) {
    if (e instanceof Failure) return { rc: exitCodeOf(e), reason: e.reason };
    throw e;
  }
}

const log = () => readDoubleState(root).log;
const clearLog = () => updateDoubleState(root, (s) => { s.log = []; });
const dmDirs = () => (existsSync(join(root, 'sys/block')) ? readdirSync(join(root, 'sys/block')).filter((n) => n.startsWith('dm-')) : []);
const setup = (o: VgFixtureOptions = {}) => prepareVgFixture(root, o);

beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'vg-')); });
afterEach(() => { rmSync(root, { recursive: true, force: true }); });

describe('vg start', () => {
  it('on the DRBD Primary: takes the system ID, activates through the DRBD filter, mounts, then is idempotent', async () => {
    setup();
    expect(await act('start')).toEqual({ rc: OcfExit.SUCCESS, reason: '' });
    const cmds = log().map((l) => l.split(' ').filter((w) => !w.startsWith('devices{') ).slice(0, 2).join(' '));
    // The three reads run at once (the doubles take turns on their state file, like LVM on its locks).
    expect(cmds.slice(0, 3).sort()).toEqual(['lvm pvs', 'lvm systemid', 'lvm vgs']);
    expect(cmds.slice(3, 5)).toEqual(['lvm vgchange', 'lvm vgchange']);
    // The LV listing and the metadata mount run together after the activation: either may log first.
    expect(cmds.slice(5).sort()).toEqual(['lvm lvs', 'mount -t']);
    const s = readDoubleState(root);
    expect(s.vgs[0]!.systemId).toBe('node1');
    expect(s.vgs[0]!.lvs.every((l) => l.active)).toBe(true);
    expect(s.mounts).toEqual([{ device: '/dev/mapper/vg1-lv_iscsi_target', mountPoint: '/mnt/iscsi-target/vg1', fstype: 'ext4', options: 'rw,relatime' }]);
    expect(dmDirs()).toHaveLength(3);
    expect(log().find((l) => l.startsWith('lvm vgchange -y'))).toContain('extra_system_ids=["node2"]');
    clearLog();
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(log()).toEqual([]); // already started: file reads only
  });

  it('refuses on a Secondary, naming DRBD, and never runs vgchange', async () => {
    setup({ role: 'Secondary', peerRole: 'Primary' });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('Volume group vg1 not found on any DRBD device; not Primary here: DRBD r0 minor 0 is Secondary (peer Primary), disk UpToDate (set drbd_resource to name its DRBD resource)');
    const r2 = await act('start', { drbd_resource: 'r0' });
    expect(r2.reason).toBe('refusing to activate vg1 on a node that is not DRBD Primary: DRBD r0 minor 0 is Secondary (peer Primary), disk UpToDate');
    expect(log().some((l) => l.startsWith('lvm vgchange'))).toBe(false);
    expect(dmDirs()).toEqual([]);
  });

  it('names the resource of a refused minor (drbdsetup show) and rejects extra_devices matching a backing disk of this node (5)', async () => {
    setup({ disk: 'Outdated', minor: 10 });
    const r = await act('start');
    expect(r.reason).toBe('refusing to activate vg1: local DRBD disk not UpToDate (require_uptodate): DRBD r0 minor 10 is Primary (peer Secondary), disk Outdated');
    const bad = await act('start', { extra_devices: '^/dev/mapper/mpath ^/dev/vg0/' });
    expect(bad).toEqual({ rc: OcfExit.ERR_INSTALLED, reason: 'extra_devices ^/dev/vg0/ matches /dev/vg0/lv-drbd10, the backing disk of DRBD r0 minor 10: LVM would see its PV as a duplicate' });
    expect(log().some((l) => l.startsWith('lvm vgchange'))).toBe(false);
  });

  it('refuses a Primary whose disk is not UpToDate unless require_uptodate=false', async () => {
    setup({ disk: 'Consistent' });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toContain('local DRBD disk not UpToDate (require_uptodate): DRBD r0 minor 0 is Primary (peer Secondary), disk Consistent');
    expect(dmDirs()).toEqual([]);
    expect((await act('start', { require_uptodate: 'false' })).rc).toBe(OcfExit.SUCCESS);
  });

  it('reports a VG that does not exist by name', async () => {
    setup();
    const r = await act('start', { vgname: 'vg9', drbd_resource: 'r0' });
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('Volume group vg9 not found on /dev/drbd*: Cannot process volume group vg9');
  });

  it('refuses when the DRBD module is not loaded', async () => {
    setup();
    updateDoubleState(root, (s) => { s.drbd.loaded = false; });
    expect((await act('start')).reason).toBe('refusing to activate vg1: DRBD kernel module not loaded (no /proc/drbd)');
  });

  it('DRBD 9: reads drbdsetup status --json', async () => {
    setup({ drbdVersion: '9.2.8', role: 'Secondary', peerRole: 'Primary' });
    const r = await act('start', { drbd_resource: 'r0' });
    expect(r.reason).toBe('refusing to activate vg1 on a node that is not DRBD Primary: DRBD r0 minor 0 is Secondary (peer Primary), disk UpToDate');
    expect(log().filter((l) => l.startsWith('drbd'))).toEqual(['drbdsetup status --json']);
    updateDoubleState(root, (s) => { s.drbd.resources[0]!.role = 'Primary'; s.drbd.resources[0]!.peerRole = 'Secondary'; });
    expect((await act('start', { drbd_resource: 'r0' })).rc).toBe(OcfExit.SUCCESS);
    clearLog();
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS);
    expect(log()).toEqual([]); // DRBD 9: no minors in /proc/drbd, and monitor does not fork drbdsetup
  });

  it('rolls back activation when the mount fails', async () => {
    setup();
    updateDoubleState(root, (s) => { s.fail = { mount: 'wrong fs type' }; });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('mounting vg1/lv_iscsi_target on /mnt/iscsi-target/vg1: mount exited 32: mount: /mnt/iscsi-target/vg1: wrong fs type');
    expect(dmDirs()).toEqual([]);
    expect(readDoubleState(root).vgs[0]!.lvs.some((l) => l.active)).toBe(false);
  });

  it('tagging mode: strips a foreign owner tag, tags, activates with volume_list; stop removes the tag', async () => {
    setup({ tags: ['othercluster'], vgSystemId: '' });
    expect(await act('start', { vg_access_mode: 'tagging' })).toEqual({ rc: OcfExit.SUCCESS, reason: '' });
    expect(readDoubleState(root).vgs[0]!.tags).toEqual(['pacemaker']);
    expect(log().find((l) => l.includes('-ay'))).toContain('volume_list=["@pacemaker"]');
    expect(log().some((l) => l.startsWith('lvm systemid'))).toBe(false);
    expect((await act('stop', { vg_access_mode: 'tagging' })).rc).toBe(OcfExit.SUCCESS);
    expect(readDoubleState(root).vgs[0]!.tags).toEqual([]);
  });

  it('system_id mode without a local system ID is this node\'s problem (5, not 6: the peer may be set up)', async () => {
    setup({ localSystemId: '' });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_INSTALLED);
    expect(r.reason).toContain('set global/system_id_source');
  });

  it('a missing metadata LV is a configuration error and the activation is undone', async () => {
    setup({ lvs: ['lv-lun0'] });
    const r = await act('start');
    expect(r).toEqual({ rc: OcfExit.ERR_CONFIGURED, reason: 'metadata_lv lv_iscsi_target does not exist in volume group vg1' });
    expect(dmDirs()).toEqual([]);
  });

  it('accepts activation-skip LVs; fails and rolls back when another LV stays inactive', async () => {
    setup();
    updateDoubleState(root, (s) => { s.vgs[0]!.lvs.push({ name: 'snap0', uuid: 'f'.repeat(32), active: false, skip: true }); });
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(dmDirs()).toHaveLength(3);
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    updateDoubleState(root, (s) => { s.vgs[0]!.lvs.at(-1)!.skip = false; s.vgs[0]!.lvs.at(-1)!.refuse = true; });
    expect(await act('start')).toEqual({ rc: OcfExit.ERR_GENERIC, reason: 'after vgchange -ay, LV(s) of vg1 still inactive: snap0' });
    expect(dmDirs()).toEqual([]);
  });

  it('with udev running, lvm runs without DM_DISABLE_UDEV (the double checks both ways)', async () => {
    setup({ udev: true });
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
  });
});

describe('vg monitor', () => {
  it('7 when inactive, without running any command (probe and recurring)', async () => {
    setup({ role: 'Secondary', peerRole: 'Primary' });
    expect((await act('monitor', {}, { isProbe: true })).rc).toBe(OcfExit.NOT_RUNNING);
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);
    updateDoubleState(root, (s) => { s.drbd.loaded = false; });
    expect((await act('monitor', {}, { isProbe: true })).rc).toBe(OcfExit.NOT_RUNNING);
    expect(log()).toEqual([]);
  });

  it('0 when active and mounted; 1 naming the problem when the mount is gone or wrong', async () => {
    setup();
    await act('start');
    clearLog();
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS);
    expect(log()).toEqual([]);
    updateDoubleState(root, (s) => { s.mounts = []; });
    expect(await act('monitor')).toEqual({ rc: OcfExit.ERR_GENERIC, reason: 'volume group vg1 is active but lv_iscsi_target is not mounted on /mnt/iscsi-target/vg1' });
    updateDoubleState(root, (s) => { s.mounts = [{ device: '/dev/sdz1', mountPoint: '/mnt/iscsi-target/vg1', fstype: 'ext4', options: 'rw' }]; });
    expect((await act('monitor')).reason).toBe('/mnt/iscsi-target/vg1 has /dev/sdz1 mounted, not vg1/lv_iscsi_target');
    updateDoubleState(root, (s) => { s.mounts = [{ device: '/dev/vg1/lv_iscsi_target', mountPoint: '/mnt/iscsi-target/vg1', fstype: 'ext4', options: 'rw' }]; });
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS); // same LV by another name
    expect((await act('monitor', { mount_options: 'noatime' })).reason).toContain('missing some of noatime');
  });

  it('a metadata fs mounted without an active VG is an error, not 7', async () => {
    setup();
    updateDoubleState(root, (s) => { s.mounts = [{ device: '/dev/mapper/vg1-lv_iscsi_target', mountPoint: '/mnt/iscsi-target/vg1', fstype: 'ext4', options: 'rw' }]; });
    expect((await act('monitor')).rc).toBe(OcfExit.ERR_GENERIC);
  });

  it('errors when DRBD under an active VG is not Primary; degraded when the local disk is not UpToDate', async () => {
    setup();
    await act('start');
    updateDoubleState(root, (s) => { s.drbd.resources[0]!.disks = ['Diskless']; });
    expect((await act('monitor')).rc).toBe(OcfExit.DEGRADED);
    expect((await act('monitor', { require_uptodate: 'false' })).rc).toBe(OcfExit.SUCCESS);
    updateDoubleState(root, (s) => { s.drbd.resources[0]!.role = 'Secondary'; });
    expect((await act('monitor')).reason).toBe('volume group vg1 is active but DRBD minor 0 is Secondary');
  });

  it('level 10 reads a block from the LV', async () => {
    setup();
    await act('start');
    expect((await act('monitor', {}, { checkLevel: 10 })).rc).toBe(OcfExit.SUCCESS);
    expect((await act('monitor', { monitor_lv: 'lv-lun1' }, { checkLevel: 10 })).rc).toBe(OcfExit.SUCCESS);
    rmSync(join(root, 'dev/dm-2'));
    const r = await act('monitor', { monitor_lv: 'lv-lun1' }, { checkLevel: 10 });
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/^cannot read from vg1\/lv-lun1: dd exited 1: .*No such file or directory/);
  });
});

describe('vg stop', () => {
  it('unmounts and deactivates, leaves no dm device; stop when stopped runs nothing', async () => {
    setup();
    await act('start');
    clearLog();
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(log().map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['umount ' + join(root, 'mnt/iscsi-target/vg1'), 'lvm vgchange']);
    expect(dmDirs()).toEqual([]);
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);
    clearLog();
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(log()).toEqual([]);
  });

  it('fails naming the LIO backstore that holds an LV, and leaves the VG alone', async () => {
    setup();
    await act('start');
    const bs = join(root, 'sys/kernel/config/target/core/iblock_0/lun0');
    mkdirSync(bs, { recursive: true });
    writeFileSync(join(bs, 'udev_path'), '/dev/vg1/lv-lun0\n');
    clearLog();
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('cannot deactivate vg1: vg1/lv-lun0 held by LIO backstore iblock_0/lun0 (/dev/vg1/lv-lun0)');
    expect(log().some((l) => l.startsWith('lvm vgchange'))).toBe(false);
    expect(dmDirs()).toHaveLength(3);
  });

  it('names a stacked holder device', async () => {
    setup();
    await act('start');
    writeFileSync(join(root, 'sys/block/dm-1/holders/dm-7'), '');
    expect((await act('stop')).reason).toBe('cannot deactivate vg1: vg1/lv-lun0 held by device dm-7 (?) stacked on it');
  });

  it('names the process keeping the metadata fs busy; force_unmount would kill it', async () => {
    setup();
    await act('start');
    updateDoubleState(root, (s) => { s.busyMounts = ['/mnt/iscsi-target/vg1']; });
    mkdirSync(join(root, 'proc/4242'), { recursive: true });
    writeFileSync(join(root, 'proc/4242/comm'), 'bash\n');
    symlinkSync('/mnt/iscsi-target/vg1/state', join(root, 'proc/4242/cwd'));
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('cannot unmount /mnt/iscsi-target/vg1: busy: pid 4242 (bash) cwd /mnt/iscsi-target/vg1/state');
    expect(dmDirs()).toHaveLength(3);
  });

  it('force_unmount terminates the holder and unmounts', async () => {
    setup();
    await act('start');
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid!;
    const exited = new Promise((r) => child.on('exit', r));
    try {
      updateDoubleState(root, (s) => { s.busyPids = { '/mnt/iscsi-target/vg1': [pid] }; });
      mkdirSync(join(root, `proc/${pid}`), { recursive: true });
      writeFileSync(join(root, `proc/${pid}/comm`), 'sleep\n');
      symlinkSync('/mnt/iscsi-target/vg1', join(root, `proc/${pid}/cwd`));
      expect((await act('stop')).reason).toBe(`cannot unmount /mnt/iscsi-target/vg1: busy: pid ${pid} (sleep) cwd /mnt/iscsi-target/vg1`);
      const ctx = makeContext(definition, { action: 'stop', root, params: { ...PARAMS, force_unmount: 'true' }, env: { LIOHA_PATH: doublesBin, LIOHA_TEST_ALLOW_KILL: '1' } });
      expect(await actions.stop(ctx)).toBe(OcfExit.SUCCESS);
      await exited;
      expect(dmDirs()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names a process that has an LV open when LVM says "in use"', async () => {
    setup();
    await act('start');
    updateDoubleState(root, (s) => { s.openLvs = ['lv-lun1']; });
    mkdirSync(join(root, 'proc/555/fd'), { recursive: true });
    writeFileSync(join(root, 'proc/555/comm'), 'qemu-img\n');
    symlinkSync('/dev/dm-2', join(root, 'proc/555/fd/7'));
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toBe('cannot deactivate vg1: vg1/lv-lun1 open by pid 555 (qemu-img) open file /dev/dm-2');
  });

  it('reports dm devices left behind', async () => {
    setup();
    await act('start');
    updateDoubleState(root, (s) => { s.openLvs = ['lv-lun0']; });
    const r = await act('stop');
    expect(r.reason).toBe("deactivating vg1: lvm vgchange exited 5: Logical volume vg1/lv-lun0 in use.");
  });
});

describe('command failures', () => {
  it('a command missing from PATH is not installed (5); others are generic with their first stderr line (all of it in detail)', async () => {
    const { failureOf } = await import('../../lib/failure.js');
    const { ExecFailedError } = await import('../../lib/exec/run.js');
    const missing = new ExecFailedError('lvm pvs --config x', { exitCode: -1, stdout: '', stderr: 'spawn lvm ENOENT', durationMs: 1 });
    expect(failureOf(missing, 'listing PVs')).toMatchObject({ kind: 'installed', reason: 'listing PVs: lvm is not installed (not found in PATH)' });
    const failed = new ExecFailedError('lvm vgchange --config x', { exitCode: 5, stdout: '', stderr: '  a\n  b\n  c\n  d\n', durationMs: 1 });
    expect(failureOf(failed, 'x')).toMatchObject({ kind: 'generic', reason: 'x: lvm vgchange exited 5: a' });
    expect(failureOf(failed, 'x')?.detail).toContain('  a\n  b\n  c\n  d');
  });
});
