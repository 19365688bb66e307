/** The built ddmap executable, out of process, the way Pacemaker runs it. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentDir, runBuiltAgent } from '../helpers/agent.js';
import { SAMPLE_TARGETS, buildIetProc, entryId, entryPath, makeVgDir, tearEntry } from './iet-fixture.js';

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
