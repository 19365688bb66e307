/**
 * crm_simulate scenarios on the CIB the generated crmsh script builds (the
 * offline test proves the pcs script builds the same one). Each asserts the
 * transition graph: what runs where, and what waits for what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AGENTS } from '../../agents/registry.js';
import { generateScript } from '../../cli/cluster/generate.js';
import {
  buildCib, changes, metadataLayer, missingTools, removeTemps, placement, Simulation, tmp, waitsFor, type GraphAction,
} from './cib-tools.js';

const missing = missingTools();
const isRoot = process.getuid?.() === 0;
const A = 'iscsitgt01a';
const S = 'iscsitgt01s';
const GROUP = ['p_vg_vg1', 'p_target_vg1', 'p_portal_vg1'];

type Graph = Map<string, GraphAction>;

/** Asserts: DRBD promoted on `node` before the group's first member starts, members start in order. */
function expectOrderedStart(g: Graph, node: string, clonePrimitive: string, members: readonly string[]): void {
  const promote = `${clonePrimitive}_promote_0@${node}`;
  expect(g.has(promote), `${promote} in the graph`).toBe(true);
  const starts = members.map((m) => `${m}_start_0@${node}`);
  for (const s of starts) expect(g.has(s), `${s} in the graph`).toBe(true);
  expect(waitsFor(g, starts[0]!, promote), `${starts[0]} waits for ${promote}`).toBe(true);
  for (let i = 1; i < starts.length; i++) {
    expect(waitsFor(g, starts[i]!, starts[i - 1]!), `${starts[i]} waits for ${starts[i - 1]}`).toBe(true);
    expect(waitsFor(g, starts[i - 1]!, starts[i]!)).toBe(false);
  }
}

/** Asserts: members stop in reverse order, and DRBD is demoted on `node` only after the first member stopped. */
function expectOrderedStop(g: Graph, node: string, clonePrimitive: string, members: readonly string[]): void {
  const stops = members.map((m) => `${m}_stop_0@${node}`);
  for (let i = stops.length - 1; i > 0; i--) {
    expect(waitsFor(g, stops[i - 1]!, stops[i]!), `${stops[i - 1]} waits for ${stops[i]}`).toBe(true);
  }
  expect(waitsFor(g, `${clonePrimitive}_demote_0@${node}`, stops[0]!), 'demote waits for the group to stop').toBe(true);
}

