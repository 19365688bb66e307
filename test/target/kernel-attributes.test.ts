/**
 * Attributes the running kernel does not have (newer or older than it) are skipped and named
 * once, as targetctl restore does, and validate-all names them before any start; a value the
 * kernel rejects fails start with the attribute named first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTargetActions } from '../../agents/target/actions.js';
import { Failure } from '../../lib/failure.js';
import { exitCodeOf } from '../../lib/ocf/dispatch.js';
import type { LogLine } from '../helpers/context.js';
import { roundTripDifferences } from './round-trip.js';
import { ctxFor, makeRoot, CONFIG } from './setup.js';

const actions = createTargetActions();
let fx: ReturnType<typeof makeRoot>;
beforeEach(() => { fx = makeRoot(); });
afterEach(() => fx.cleanup());

async function call(f: (ctx: never) => Promise<number>, ctx: unknown): Promise<{ code: number; reason?: string }> {
  try { return { code: await f(ctx as never) }; } catch (e) { if (e instanceof Failure) return { code: exitCodeOf(e), reason: e.reason }; throw e; }
}
function editConfig(f: (d: any) => void): void {
  const p = join(fx.root, CONFIG);
  const d = JSON.parse(readFileSync(p, 'utf8'));
  f(d);
  writeFileSync(p, JSON.stringify(d), { mode: 0o600 });
}

describe('attributes and the running kernel', () => {
  it('skips attributes this kernel lacks, names them once, and monitor does not fail on them', async () => {
    editConfig((d) => {
      d.storage_objects[0].attributes.emulate_rsoc = 1; // 6.4 and later
      d.storage_objects[1].attributes.fabric_max_sectors = 8192; // removed in 4.x
      d.targets[0].tpgs[0].attributes.some_future_knob = 3;
    });
    const v: LogLine[] = [];
    expect(await call(actions.validate, ctxFor(fx.root, 'validate-all', {}, { lines: v }))).toEqual({ code: 0 });
    const said = v.find((l) => l.level === 'warn')!.msg;
    expect(said).toMatch(/lacks configured attributes, which start will skip: attrib\/emulate_rsoc, attrib\/fabric_max_sectors, attrib\/some_future_knob$/);
    // validate-all as dispatch runs it before start: start names them itself, once
    const lines: LogLine[] = [];
    expect(await call(actions.validate, ctxFor(fx.root, 'start', {}, { lines }))).toEqual({ code: 0 });
    expect(await call(actions.start, ctxFor(fx.root, 'start', {}, { lines }))).toEqual({ code: 0 });
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toBe('configured attributes this kernel does not have were skipped: attrib/emulate_rsoc, attrib/fabric_max_sectors, attrib/some_future_knob');
    expect(await call(actions.monitor, ctxFor(fx.root, 'monitor', {}, { checkLevel: 10 }))).toEqual({ code: 0 });
    const again: LogLine[] = [];
    expect(await call(actions.start, ctxFor(fx.root, 'start', {}, { lines: again }))).toEqual({ code: 0 });
    expect((again.find((l) => l.msg === 'target started')!.fields as Record<string, number>).mutating).toBe(0);
  });

  it('a value the kernel rejects fails start, naming the attribute first', async () => {
    editConfig((d) => { d.storage_objects[2].attributes.emulate_3pc = 4294967295; });
    const r = await call(actions.start, ctxFor(fx.root, 'start'));
    expect(r.code).toBe(1);
    expect(r.reason).toMatch(/^start: kernel rejected attrib\/emulate_3pc="4294967295" \(EINVAL\) on core\/iblock_\d\/lun2$/);
    expect(r.reason!.length).toBeLessThanOrEqual(128);
  });

  it('a malformed device-bound value still fails start (only a well-formed limit counts as the device refusing it)', async () => {
    editConfig((d) => { d.storage_objects[2].attributes.unmap_zeroes_data = 4294967295; });
    const r = await call(actions.start, ctxFor(fx.root, 'start'));
    expect(r.code).toBe(1);
    expect(r.reason).toMatch(/^start: kernel rejected attrib\/unmap_zeroes_data="4294967295" \(EINVAL\)/);
  });

  it('device limits saved on another node that this device refuses: start keeps the kernel value and warns, monitor 10 passes, a second start writes nothing', async () => {
    // A saveconfig.json saved on the peer carries the peer device's optimal_sectors (its hw_max_sectors).
    editConfig((d) => {
      d.storage_objects[0].attributes.optimal_sectors = 4294967288;
      d.storage_objects[0].attributes.emulate_tpu = 1;
    });
    const so = readFileSync(join(fx.root, CONFIG), 'utf8');
    const lines: LogLine[] = [];
    expect(await call(actions.start, ctxFor(fx.root, 'start', {}, { lines }))).toEqual({ code: 0 });
    const name: string = JSON.parse(so).storage_objects[0].name;
    const hba = readdirSync(join(fx.base, 'core')).find((h) => existsSync(join(fx.base, 'core', h, name)))!;
    const attrib = (a: string) => readFileSync(join(fx.base, 'core', hba, name, 'attrib', a), 'utf8');
    expect(attrib('optimal_sectors')).toBe(attrib('hw_max_sectors'));
    expect(attrib('optimal_sectors')).not.toBe('4294967288\n');
    const warns = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(/^the kernel kept its own value for device-bound attributes it refused: optimal_sectors=4294967288 on core\/iblock_\d+\/\w+ \(EINVAL\)$/);
    expect(await call(actions.monitor, ctxFor(fx.root, 'monitor', {}, { checkLevel: 10 }))).toEqual({ code: 0 });
    const again: LogLine[] = [];
    expect(await call(actions.start, ctxFor(fx.root, 'start', {}, { lines: again }))).toEqual({ code: 0 });
    expect((again.find((l) => l.msg === 'target started')!.fields as Record<string, number>).mutating).toBe(0);
  });
});

describe('two kernels', () => {
  it('validate-all on a 6.12 node names what 6.12 lacks (netif_timeout), not what 6.1 lacks', async () => {
    const { createEmulatedConfigFs } = await import('../../lib/configfs/emulator-fixture.js');
    createEmulatedConfigFs(fx.root, { kernel: '6.12' });
    editConfig((d) => {
      d.storage_objects[0].attributes.emulate_rsoc = 1;
      d.storage_objects[0].attributes.submit_type = 0;
      d.targets[0].tpgs[0].attributes.netif_timeout = 2;
    });
    const v: LogLine[] = [];
    expect(await call(actions.validate, ctxFor(fx.root, 'validate-all', {}, { lines: v }))).toEqual({ code: 0 });
    expect(v.find((l) => l.level === 'warn')!.msg).toMatch(/^this kernel \(6\.12\.0-lioha-emulated\) lacks configured attributes, which start will skip: attrib\/netif_timeout$/);
    const lines: LogLine[] = [];
    expect(await call(actions.start, ctxFor(fx.root, 'start', {}, { lines }))).toEqual({ code: 0 });
    expect(readFileSync(join(fx.base, 'core/iblock_0/lun0/attrib/emulate_rsoc'), 'utf8')).toBe('1\n');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['configured attributes this kernel does not have were skipped: attrib/netif_timeout']);
  });
});

describe('round-trip checker', () => {
  it('finds a changed, a dropped and an added object', () => {
    const input = { storage_objects: [{ name: 'a', plugin: 'block', dev: '/dev/x', attributes: { queue_depth: 64 } }],
      targets: [{ fabric: 'iscsi', wwn: 'iqn.2000-01.x:t', tpgs: [{ tag: 1, luns: [{ index: 0, storage_object: '/backstores/block/a' }], node_acls: [{ node_wwn: 'iqn.2000-01.x:i', tcq_depth: 16 }] }] }] };
    const saved = structuredClone(input) as any;
    delete saved.targets[0].tpgs[0].node_acls[0].tcq_depth;
    expect(roundTripDifferences(input, saved, ['iqn.2000-01.x:t'], new Set())).toEqual([]);
    saved.storage_objects[0].attributes.queue_depth = 32;
    saved.targets[0].tpgs[0].luns.push({ index: 1, storage_object: '/backstores/block/a' });
    expect(roundTripDifferences(input, saved, ['iqn.2000-01.x:t'], new Set())).toEqual([
      'iqn.2000-01.x:t.tpg1.luns: 2 saved, 1 in input',
      '/backstores/block/a.attributes.queue_depth: input 64, saved 32',
    ]);
    expect(roundTripDifferences(input, saved, ['iqn.2000-01.x:t'], new Set(['queue_depth']))).toEqual([
      'iqn.2000-01.x:t.tpg1.luns: 2 saved, 1 in input',
      '/backstores/block/a.attributes.queue_depth: reported missing but saved',
    ]);
  });
});

describe('identity across the resources of a node', () => {
  it('refuses to start a target whose LUN would repeat the NAA id of a live object of another resource', async () => {
    expect(await call(actions.start, ctxFor(fx.root, 'start'))).toEqual({ code: 0 });
    const p = join(fx.root, 'etc/target/other.json');
    const d = JSON.parse(readFileSync(p, 'utf8'));
    d.storage_objects[0].wwn = '91cbe9dd-de44-4151-b1fe-4f1f485528ff'; // lun0's serial, but for the last digits
    writeFileSync(p, JSON.stringify(d));
    const r = await call(actions.start, ctxFor(fx.root, 'start', { iqn: 'iqn.2016-09.com.example:other', config: '/etc/target/other.json' }));
    // node-local (the other resource's object is live here only): 1, not 6, which would ban it from every node
    expect(r.code).toBe(1);
    expect(r.reason).toMatch(/^same NAA id for \/backstores\/block\/lun0 \(live\) and \/backstores\/ramdisk\/rd0 /);
  });
});
