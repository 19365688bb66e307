import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTempName, writeFileAtomic } from '../../lib/ddmap/atomic.js';
import { DdmapStore, StoreError, parseDumpName } from '../../lib/ddmap/store.js';
import { formatTimestamp, parseTimestamp } from '../../lib/ddmap/timestamp.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddmap-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = new Date(Date.UTC(2011, 3, 14, 23, 0, 52, 366));

describe('dump names', () => {
  it('use the manual\'s <lv>.<YYYYMMDD-HHMMSS.nnnnnnnnn>.ddmapdump form (UTC)', () => {
    expect(formatTimestamp(at, 82000)).toBe('20110414-230052.366082000');
    expect(parseTimestamp('20110414-230052.366082000')?.toISOString()).toBe('2011-04-14T23:00:52.366Z');
    expect(parseDumpName('lv_csc0_gfs_vol00.20110414-230052.366082000.ddmapdump')).toEqual({ lv: 'lv_csc0_gfs_vol00', timestamp: '20110414-230052.366082000' });
    expect(parseDumpName('lv.with.dots.20110414-230052.366082000.ddmapdump')?.lv).toBe('lv.with.dots');
    expect(parseDumpName('lv.state')).toBeNull();
    expect(parseDumpName('.lv.20110414-230052.366082000.ddmapdump.tmp-12-0')).toBeNull();
  });
});

describe('DdmapStore', () => {
  it('refuses to work when <state_dir>/<vg> is missing (VG filesystem not mounted) and creates ddmap/ under it', async () => {
    const s = new DdmapStore(dir, 'vg0');
    await expect(s.ensure()).rejects.toThrow(StoreError);
    await mkdir(join(dir, 'vg0'));
    await s.ensure();
    expect(await readdir(join(dir, 'vg0'))).toEqual(['ddmap']);
  });

  it('states: UNKNOWN when absent, DDMAP_<STATE> in <lv>.state, every change appended to <lv>.log', async () => {
    await mkdir(join(dir, 'vg0'));
    const s = new DdmapStore(dir, 'vg0');
    await s.ensure();
    expect(await s.readState('lv1')).toBe('UNKNOWN');
    expect(await s.setState('lv1', 'DIRTY', 'start', 'target=iqn.x lun=0', at)).toEqual({ lv: 'lv1', from: 'UNKNOWN', to: 'DIRTY', event: 'start' });
    await s.setState('lv1', 'ACTIVE', 'backup', '', new Date(at.getTime() + 1000));
    expect(await readFile(join(dir, 'vg0/ddmap/lv1.state'), 'utf8')).toBe('DDMAP_ACTIVE\n');
    expect((await readFile(join(dir, 'vg0/ddmap/lv1.log'), 'utf8')).split('\n')).toEqual([
      '2011-04-14T23:00:52.366Z start DDMAP_UNKNOWN -> DDMAP_DIRTY target=iqn.x lun=0',
      '2011-04-14T23:00:53.366Z backup DDMAP_DIRTY -> DDMAP_ACTIVE',
      '',
    ]);
    await writeFile(join(dir, 'vg0/ddmap/lv1.state'), 'garbage\n');
    await expect(s.readState('lv1')).rejects.toThrow(/not a ddmap state/);
    expect(() => s.statePath('../etc/passwd')).toThrow(StoreError);
  });

  it('writes dumps atomically under distinct names, lists them oldest first, and knows its LVs', async () => {
    await mkdir(join(dir, 'vg0'));
    const s = new DdmapStore(dir, 'vg0');
    await s.ensure();
    const a = await s.writeDump('lv1', new Uint8Array([1, 2, 3]), at);
    const b = await s.writeDump('lv1', new Uint8Array([4]), at); // same instant: still a new file
    const c = await s.writeDump('lv2', new Uint8Array([5]), new Date(at.getTime() + 5));
    expect(a).not.toBe(b);
    expect([...(await readFile(a))]).toEqual([1, 2, 3]);
    expect((await s.listDumps('lv1')).map((d) => d.path)).toEqual([a, b].sort());
    expect((await s.listDumps()).map((d) => d.path).at(-1)).toBe(c);
    await s.setState('lv3', 'CLEAN', 'admin');
    expect(await s.listLvs()).toEqual(['lv1', 'lv2', 'lv3']);
    expect((await readdir(s.dir)).filter(isTempName)).toEqual([]);
  });

  it('a partial temp file left by a crash is ignored by readers and removed by the next save', async () => {
    await mkdir(join(dir, 'vg0'));
    const s = new DdmapStore(dir, 'vg0');
    await s.ensure();
    const good = await s.writeDump('lv1', new Uint8Array([9, 9]), at);
    const partial = join(s.dir, `.lv1.20250101-000000.000000000.ddmapdump.tmp-4242-0`);
    await writeFile(partial, Buffer.from('ddma'));
    expect((await s.listDumps('lv1')).map((d) => d.path)).toEqual([good]);
    expect(await s.listLvs()).toEqual(['lv1']);
    expect(await s.removeStaleTemps('lv1')).toEqual([partial.slice(partial.lastIndexOf('/') + 1)]);
    expect(await readdir(s.dir)).toEqual([good.slice(good.lastIndexOf('/') + 1)]);
  });

  it('a writer killed between fsync and rename leaves the old file intact and only a temp file behind', async () => {
    const target = join(dir, 'f.ddmapdump');
    await writeFileAtomic(target, 'old');
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(join(process.cwd(), 'lib/ddmap/atomic.ts'))};
      await writeFileAtomic(${JSON.stringify(target)}, 'new-content', { beforeRename: () => process.kill(process.pid, 'SIGKILL') });
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBe('SIGKILL');
    expect(await readFile(target, 'utf8')).toBe('old');
    const temps = (await readdir(dir)).filter(isTempName);
    expect(temps).toHaveLength(1);
    expect(await readFile(join(dir, temps[0]!), 'utf8')).toBe('new-content');
  });
});
