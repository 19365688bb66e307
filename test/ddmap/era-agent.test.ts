/**
 * The ddmap agent with backend=era against the dm-era/LVM command doubles (test/doubles/era):
 * who creates and removes the era devices, the seed's state machine on them, the dumps' exact
 * bits, refusal while LIO holds a device, and convergence after a kill at any step.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actions } from '../../agents/ddmap/actions.js';
import { definition } from '../../agents/ddmap/definition.js';
import { decodeImage } from '../../lib/ddmap/format.js';
import { eraNameSum } from '../../lib/ddmap/backends/era/names.js';
import { DdmapService, markerPath } from '../../lib/ddmap/service.js';
import { holdWrites } from '../../lib/ddmap/backends/era/api.js';
import { recordSuspendIntent } from '../../lib/ddmap/suspend-intent.js';
import { checkDdmapParams, ddmapSettings } from '../../agents/ddmap/config.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Root } from '../../lib/sys/root.js';
import { makeContext, memoryLogger } from '../helpers/context.js';
import { eraBin, eraWrite, inProcessEraExec, lioHolds, lioReleases, prepareEraFixture, readEraDouble, setBits, updateEraDouble } from './era-fixture.js';

const VG = 'vg-a';
const MiB = 1024 * 1024;
const ERA0 = 'era-vg--a-lun0';
const ERA1 = 'era-vg--a-lun--1';
const INSTANCE = 'p_ddmap_vg_a';
let root: string;
let ddmapDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ddmap-era-'));
  ddmapDir = prepareEraFixture(root, VG, { lun0: 64 * MiB, 'lun-1': 8 * MiB, meta: 16 * MiB });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const PARAMS = { vgname: VG, backend: 'era', lvs: 'lun0 lun-1', map_timeout: '5000' };
/**
 * One agent action. By default the service runs with the doubles in-process (what actions.ts does,
 * minus the spawn per command); `spawned` runs the real actions with the doubles as commands on PATH.
 */
async function act(action: 'start' | 'stop' | 'monitor' | 'validate', extra: Record<string, string> = {}, log = memoryLogger(), spawned = false) {
  const ctx = makeContext(definition, { action, root, params: { ...PARAMS, ...extra }, instance: INSTANCE, env: { LIOHA_PATH: eraBin }, timeoutMs: 30_000, log });
  try {
    if (spawned || action === 'validate') return { rc: await actions[action]!(ctx), reason: '', log };
    checkDdmapParams(ctx.params);
    const svc = new DdmapService(ddmapSettings(ctx.params, ctx.instance), {
      root: ctx.root, log, budget: (ms) => ctx.deadline.budget(ms), exec: inProcessEraExec(root), toolEnv: ctx.env,
    });
    if (action === 'start') await svc.start();
    if (action === 'stop') await svc.stop();
    if (action === 'monitor') return { rc: (await svc.monitor()) === 'running' ? OcfExit.SUCCESS : OcfExit.NOT_RUNNING, reason: '', log };
    return { rc: OcfExit.SUCCESS, reason: '', log };
  } catch (e) {
    if (e instanceof Failure) return { rc: exitCodeOf(e), reason: e.reason, log };
    throw e;
  }
}
const state = (lv: string) => (existsSync(join(ddmapDir, `${lv}.state`)) ? readFileSync(join(ddmapDir, `${lv}.state`), 'utf8').trim() : 'absent');
const setState = (lv: string, s: string) => writeFileSync(join(ddmapDir, `${lv}.state`), `DDMAP_${s}\n`);
const dumps = (lv: string) => (existsSync(ddmapDir) ? readdirSync(ddmapDir).filter((n) => n.startsWith(`${lv}.`) && n.endsWith('.ddmapdump')).sort() : []);
const dumpBits = (name: string) => {
  const img = decodeImage(readFileSync(join(ddmapDir, name)));
  return { header: img.header, bits: setBits(img.words) };
};
const mark = (lv: string) => JSON.parse(readFileSync(join(ddmapDir, `${lv}.era`), 'utf8')) as { era: number; metadataUuid: string; by: string };
const eraDevices = () => Object.keys(readEraDouble(root).era).sort();
const cmds = () => readEraDouble(root).log;
const clearLog = () => updateEraDouble(root, (s) => { s.log = []; });