describe.skipIf(missing.length > 0 || !isRoot)('crm_simulate: seed layout (r0, g_tgt, preferred iscsitgt01a)', () => {
  let layer: string;
  let cib: string;
  let dir: string;
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
    const script = readFileSync(new URL('../../crm/iscsitgt01.crm.sh', import.meta.url), 'utf8');
    cib = buildCib('crm', script, [A, S], layer);
    dir = tmp('sim');
  }, 60_000);
  afterAll(() => {
    rmSync(layer, { recursive: true, force: true });
    removeTemps();
  });

  const fresh = (name: string, scores: 'drbd' | 'equal' = 'drbd'): Simulation => {
    const d = join(dir, name);
    cpSync(cib, join(d, 'cib.xml'), { recursive: true });
    return new Simulation(join(d, 'cib.xml'), d, { ms_drbd_r0: 'p_drbd_r0' }, scores);
  };

  /** Both nodes up and settled: g_tgt on the preferred node. */
  async function started(name: string, scores: 'drbd' | 'equal' = 'drbd'): Promise<{ sim: Simulation; graphs: Graph[] }> {
    const sim = fresh(name, scores);
    const graphs = await sim.settle({ up: [A, S] });
    return { sim, graphs };
  }

  it('initial start: promote on the preferred node, then vg, target, portal in order', async () => {
    const { sim, graphs } = await started('initial');
    const g = graphs.find((x) => x.has(`p_drbd_r0_promote_0@${A}`))!;
    expect(g).toBeDefined();
    expectOrderedStart(g, A, 'p_drbd_r0', GROUP);
    const p = await placement(sim.file);
    expect(p.promoted['ms_drbd_r0']).toEqual([A]);
    expect(p.unpromoted['ms_drbd_r0']).toEqual([S]);
    expect(p.started).toEqual(Object.fromEntries(GROUP.map((m) => [m, A])));
  });

  it('the preferred node fails: promote on the peer, then the members in order there', async () => {
    const { sim } = await started('failover');
    const [g] = await sim.settle({ fail: [A] });
    expectOrderedStart(g!, S, 'p_drbd_r0', GROUP);
    expect(changes(g!).filter((k) => k.endsWith(`@${A}`))).toEqual([]); // nothing scheduled on the dead node
    const p = await placement(sim.file);
    expect(p.promoted['ms_drbd_r0']).toEqual([S]);
    expect(p.started).toEqual(Object.fromEntries(GROUP.map((m) => [m, S])));
  });

  it.each(['drbd', 'equal'] as const)(
    'the preferred node returns: nothing moves back (promotion scores: %s)',
    async (scores) => {
      const { sim } = await started(`return-${scores}`, scores);
      await sim.settle({ fail: [A] });
      sim.rebooted(A);
      const graphs = await sim.settle({ up: [A] });
      // The returning node only gets DRBD started as a Secondary (plus probes).
      const moved = graphs.flatMap(changes);
      expect(moved).toEqual([`p_drbd_r0_start_0@${A}`]);
      const p = await placement(sim.file);
      expect(p.promoted['ms_drbd_r0']).toEqual([S]);
      expect(p.unpromoted['ms_drbd_r0']).toEqual([A]);
      expect(p.started).toEqual(Object.fromEntries(GROUP.map((m) => [m, S])));
    },
  );

  it('control: the same scenario without stickiness does fail back (so the check above can fail)', async () => {
    const script = readFileSync(new URL('../../crm/iscsitgt01.crm.sh', import.meta.url), 'utf8').replace(
      /resource-stickiness=\d+/g,
      'resource-stickiness=0',
    );
    const d = join(dir, 'control');
    mkdirSync(d);
    const sim = new Simulation(buildCib('crm', script, [A, S], layer), d, { ms_drbd_r0: 'p_drbd_r0' }, 'equal');
    await sim.settle({ up: [A, S] });
    await sim.settle({ fail: [A] });
    sim.rebooted(A);
    const moved = (await sim.settle({ up: [A] })).flatMap(changes);
    expect(moved).toContain(`p_vg_vg1_start_0@${A}`);
  });

  it('move: group stops in reverse, demote, promote on the peer, members start in order; clear moves nothing back', async () => {
    const { sim } = await started('move');
    sim.tool('crm_resource', ['--move', '--resource', 'g_tgt']);
    const graphs = await sim.settle();
    const g = graphs[0]!;
    expectOrderedStop(g, A, 'p_drbd_r0', GROUP);
    expectOrderedStart(g, S, 'p_drbd_r0', GROUP);
    expect(waitsFor(g, `p_drbd_r0_promote_0@${S}`, `p_drbd_r0_demote_0@${A}`)).toBe(true);
    expect((await placement(sim.file)).started).toEqual(Object.fromEntries(GROUP.map((m) => [m, S])));
    expect(readFileSync(sim.file, 'utf8')).toContain('cli-ban-g_tgt-on-iscsitgt01a');

    sim.tool('crm_resource', ['--clear', '--resource', 'g_tgt']);
    expect(readFileSync(sim.file, 'utf8')).not.toContain('cli-ban');
    const after = await sim.settle();
    expect(after.flatMap(changes)).toEqual([]);
    expect((await placement(sim.file)).started).toEqual(Object.fromEntries(GROUP.map((m) => [m, S])));
  });

  it('a failed monitor restarts the member and the ones after it, in place', async () => {
    const { sim } = await started('recover');
    // Inject a failed recurring monitor of the target (rc 7: its configfs tree vanished).
    sim.tool('crm_simulate', ['-x', sim.file, '-i', `p_target_vg1_monitor_10000@${A}=7`, '-O', `${sim.file}`]);
    const [g] = await sim.settle();
    const ops = changes(g!);
    expect(ops).toEqual(
      [`p_portal_vg1_start_0@${A}`, `p_portal_vg1_stop_0@${A}`, `p_target_vg1_start_0@${A}`, `p_target_vg1_stop_0@${A}`].sort(),
    );
    expect(waitsFor(g!, `p_target_vg1_stop_0@${A}`, `p_portal_vg1_stop_0@${A}`)).toBe(true);
    expect(waitsFor(g!, `p_portal_vg1_start_0@${A}`, `p_target_vg1_start_0@${A}`)).toBe(true);
  });
});

