/**
 * The compiled configuration cache monitors use: a hit only when nothing it came from changed,
 * private files only, and a target monitor that follows configuration edits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cacheKey, readDesiredCache, writeDesiredCache, SETTLED_MS, type CacheInputs } from '../../lib/configfs/desired-cache.js';
import type { DesiredState } from '../../lib/configfs/model.js';
import { createTargetActions } from '../../agents/target/actions.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { ctxFor, makeRoot, CONFIG } from '../target/setup.js';

const STATE: DesiredState = {
  storageObjects: new Map([['/backstores/block/lun0', { kind: 'block', name: 'lun0', dev: '/dev/vg1/lv0', readonly: false, attributes: { emulate_tpu: '1' } }]]),
  targets: new Map([['iqn.2003-01.org.example:t1', { wwn: 'iqn.2003-01.org.example:t1', tpgs: [] }]]),
};
const past = (p: string) => utimesSync(p, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

let dir: string;
let inputs: CacheInputs;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lioha-cache-'));
  writeFileSync(join(dir, 'saveconfig.json'), '{"targets": []}', { mode: 0o600 });
  past(join(dir, 'saveconfig.json'));
  inputs = { agent: 'build-1', iqns: ['iqn.2003-01.org.example:t1'], deriveWwn: false, config: join(dir, 'saveconfig.json') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('desired-state cache', () => {
  it('gives back what was written, Maps included, for the same key', () => {
    const k = cacheKey(inputs)!;
    expect(k.settled).toBe(true);
    const file = join(dir, 'run/cache/t.json');
    writeDesiredCache(file, k.key, STATE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run/cache')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o755);
    const back = readDesiredCache(file, k.key)!;
    expect(back.storageObjects).toBeInstanceOf(Map);
    expect(back).toEqual(STATE);
  });

  it('keeps the values the kernel decides (start warns about them from the copy)', () => {
    const k = cacheKey(inputs)!;
    const file = join(dir, 'run/cache/t.json');
    const withDecided: DesiredState = { ...STATE, kernelDecided: ['/backstores/block/lun0 emulate_write_cache=1 (iblock takes the write cache from the backing device)'] };
    writeDesiredCache(file, k.key, withDecided);
    expect(readDesiredCache(file, k.key)).toEqual(withDecided);
  });

  it('changes its key with the file, its mode, the parameters and the agent build', () => {
    const k = cacheKey(inputs)!.key;
    expect(cacheKey({ ...inputs, iqns: ['iqn.2003-01.org.example:t2'] })!.key).not.toBe(k);
    expect(cacheKey({ ...inputs, deriveWwn: true })!.key).not.toBe(k);
    expect(cacheKey({ ...inputs, agent: 'build-2' })!.key).not.toBe(k);
    chmodSync(inputs.config, 0o644);
    expect(cacheKey(inputs)!.key).not.toBe(k);
    chmodSync(inputs.config, 0o600);
    writeFileSync(inputs.config, '{"targets": [1]}');
    expect(cacheKey(inputs)!.key).not.toBe(k);
  });

  it('is not settled while a file it came from is younger than SETTLED_MS', () => {
    writeFileSync(inputs.config, '{"targets": [ ]}');
    expect(cacheKey(inputs)!.settled).toBe(false);
    expect(cacheKey(inputs, Date.now() + SETTLED_MS)!.settled).toBe(true);
  });

  it('has no key when the configuration is missing', () => {
    expect(cacheKey({ ...inputs, config: join(dir, 'nope.json') })).toBeUndefined();
  });

  it('ignores a cache file with another key, readable by others, or malformed', () => {
    const k = cacheKey(inputs)!.key;
    const file = join(dir, 'run/cache/t.json');
    writeDesiredCache(file, k, STATE);
    expect(readDesiredCache(file, `${k}x`)).toBeUndefined();
    chmodSync(file, 0o644);
    expect(readDesiredCache(file, k)).toBeUndefined();
    chmodSync(file, 0o600);
    writeFileSync(file, '{"key":');
    expect(readDesiredCache(file, k)).toBeUndefined();
  });

  it('is not written into a cache directory others can enter', () => {
    const file = join(dir, 'run/cache/t.json');
    writeDesiredCache(file, 'k', STATE);
    chmodSync(join(dir, 'run/cache'), 0o755);
    rmSync(file);
    writeDesiredCache(file, 'k', STATE);
    expect(existsSync(file)).toBe(false);
  });
});

describe('target start with the cache', () => {
  const actions = createTargetActions();
  let fx: ReturnType<typeof makeRoot>;
  beforeEach(() => { fx = makeRoot(); past(join(fx.root, CONFIG)); });
  afterEach(() => fx.cleanup());
  const cached = () => join(fx.root, 'run/lioha/cache/target-test-target.json');
  const start = async () => {
    const ctx = ctxFor(fx.root, 'start');
    try { return { code: await actions.start(ctx as never) }; } catch (e) { return { code: -1, reason: (e as Failure).reason }; }
  };

  it('starts from the compiled copy a probe left while the configuration is unchanged, and from the file after an edit', async () => {
    // The probe on this node (before any start) leaves the compiled copy.
    expect((await actions.monitor(ctxFor(fx.root, 'monitor') as never))).toBe(OcfExit.NOT_RUNNING);
    const good = readFileSync(cached(), 'utf8');
    // Served from the copy: doctor it (same key) and the start builds what it says.
    writeFileSync(cached(), good.replaceAll('"/dev/vg1/lv-lun0"', '"/dev/vg1/lv-doctored"'), { mode: 0o600 });
    writeFileSync(join(fx.root, 'dev/vg1/lv-doctored'), '');
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    const udev = () => readFileSync(join(fx.base, 'core/iblock_0/lun0/udev_path'), 'utf8').trim();
    expect(udev()).toBe('/dev/vg1/lv-doctored');
    await actions.stop(ctxFor(fx.root, 'stop') as never);
    // The admin edits the configuration: the key changes, the start reads the file.
    const cfgPath = join(fx.root, CONFIG);
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('/dev/vg1/lv-lun0', '/dev/vg1/lv-lun9'));
    writeFileSync(join(fx.root, 'dev/vg1/lv-lun9'), '');
    expect((await start()).code).toBe(OcfExit.SUCCESS);
    expect(udev()).toBe('/dev/vg1/lv-lun9');
  });

  it('refuses a broken configuration at start even when an older copy is cached', async () => {
    expect((await actions.monitor(ctxFor(fx.root, 'monitor') as never))).toBe(OcfExit.NOT_RUNNING);
    expect(existsSync(cached())).toBe(true);
    writeFileSync(join(fx.root, CONFIG), '{"targets": [');
    const r = await start();
    expect(r.code).toBe(-1);
    expect(r.reason).toMatch(/JSON|json|parse/i);
  });
});

describe('target monitor with the cache', () => {
  const actions = createTargetActions();
  let fx: ReturnType<typeof makeRoot>;
  beforeEach(() => { fx = makeRoot(); past(join(fx.root, CONFIG)); });
  afterEach(() => fx.cleanup());
  const monitor = async () => {
    try { return { code: await actions.monitor(ctxFor(fx.root, 'monitor') as never) }; } catch (e) { return { code: -1, reason: (e as Failure).reason }; }
  };

  it('caches a settled configuration and follows an edit of it', async () => {
    expect((await actions.start(ctxFor(fx.root, 'start') as never))).toBe(OcfExit.SUCCESS);
    expect((await monitor()).code).toBe(OcfExit.SUCCESS);
    const cached = join(fx.root, 'run/lioha/cache/target-test-target.json');
    expect(existsSync(cached)).toBe(true);
    // A hit is served from the cache: doctor the cached state (same key) and the monitor reports it.
    const good = readFileSync(cached, 'utf8');
    writeFileSync(cached, good.replace('"/dev/vg1/lv-lun0"', '"/dev/vg1/lv-doctored"'), { mode: 0o600 });
    expect((await monitor()).reason).toMatch(/lv-doctored/);
    writeFileSync(cached, good, { mode: 0o600 });
    expect((await monitor()).code).toBe(OcfExit.SUCCESS);
    // The admin moves LUN 0 to another device: the next monitor sees the difference.
    const cfgPath = join(fx.root, CONFIG);
    const text = readFileSync(cfgPath, 'utf8');
    expect(text).toContain('/dev/vg1/lv-lun0');
    writeFileSync(cfgPath, text.replace('/dev/vg1/lv-lun0', '/dev/vg1/lv-lun9'));
    const m = await monitor();
    expect(m.code).toBe(-1);
    expect(m.reason).toMatch(/lv-lun9/);
  });
});