describe('ddmap backend=era: the agent actions with the commands as processes', () => {
  it('start, monitor, stop through actions.ts run dmsetup, era_invalidate and lvm found via LIOHA_PATH', async () => {
    expect((await act('start', {}, memoryLogger(), true)).rc).toBe(OcfExit.SUCCESS);
    expect(eraDevices()).toEqual([ERA1, ERA0]);
    eraWrite(root, ERA0, 16384 * 4, 1);
    expect((await act('monitor', {}, memoryLogger(), true)).rc).toBe(OcfExit.SUCCESS);
    setState('lun0', 'ACTIVE');
    expect((await act('stop', {}, memoryLogger(), true)).rc).toBe(OcfExit.SUCCESS);
    expect(eraDevices()).toEqual([]);
    expect(dumpBits(dumps('lun0')[0]!).bits).toEqual([4]);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    expect((await act('monitor', {}, memoryLogger(), true)).rc).toBe(OcfExit.NOT_RUNNING);
  }, 60_000);

  it('a hung command is killed at map_timeout (the process group, by lib/exec/run.ts)', async () => {
    expect((await act('start', {}, memoryLogger(), true)).rc).toBe(OcfExit.SUCCESS);
    updateEraDouble(root, (s) => { s.hang['dmsetup message'] = 60_000; });
    const t0 = Date.now();
    // 5 s: a spawned node double may need seconds to start on a loaded machine
    const r = await act('stop', { map_timeout: '5000' }, memoryLogger(), true);
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(r.reason).toBe("");
    expect(r.rc).toBe(OcfExit.SUCCESS); // both LVs DIRTY, devices removed
    expect(state('lun0')).toBe('DDMAP_DIRTY');
    expect(r.log.lines.some((l) => /dmsetup message timed out after 5 s and was killed/.test(l.msg))).toBe(true);
  }, 60_000);
});

describe('ddmap backend=era: start creates the era layer', () => {
  it('creates each metadata LV and era device over the LV, marks new volumes DIRTY, and is idempotent', async () => {
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);
    const r = await act('start');
    expect(r).toMatchObject({ rc: OcfExit.SUCCESS, reason: '' });
    const s = readEraDouble(root);
    // metadata sized from the origin, in the same VG
    // 4 MiB of fixed room plus the array and write sets, rounded up to the 4 MiB extent
    expect(s.created).toEqual([`${VG}/lun0_eramd 8388608`, `${VG}/lun-1_eramd 8388608`]);
    expect(eraDevices()).toEqual([ERA1, ERA0]);
    const e0 = s.era[ERA0]!;
    expect(e0.originDev).toBe(`253:${s.vgs[VG]!.lvs['lun0']!.dm}`);
    expect(e0.metaDev).toBe(`253:${s.vgs[VG]!.lvs['lun0_eramd']!.dm}`);
    expect(e0.sectors).toBe(64 * MiB / 512);
    expect(e0.uuid).toBe('LIOHA-ERA-vg--a-lun0');
    // never tracked: DIRTY (a full read is needed), and the new history's mark
    expect(state('lun0')).toBe('DDMAP_DIRTY');
    expect(readFileSync(join(ddmapDir, 'lun0.log'), 'utf8')).toMatch(/start DDMAP_UNKNOWN -> DDMAP_DIRTY .*\n.*lost DDMAP_DIRTY -> DDMAP_DIRTY new era metadata volume vg-a\/lun0_eramd/);
    expect(mark('lun0')).toMatchObject({ era: 1, by: 'start' });
    expect(existsSync(markerPath(new Root(root), INSTANCE))).toBe(true);
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS);
    clearLog();
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(cmds().filter((c) => !c.startsWith('dmsetup status'))).toEqual([]); // already started: only monitor's status reads
  });

  it('the backstore path LIO opens is /dev/mapper/era-<vg>-<lv> with "-" doubled', async () => {
    await act('start');
    expect(existsSync(join(root, 'dev/mapper', ERA0))).toBe(true);
    expect(existsSync(join(root, 'dev/mapper', ERA1))).toBe(true);
    expect(readdirSync(join(root, `sys/block/dm-${readEraDouble(root).vgs[VG]!.lvs['lun0']!.dm}/holders`))).toEqual([`dm-${readEraDouble(root).era[ERA0]!.dm}`]);
  });

  it('activates an existing inactive metadata LV instead of creating one', async () => {
    await act('start');
    await act('stop');
    updateEraDouble(root, (s) => { s.vgs[VG]!.lvs['lun0_eramd']!.active = false; });
    clearLog();
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(cmds().some((c) => c.startsWith('lvm lvchange') && c.endsWith(`-ay ${VG}/lun0_eramd`))).toBe(true);
    expect(cmds().some((c) => c.startsWith('lvm lvcreate'))).toBe(false);
  });

  it('refuses (1) when an LV is not active, naming it, and creates nothing for it', async () => {
    updateEraDouble(root, (s) => { s.vgs[VG]!.lvs['lun-1']!.active = false; });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toContain('logical volume vg-a/lun-1 is not active');
    expect(eraDevices()).not.toContain(ERA1);
  });
});

