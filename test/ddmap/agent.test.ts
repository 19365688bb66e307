import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoDir } from '../helpers/agent.js';
import { actions } from '../../agents/ddmap/actions.js';
import { definition } from '../../agents/ddmap/definition.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { encodeImage } from '../../lib/ddmap/format.js';
import { makeContext, memoryLogger } from '../helpers/context.js';
import { SAMPLE_TARGETS, buildIetProc, entryId, entryPath, liveImage, makeVgDir, readEntry, tearEntry } from './iet-fixture.js';

let root: string;
let ddmapDir: string;
const [T0, T1] = SAMPLE_TARGETS as [typeof SAMPLE_TARGETS[0], typeof SAMPLE_TARGETS[0]];
const JUNK = entryId(T0, T0.luns[0]!);
const DB = entryId(T1, T1.luns[0]!);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ddmap-agent-'));
  await buildIetProc(root, SAMPLE_TARGETS);
  ddmapDir = join(await makeVgDir(root), 'ddmap');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const params = { vgname: 'vg_dsk_0' };
function ctx(action: string, extra: Record<string, string> = {}, log = memoryLogger()) {
  return makeContext(definition, { action, root, params: { ...params, ...extra }, instance: 'p_ddmap_vg_dsk_0', log });
}
const run = async (action: 'start' | 'stop' | 'monitor', extra: Record<string, string> = {}, log = memoryLogger()) => {
  try {
    return { code: await actions[action](ctx(action, extra, log)), reason: '' };
  } catch (e) {
    if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason };
    throw e;
  }
};
const state = async (lv: string) => readFile(join(ddmapDir, `${lv}.state`), 'utf8').then((s) => s.trim(), () => 'absent');
const setState = async (lv: string, s: string) => {
  await mkdir(ddmapDir, { recursive: true });
  await writeFile(join(ddmapDir, `${lv}.state`), `DDMAP_${s}\n`);
};
const dumps = async (lv: string) => (await readdir(ddmapDir)).filter((n) => n.startsWith(`${lv}.`) && n.endsWith('.ddmapdump'));