describe.skipIf(missing.length > 0 || !isRoot)('crm_simulate: active/active (two VGs prefer different nodes)', () => {
  const A2 = 'iscsitgt02a';
  const B2 = 'iscsitgt02b';
  let layer: string;
  let dir: string;
  let sim: Simulation;
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
    const script = readFileSync(new URL('../../crm/active-active.crm.sh', import.meta.url), 'utf8');
    const cib = buildCib('crm', script, [A2, B2], layer);
    dir = tmp('sim-aa');
    sim = new Simulation(cib, dir, { ms_drbd_r0: 'p_drbd_r0', ms_drbd_r1: 'p_drbd_r1' });
  }, 60_000);
  afterAll(() => {
    rmSync(layer, { recursive: true, force: true });
    removeTemps();
  });

  it('each group starts on its own preferred node, after its own DRBD promotion', async () => {
    const graphs = await sim.settle({ up: [A2, B2] });
    const g0 = graphs.find((g) => g.has(`p_drbd_r0_promote_0@${A2}`))!;
    const g1 = graphs.find((g) => g.has(`p_drbd_r1_promote_0@${B2}`))!;
    expectOrderedStart(g0, A2, 'p_drbd_r0', ['p_vg_vg_dsk_0', 'p_target_vg_dsk_0', 'p_portal_vg_dsk_0']);
    expectOrderedStart(g1, B2, 'p_drbd_r1', [
      'p_vg_vg_dsk_1', 'p_target_vg_dsk_1_0', 'p_target_vg_dsk_1_1', 'p_ddmap_vg_dsk_1', 'p_portal_vg_dsk_1_0', 'p_portal_vg_dsk_1_1',
    ]);
    const p = await placement(sim.file);
    expect(p.promoted).toEqual({ ms_drbd_r0: [A2], ms_drbd_r1: [B2] });
  });

  it('one node fails: only its group moves; the other keeps running untouched', async () => {
    const [g] = await sim.settle({ fail: [B2] });
    const ops = changes(g!);
    expect(ops.filter((k) => k.includes('vg_dsk_0'))).toEqual([]);
    expect(ops).toContain(`p_drbd_r1_promote_0@${A2}`);
    const p = await placement(sim.file);
    expect(p.promoted).toEqual({ ms_drbd_r0: [A2], ms_drbd_r1: [A2] });
    expect(new Set(Object.values(p.started))).toEqual(new Set([A2]));
  });
});

describe.skipIf(missing.length > 0 || !isRoot)('crm_simulate: ddmap with the era backend (owns the devices LIO opens)', () => {
  const GROUP_ERA = ['p_vg_vg1', 'p_ddmap_vg1', 'p_target_vg1', 'p_portal_vg1'];
  let layer: string;
  let dir: string;
  let script: string;
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
    const d = JSON.parse(readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8'));
    d.volumeGroups[0].ddmap = true;
    d.volumeGroups[0].params = { ...d.volumeGroups[0].params, ddmap: { backend: 'era', lvs: 'lv_a' } };
    script = generateScript('crm', JSON.stringify(d), { source: 'era.json', command: 'lioha cluster crm era.json' });
    dir = tmp('sim-era');
  }, 60_000);
  afterAll(() => {
    rmSync(layer, { recursive: true, force: true });
    removeTemps();
  });

  it('the generated script puts ddmap between vg and target', () => {
    expect(script).toMatch(/group g_tgt p_vg_vg1 p_ddmap_vg1 p_target_vg1 p_portal_vg1/);
  });

  it('start: vg, then ddmap (era devices), then target, then portal; a move stops target before ddmap before vg', async () => {
    const d = join(dir, 'era');
    mkdirSync(d);
    const sim = new Simulation(buildCib('crm', script, [A, S], layer), d, { ms_drbd_r0: 'p_drbd_r0' });
    const graphs = await sim.settle({ up: [A, S] });
    const g = graphs.find((x) => x.has(`p_drbd_r0_promote_0@${A}`))!;
    expectOrderedStart(g, A, 'p_drbd_r0', GROUP_ERA);
    sim.tool('crm_resource', ['--move', '--resource', 'g_tgt']);
    const [m] = await sim.settle();
    expectOrderedStop(m!, A, 'p_drbd_r0', GROUP_ERA);
    expect(waitsFor(m!, `p_ddmap_vg1_stop_0@${A}`, `p_target_vg1_stop_0@${A}`), 'ddmap stops after LIO released the era device').toBe(true);
    expect(waitsFor(m!, `p_vg_vg1_stop_0@${A}`, `p_ddmap_vg1_stop_0@${A}`), 'the VG goes after the era device').toBe(true);
    expectOrderedStart(m!, S, 'p_drbd_r0', GROUP_ERA);
    expect(waitsFor(m!, `p_target_vg1_start_0@${S}`, `p_ddmap_vg1_start_0@${S}`), 'LIO opens the era device after ddmap made it').toBe(true);
  });
});