describe('ddmap backend=era: the seed state machine and the dumps', () => {
  it('stop dumps exactly the written 16 KiB segments, ACTIVE -> CLEAN, removes the device; start after it is ACTIVE', async () => {
    await act('start');
    setState('lun0', 'ACTIVE'); // a full backup ran
    const written = [
      ...eraWrite(root, ERA0, 0, 4096), // segment 0
      ...eraWrite(root, ERA0, 16384 * 5 + 100, 16384), // straddles 5 and 6
      ...eraWrite(root, ERA0, 64 * MiB - 512, 512), // the last segment
    ];
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(eraDevices()).toEqual([]);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    expect(state('lun-1')).toBe('DDMAP_DIRTY');
    const [d0] = dumps('lun0');
    const img = dumpBits(d0!);
    expect(img.bits).toEqual([...new Set(written)].sort((a, b) => a - b));
    expect(img.bits).toEqual([0, 5, 6, 4095]);
    expect(img.header).toEqual({ version: 1, nameSum: eraNameSum(VG, 'lun0'), mapSize: 128 });
    expect(dumpBits(dumps('lun-1')[0]!).bits).toEqual([]);
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);

    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_ACTIVE'); // CLEAN -> ACTIVE
    eraWrite(root, ERA0, 16384 * 9, 1);
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    const second = dumps('lun0');
    expect(second).toHaveLength(2);
    expect(dumpBits(second[1]!).bits).toEqual([9]); // only what was written since the first dump
    expect(state('lun0')).toBe('DDMAP_CLEAN');
  });

  it('an unclean stop (node lost: no stop, marker and devices gone) makes the next start DIRTY', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    await act('stop');
    await act('start');
    expect(state('lun0')).toBe('DDMAP_ACTIVE');
    eraWrite(root, ERA0, 0, 16384);
    // the node dies: /run is gone with the devices; dm-era's metadata keeps the committed write set
    unlinkSync(markerPath(new Root(root), INSTANCE));
    updateEraDouble(root, (s) => { s.era = {}; });
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_DIRTY'); // ACTIVE found at start = unclean
    expect(readFileSync(join(ddmapDir, 'lun0.log'), 'utf8')).toMatch(/start DDMAP_ACTIVE -> DDMAP_DIRTY/);
  });

  it('recreated era metadata (new LVM uuid) turns a CLEAN LV DIRTY at start: its history is unknown', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    await act('stop');
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    updateEraDouble(root, (s) => {
      delete s.vgs[VG]!.lvs['lun0_eramd'];
      delete s.metadata[`${VG}/lun0_eramd`];
    });
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_DIRTY');
    expect(state('lun-1')).toBe('DDMAP_DIRTY');
  });

  it('a stop that cannot read the map records DIRTY, still removes the device and succeeds', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    updateEraDouble(root, (s) => { s.fail['era_invalidate'] = 'metadata contains errors (run era_check for details).'; });
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_DIRTY');
    expect(readFileSync(join(ddmapDir, 'lun0.log'), 'utf8')).toMatch(/stop-failed DDMAP_ACTIVE -> DDMAP_DIRTY .*era_invalidate/);
    expect(dumps('lun0')).toEqual([]);
    expect(eraDevices()).toEqual([]);
    expect(readEraDouble(root).metadata[`${VG}/lun0_eramd`]!.snap).toBeNull(); // the snapshot was dropped
  });

  it('every command is bounded by map_timeout: a hung era_invalidate is killed, the LV goes DIRTY, the stop ends', async () => {
    await act('start');
    updateEraDouble(root, (s) => { s.hang['era_invalidate'] = 20_000; });
    const t0 = Date.now();
    const r = await act('stop', { map_timeout: '300' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_DIRTY');
    expect(r.log.lines.some((l) => l.level === 'error' && /era_invalidate timed out after 300 ms/.test(l.msg))).toBe(true);
    expect(readEraDouble(root).metadata[`${VG}/lun0_eramd`]!.snap).toBeNull(); // dropped after the timeout
  }, 60_000);
});