describe('ddmap agent', () => {
  it('monitor is 7 before start; start applies UNKNOWN -> DIRTY and CLEAN -> ACTIVE, logs them, writes nothing into /proc', async () => {
    expect((await run('monitor')).code).toBe(OcfExit.NOT_RUNNING);
    await setState('lv-db', 'CLEAN');
    const before = await readFile(entryPath(root, JUNK));
    const log = memoryLogger();
    expect((await run('start', {}, log)).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv_junk')).toBe('DDMAP_DIRTY');
    expect(await state('lv-db')).toBe('DDMAP_ACTIVE');
    expect(await state('lv_x')).toBe('absent'); // another VG
    expect(log.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['lv_junk: UNKNOWN -> DIRTY (start)', 'lv-db: CLEAN -> ACTIVE (start)']));
    expect(await readFile(entryPath(root, JUNK))).toEqual(before);
    expect((await readEntry(root, DB)).commands).toEqual([]);
    expect(await readFile(join(ddmapDir, 'lv-db.log'), 'utf8')).toMatch(/ start DDMAP_CLEAN -> DDMAP_ACTIVE target=iqn\S+lv-db lun=0\n$/);
    expect((await run('monitor')).code).toBe(OcfExit.SUCCESS);
  });

  it('start is idempotent: a second start does not turn ACTIVE into DIRTY', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    expect((await run('start')).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv-db')).toBe('DDMAP_ACTIVE');
  });

  it('stop saves one byte-exact timestamped dump per LUN, ACTIVE -> CLEAN and DIRTY stays DIRTY; then monitor is 7', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    const log = memoryLogger();
    expect((await run('stop', {}, log)).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv-db')).toBe('DDMAP_CLEAN');
    expect(await state('lv_junk')).toBe('DDMAP_DIRTY');
    for (const [t, lv] of [[T0, 'lv_junk'], [T1, 'lv-db']] as const) {
      const names = await dumps(lv);
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(new RegExp(`^${lv}\\.\\d{8}-\\d{6}\\.\\d{9}\\.ddmapdump$`));
      expect(await readFile(join(ddmapDir, names[0]!))).toEqual(encodeImage(liveImage(t, t.luns[0]!)));
      expect((await readEntry(root, entryId(t, t.luns[0]!))).commands).toEqual(['mapsuspend', 'mapresume']);
    }
    expect(await readFile(join(ddmapDir, 'lv-db.log'), 'utf8')).toMatch(/ stop DDMAP_ACTIVE -> DDMAP_CLEAN dump=lv-db\.\S+\.ddmapdump suspend_ms=\d+\.\d+\n$/);
    expect((await run('monitor')).code).toBe(OcfExit.NOT_RUNNING);
    // stop again: nothing saved, nothing changed
    expect((await run('stop')).code).toBe(OcfExit.SUCCESS);
    expect(await dumps('lv-db')).toHaveLength(1);
  });

  it('full cycle: clean stop/start keeps ACTIVE; a crash (start over ACTIVE without stop) gives DIRTY', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await run('stop');
    await run('start');
    expect(await state('lv-db')).toBe('DDMAP_ACTIVE');
    await rm(join(root, 'run'), { recursive: true }); // node crash: /run is gone, states stay on the VG
    expect((await run('monitor')).code).toBe(OcfExit.NOT_RUNNING);
    expect((await run('stop')).code).toBe(OcfExit.SUCCESS); // a stop on the rebooted node touches nothing
    expect(await state('lv-db')).toBe('DDMAP_ACTIVE');
    await run('start');
    expect(await state('lv-db')).toBe('DDMAP_DIRTY');
  });

  it('stop over an UNKNOWN state (state file lost while running) saves the map and sets DIRTY', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await rm(join(ddmapDir, 'lv-db.state'));
    expect((await run('stop')).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv-db')).toBe('DDMAP_DIRTY');
    expect(await dumps('lv-db')).toHaveLength(1);
  });

  it('stop with an injected read failure still resumes the map, sets DIRTY, and fails naming the LUN', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await tearEntry(root, DB, 20 + 4 * 100);
    const r = await run('stop');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/lv-db: capture of .*lv-db\.0 failed: map read returned \d+ of 532 bytes \(map resumed\)/);
    expect(r.reason).toMatch(/marked DIRTY/);
    expect(await state('lv-db')).toBe('DDMAP_DIRTY');
    expect(await dumps('lv-db')).toEqual([]);
    const tail = (await readFile(entryPath(root, DB))).subarray(420).toString('latin1');
    expect(tail).toBe('mapsuspendmapresume');
    // the healthy LUN was still saved
    expect(await dumps('lv_junk')).toHaveLength(1);
    expect(await readFile(join(ddmapDir, 'lv-db.log'), 'utf8')).toMatch(/ stop-failed DDMAP_ACTIVE -> DDMAP_DIRTY capture of/);
    // the resource is not reported stopped after a failed stop
    expect((await run('monitor')).code).not.toBe(OcfExit.NOT_RUNNING);
  });

  it('stop when the map entry vanished (target gone) marks DIRTY and succeeds', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await rm(entryPath(root, DB));
    expect((await run('stop')).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv-db')).toBe('DDMAP_DIRTY');
    expect(await readFile(join(ddmapDir, 'lv-db.log'), 'utf8')).toMatch(/ lost DDMAP_ACTIVE -> DDMAP_DIRTY ddmap entry of .* is gone\n$/);
  });

  it('stop without the VG metadata filesystem fails and leaves ACTIVE (next start makes it DIRTY)', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await rm(join(root, 'mnt/iscsi-target/vg_dsk_0'), { recursive: true });
    const r = await run('stop');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/vg_dsk_0 does not exist \(is the VG metadata filesystem mounted\?\)/);
  });

  it('monitor: error when a map entry disappears while running, or a LUN is CLEAN under a running map', async () => {
    await run('start');
    await setState('lv-db', 'CLEAN');
    let r = await run('monitor');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/vg_dsk_0\/lv-db is CLEAN while its map is tracked/);
    await setState('lv-db', 'ACTIVE');
    await rm(entryPath(root, JUNK));
    r = await run('monitor');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/ddmap entry of .*lv-junk\.0 \(vg_dsk_0\/lv_junk\) is missing/);
  });

  it('monitor adopts a LUN exported after start as DIRTY (new volume: full read)', async () => {
    await run('start');
    const more = structuredClone(SAMPLE_TARGETS);
    more.push({ tid: 9, name: 'iqn.2026-11.test:new', luns: [{ lun: 0, vg: 'vg_dsk_0', lv: 'lv_new', sizeBytes: 2 ** 20 }] });
    await buildIetProc(root, more);
    expect((await run('monitor')).code).toBe(OcfExit.SUCCESS);
    expect(await state('lv_new')).toBe('DDMAP_DIRTY');
    await run('stop');
    expect(await dumps('lv_new')).toHaveLength(1);
  });

  it('start fails without changing any state when a LUN has no map entry, or IET lacks ddmap', async () => {
    await rm(entryPath(root, DB));
    let r = await run('start');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/no change map for LUN .*lv-db\.0/);
    expect(await state('lv_junk')).toBe('absent');
    await rm(join(root, 'proc/net/iet/ddmap'), { recursive: true });
    r = await run('start');
    expect(r.code).toBe(OcfExit.ERR_INSTALLED);
    expect(r.reason).toMatch(/ddmap patch/);
  });

  it('honours the targets and lvs selections', async () => {
    await run('start', { lvs: 'lv-db' });
    expect(await state('lv-db')).toBe('DDMAP_DIRTY');
    expect(await state('lv_junk')).toBe('absent');
    await run('stop', { lvs: 'lv-db' });
    await run('start', { targets: T0.name });
    expect(await state('lv_junk')).toBe('DDMAP_DIRTY');
  });

  it('validate refuses bad parameters', async () => {
    await expect(actions.validate!(ctx('validate-all', { state_dir: 'relative' }))).rejects.toThrow(/state_dir/);
    await expect(actions.validate!(ctx('validate-all', { vgname: 'a/b' }))).rejects.toThrow(/vgname/);
    await expect(actions.validate!(ctx('validate-all', { map_timeout: '0' }))).rejects.toThrow(/map_timeout/);
  });
});

