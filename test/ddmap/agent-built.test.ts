/** The built ddmap executable, out of process, the way Pacemaker runs it. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentDir, runBuiltAgent } from '../helpers/agent.js';
import { SAMPLE_TARGETS, buildIetProc, entryId, entryPath, makeVgDir, tearEntry } from './iet-fixture.js';
import { eraBin, eraWrite, lioHolds, lioReleases, prepareEraFixture, readEraDouble, setBits } from './era-fixture.js';
import { decodeImage } from '../../lib/ddmap/format.js';

const built = existsSync(join(agentDir, 'ddmap'));
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ddmap-built-'));
  await buildIetProc(root, SAMPLE_TARGETS);
  await makeVgDir(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.skipIf(!built)('built ddmap agent', () => {
  const params = { vgname: 'vg_dsk_0' };

  it('start, monitor, stop with a torn map: one exit reason naming the LUN, map resumed, DIRTY', async () => {
    expect(runBuiltAgent('ddmap', 'start', { root, params }).code).toBe(0);
    expect(runBuiltAgent('ddmap', 'monitor', { root, params, env: { OCF_RESKEY_CRM_meta_interval: '30000' } }).code).toBe(0);
    const t = SAMPLE_TARGETS[1]!;
    const id = entryId(t, t.luns[0]!);
    await tearEntry(root, id, 100);
    const r = runBuiltAgent('ddmap', 'stop', { root, params });
    expect(r.code).toBe(1);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/saving the change map failed \(marked DIRTY\): lv-db: capture of .*lv-db\.0 failed: map read returned/);
    expect((await readFile(entryPath(root, id))).subarray(100).toString('latin1')).toBe('mapsuspendmapresume');
    const dir = join(root, 'mnt/iscsi-target/vg_dsk_0/ddmap');
    expect(await readFile(join(dir, 'lv-db.state'), 'utf8')).toBe('DDMAP_DIRTY\n');
    expect((await readdir(dir)).filter((n) => n.startsWith('lv_junk.') && n.endsWith('.ddmapdump'))).toHaveLength(1);
  });

  it('probe without IET at all is 7; start then says which interface is missing (exit 5)', async () => {
    await rm(join(root, 'proc'), { recursive: true });
    expect(runBuiltAgent('ddmap', 'monitor', { root, params }).code).toBe(7);
    const r = runBuiltAgent('ddmap', 'start', { root, params });
    expect(r.code).toBe(5);
    expect(r.reasons).toEqual(['/proc/net/iet/volume is missing (IET iscsi_trgt module not loaded)']);
  });
});

describe.skipIf(!built)('built ddmap agent, backend=era', () => {
  it('start creates the era device, a write is dumped exactly by stop, which removes the device; a held device is refused (1)', async () => {
    const eraRoot = await mkdtemp(join(tmpdir(), 'ddmap-built-era-'));
    try {
      const dir = prepareEraFixture(eraRoot, 'vg1', { lun0: 16 << 20 });
      const params = { vgname: 'vg1', backend: 'era', lvs: 'lun0' };
      const run = (action: string) => runBuiltAgent('ddmap', action, { root: eraRoot, params, env: { LIOHA_PATH: eraBin } });
      expect(run('start').code).toBe(0);
      expect(Object.keys(readEraDouble(eraRoot).era)).toEqual(['era-vg1-lun0']);
      expect(run('monitor').code).toBe(0);
      eraWrite(eraRoot, 'era-vg1-lun0', 16384 * 3, 1);
      lioHolds(eraRoot, 'era-vg1-lun0');
      const held = run('stop');
      expect(held.code).toBe(1);
      expect(held.reasons[0]).toMatch(/^era device era-vg1-lun0 is open \(1: LIO backstore/);
      lioReleases(eraRoot, 'era-vg1-lun0');
      expect(run('stop').code).toBe(0);
      expect(readEraDouble(eraRoot).era).toEqual({});
      const dump = (await readdir(dir)).find((n) => n.endsWith('.ddmapdump'))!;
      expect(setBits(decodeImage(await readFile(join(dir, dump))).words)).toEqual([3]);
      expect(run('monitor').code).toBe(7);
    } finally {
      await rm(eraRoot, { recursive: true, force: true });
    }
  }, 60_000);
});