describe('ddmap backend=era: monitor beside a backup holding writes for its snapshot', () => {
  const eraEnv = () => ({ root: new Root(root), timeoutMs: 5000, exec: inProcessEraExec(root) });
  const suspend = () => inProcessEraExec(root)('dmsetup', ['suspend', ERA0], { maxMs: 5000, env: { DM_DISABLE_UDEV: '1' } });
  const isSuspended = () => readEraDouble(root).era[ERA0]!.suspended;

  it('a monitor during the hold succeeds, leaves the device held, and reads no status from it', async () => {
    await act('start');
    clearLog();
    const during = await holdWrites(VG, 'lun0', eraEnv(), async () => ({ m: await act('monitor'), held: isSuspended() }));
    expect(during.held).toBe(true);
    expect(during.m.reason).toBe('');
    expect(during.m.rc).toBe(OcfExit.SUCCESS);
    // one hold: suspend then resume, with no resume and no status of lun0's device in between
    const log = cmds();
    const between = log.slice(log.findIndex((c) => c.startsWith('dmsetup suspend')) + 1, log.findIndex((c) => c.startsWith('dmsetup resume')));
    expect(between.filter((c) => c.includes(ERA0))).toEqual([]);
    expect(isSuspended()).toBe(false);
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS);
  });

  it('held past the bound its holder recorded, or suspended with no holder, the monitor fails (1) naming it', async () => {
    await act('start');
    await suspend();
    const held = await act('monitor');
    expect(held.rc).toBe(OcfExit.ERR_GENERIC);
    expect(held.reason).toBe(`era device ${ERA0} is suspended (writes to ${VG}/lun0 blocked)`);
    // a live holder (this process) whose 1 s bound passed a minute ago
    const dir = join(root, 'run/lioha/ddmap/suspended');
    await recordSuspendIntent(dir, ERA0, 1000);
    const f = join(dir, `${ERA0}.json`);
    const intent = JSON.parse(readFileSync(f, 'utf8')) as { at: string };
    writeFileSync(f, JSON.stringify({ ...intent, at: new Date(Date.now() - 60_000).toISOString() }));
    const stuck = await act('monitor');
    expect(stuck.rc).toBe(OcfExit.ERR_GENERIC);
    expect(stuck.reason).toMatch(new RegExp(`^era device ${ERA0} held suspended by process ${process.pid} for 60 s, past its limit \\(writes to ${VG}/lun0 blocked\\)$`));
    expect(isSuspended()).toBe(true); // a live holder's hold is never broken by a monitor
    // within its bound: fine
    await recordSuspendIntent(dir, ERA0, 30_000);
    expect((await act('monitor')).rc).toBe(OcfExit.SUCCESS);
    expect(isSuspended()).toBe(true);
  });

  it('a holder that died is resumed by the next monitor, which then succeeds', async () => {
    await act('start');
    await suspend();
    const dir = join(root, 'run/lioha/ddmap/suspended');
    await recordSuspendIntent(dir, ERA0, 30_000);
    const f = join(dir, `${ERA0}.json`);
    const intent = JSON.parse(readFileSync(f, 'utf8')) as { start: number };
    writeFileSync(f, JSON.stringify({ ...intent, start: intent.start + 1 })); // same pid, another process: gone
    const log = memoryLogger();
    expect((await act('monitor', {}, log)).rc).toBe(OcfExit.SUCCESS);
    expect(isSuspended()).toBe(false);
    expect(existsSync(f)).toBe(false);
    expect(log.lines.some((l) => /map was left suspended by an interrupted capture by process/.test(l.msg))).toBe(true);
  });
});