// Issue 14 item 4: a capture killed between mapsuspend and mapresume, corrupt run markers and live maps.
describe('ddmap agent after crashes and corruption', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = mkdtempSync(join(tmpdir(), 'ddmap-kill-'));
    buildSync({
      stdin: {
        contents: "export { IetBackend } from './lib/ddmap/backends/iet/backend.ts'; export { fsProcEntryIo } from './lib/ddmap/backends/iet/proc-entry.ts'; export { Root } from './lib/sys/root.ts';",
        resolveDir: repoDir, loader: 'ts',
      },
      bundle: true, platform: 'node', format: 'esm', outfile: join(bundle, 'lib.mjs'), logLevel: 'error',
    });
    // A capture that is SIGKILLed right after its mapsuspend reached the entry.
    writeFileSync(join(bundle, 'kill.mjs'), `
import { IetBackend, Root, fsProcEntryIo } from './lib.mjs';
const [root, lv] = process.argv.slice(2);
const io = { async open(p) { const h = await fsProcEntryIo.open(p); return { ...h, async command(c) { await h.command(c); if (c === 'mapsuspend') process.kill(process.pid, 'SIGKILL'); } }; } };
const b = new IetBackend({ root: new Root(root), io });
const [lun] = (await b.listLuns('vg_dsk_0')).filter((l) => l.lv === lv);
await b.capture(lun, 5000);
`);
  });
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  const killMidCapture = (lv: string) => {
    const r = spawnSync(process.execPath, [join(bundle, 'kill.mjs'), root, lv], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
  };

  for (const action of ['monitor', 'start', 'stop'] as const) {
    it(`${action} resumes a map left suspended by a capture killed after mapsuspend, and says so`, async () => {
      await setState('lv-db', 'CLEAN');
      if (action !== 'start') await run('start');
      killMidCapture('lv-db');
      expect((await readEntry(root, DB)).commands).toEqual(['mapsuspend']);
      const log = memoryLogger();
      expect((await run(action, {}, log)).code).toBe(OcfExit.SUCCESS);
      const cmds = (await readEntry(root, DB)).commands;
      expect(cmds.slice(0, 2)).toEqual(['mapsuspend', 'mapresume']);
      expect(log.lines.some((l) => l.level === 'warn' && /lv-db\.0: map was left suspended by an interrupted capture by process \d+ .*resumed it/.test(l.msg))).toBe(true);
      expect(await readdir(join(root, 'run/lioha/ddmap/suspended'))).toEqual([]);
    });
  }

  it('a capture in progress (its process alive) is not resumed behind its back', async () => {
    await run('start');
    await mkdir(join(root, 'run/lioha/ddmap/suspended'), { recursive: true });
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    await writeFile(join(root, 'run/lioha/ddmap/suspended', `${DB}.json`), JSON.stringify({ id: DB, pid: process.pid, start, at: 'now' }));
    expect((await run('monitor')).code).toBe(OcfExit.SUCCESS);
    expect((await readEntry(root, DB)).commands).toEqual([]);
  });

  it('stop succeeds from the kernel state when the run marker is corrupt, saving every exported LUN', async () => {
    await setState('lv-db', 'CLEAN');
    await run('start');
    await writeFile(join(root, 'run/lioha/ddmap/p_ddmap_vg_dsk_0.json'), '{"vg": "vg_dsk_0", "lu');
    expect((await run('monitor')).code).toBe(OcfExit.ERR_GENERIC); // monitor reports it
    const log = memoryLogger();
    expect(await run('stop', {}, log)).toEqual({ code: OcfExit.SUCCESS, reason: '' });
    expect(log.lines.some((l) => l.level === 'warn' && /run marker .* is corrupt/.test(l.msg))).toBe(true);
    expect(await state('lv-db')).toBe('DDMAP_CLEAN');
    expect(await dumps('lv-db')).toHaveLength(1);
    expect(await dumps('lv_junk')).toHaveLength(1);
    expect((await run('monitor')).code).toBe(OcfExit.NOT_RUNNING);
  });

  it('monitor reports a corrupt or truncated live map header', async () => {
    await run('start');
    const good = await readFile(entryPath(root, DB));
    await writeFile(entryPath(root, DB), Buffer.concat([Buffer.from('garbage!'), good.subarray(8)]));
    let r = await run('monitor');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/live map header of .*lv-db\.0 is corrupt: not a ddmap image/);
    await tearEntry(root, DB, 12);
    r = await run('monitor');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/live map header of .*lv-db\.0 is corrupt: ddmap header needs 20 bytes, got 12/);
    await writeFile(entryPath(root, DB), good.subarray(0, 100));
    r = await run('monitor');
    expect(r.code).toBe(OcfExit.ERR_GENERIC);
    expect(r.reason).toMatch(/live map of .*lv-db\.0 is shorter than the 532 bytes its header declares \(truncated\)/);
    await writeFile(entryPath(root, DB), good);
    expect((await run('monitor')).code).toBe(OcfExit.SUCCESS);
  });
});