describe('ddmap backend=era: ownership with LIO', () => {
  it('stop refuses (1) while LIO holds an era device, names the backstore, and changes nothing', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    eraWrite(root, ERA0, 0, 1);
    lioHolds(root, ERA0);
    const before = mark('lun0');
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/^era device era-vg--a-lun0 is open \(1: LIO backstore iblock_0\/disk0 \(\/dev\/mapper\/era-vg--a-lun0\)\); stop the target first/);
    expect(eraDevices()).toEqual([ERA1, ERA0]);
    expect(state('lun0')).toBe('DDMAP_ACTIVE');
    expect(dumps('lun0')).toEqual([]);
    expect(mark('lun0')).toEqual(before);
    expect(cmds().some((c) => c.includes('take_metadata_snap') || c.startsWith('dmsetup remove'))).toBe(false);
    lioReleases(root, ERA0);
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(dumpBits(dumps('lun0')[0]!).bits).toEqual([0]);
    expect(eraDevices()).toEqual([]);
  });
});

describe('ddmap backend=era: a kill at any step converges at the next action', () => {
  it('devices left by an interrupted start (no marker): monitor fails (1), stop saves and removes them', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    eraWrite(root, ERA0, 16384 * 3, 10);
    unlinkSync(markerPath(new Root(root), INSTANCE)); // killed before the marker was written
    const m = await act('monitor');
    expect(m.rc).toBe(OcfExit.ERR_GENERIC);
    expect(m.reason).toMatch(/era-vg--a-lun0, era-vg--a-lun--1 exist\(s\) but ddmap is not started here/);
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(eraDevices()).toEqual([]);
    expect(dumpBits(dumps('lun0')[0]!).bits).toEqual([3]);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    expect((await act('monitor')).rc).toBe(OcfExit.NOT_RUNNING);
  });

  it('a start that fails after creating a device, on the survivor of a crash: its stop leaves DIRTY, not CLEAN', async () => {
    await act('start');
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS); // the era mark exists from here on
    // The other node started (ACTIVE) and crashed: its era devices died with it, its ACTIVE stays.
    setState('lun0', 'ACTIVE');
    updateEraDouble(root, (s) => { s.fail['dmsetup status'] = 'device-mapper: status ioctl failed: timed out'; });
    const r = await act('start');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(eraDevices()).not.toEqual([]); // created before the failure: left for the stop
    updateEraDouble(root, (s) => { delete s.fail['dmsetup status']; });
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(eraDevices()).toEqual([]);
    // The crash's writes were never captured: the next backup must read the whole volume.
    expect(state('lun0')).toBe('DDMAP_DIRTY');
  });

  it('killed after saving and removing, before the marker went: stop completes, the saved CLEAN stays', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    const marker = readFileSync(markerPath(new Root(root), INSTANCE));
    await act('stop');
    writeFileSync(markerPath(new Root(root), INSTANCE), marker); // as if the unlink never happened
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    expect(state('lun-1')).toBe('DDMAP_DIRTY');
    expect(existsSync(markerPath(new Root(root), INSTANCE))).toBe(false);
  });

  it('a removal that fails leaves the stop failed (1) and the next stop finishes it; a mark not yet moved only widens the next dump', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    eraWrite(root, ERA0, 0, 1);
    const before = readFileSync(join(ddmapDir, 'lun0.era'));
    updateEraDouble(root, (s) => { s.fail['dmsetup remove'] = 'device-mapper: remove ioctl on era-vg--a-lun0  failed: Device or resource busy'; });
    const r = await act('stop');
    expect(r.rc).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/^map device not removed: .*era-vg--a-lun0: dmsetup remove exited 1/);
    expect(dumps('lun0')).toHaveLength(1);
    expect(existsSync(markerPath(new Root(root), INSTANCE))).toBe(true); // still started: the next stop retries
    // as if killed between the dump and the mark's move
    writeFileSync(join(ddmapDir, 'lun0.era'), before);
    updateEraDouble(root, (s) => { s.fail = {}; });
    eraWrite(root, ERA0, 16384 * 2, 1);
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    const all = dumps('lun0');
    expect(all).toHaveLength(2);
    expect(dumpBits(all[1]!).bits).toEqual([0, 2]);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
    expect(eraDevices()).toEqual([]);
  });

  it('a metadata snapshot left held by a killed capture is dropped, and the capture goes on', async () => {
    await act('start');
    setState('lun0', 'ACTIVE');
    eraWrite(root, ERA0, 16384 * 7, 1);
    updateEraDouble(root, (s) => { s.metadata[`${VG}/lun0_eramd`]!.snap = { archived: {}, array: {} }; });
    expect((await act('stop')).rc).toBe(OcfExit.SUCCESS);
    expect(dumpBits(dumps('lun0')[0]!).bits).toEqual([7]);
    expect(state('lun0')).toBe('DDMAP_CLEAN');
  });

  it('an era device that no longer matches its LV (resized) is rebuilt at start when nothing holds it', async () => {
    await act('start');
    unlinkSync(markerPath(new Root(root), INSTANCE));
    updateEraDouble(root, (s) => { s.vgs[VG]!.lvs['lun0']!.sectors *= 2; });
    expect((await act('start')).rc).toBe(OcfExit.SUCCESS);
    expect(readEraDouble(root).era[ERA0]!.sectors).toBe(2 * 64 * MiB / 512);
  });
});

describe('ddmap backend=era: parameters', () => {
  it('needs lvs, refuses targets and bad names with 2 (not configured), touching nothing', async () => {
    expect(await act('start', { lvs: '' })).toMatchObject({ rc: OcfExit.ERR_CONFIGURED, reason: 'parameter lvs: backend=era needs the logical volumes to track' });
    expect(await act('start', { targets: 'iqn.2003-01.org.example:t1' })).toMatchObject({ rc: OcfExit.ERR_CONFIGURED });
    expect((await act('validate', { lvs: 'ok bad/name' })).rc).toBe(OcfExit.ERR_CONFIGURED);
    expect((await act('validate', { lvs: 'lun0_eramd' })).reason).toMatch(/era metadata volume/);
    expect((await act('validate', { extra_devices: '^/dev/(' })).rc).toBe(OcfExit.ERR_CONFIGURED);
    expect(eraDevices()).toEqual([]);
    expect(readEraDouble(root).log).toEqual([]);
  });
});
