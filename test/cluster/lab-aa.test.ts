/**
 * The cluster lab's active/active description (test/lab/cluster/lab-aa.json, `run.ts --topology aa`) checked
 * offline before any VM boots: the generated crmsh script builds a CIB crm_verify accepts, and crm_simulate
 * places g_tgt on labA, g_tgt2 on labB and the discovery portal on labA; a move of g_tgt2 to labA (the lab's
 * `discovery` scenario) moves only g_tgt2, and after the clear nothing fails back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { AGENTS } from '../../agents/registry.js';
import { generateScript } from '../../cli/cluster/generate.js';
import { buildCib, changes, metadataLayer, missingTools, placement, removeTemps, sh, Simulation, tmp } from './cib-tools.js';

const missing = missingTools();
const isRoot = process.getuid?.() === 0;
const A = 'labA';
const B = 'labB';

describe.skipIf(missing.length > 0 || !isRoot)(`lab-aa.json offline${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`, () => {
  let layer: string;
  let cib: string;
  let sim: Simulation;
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
    // fence_lab exists only in the lab's guests (crmsh refuses a stonith agent it cannot ask for meta-data):
    // the resources are placed as with fencing, which test/cluster/fencing.test.ts covers
    const d = JSON.parse(readFileSync(new URL('../lab/cluster/lab-aa.json', import.meta.url), 'utf8')) as { fencing?: unknown; options: { stonith?: boolean } };
    delete d.fencing;
    d.options.stonith = false;
    const text = JSON.stringify(d);
    const script = generateScript('crm', text, { source: 'test/lab/cluster/lab-aa.json', command: 'test' });
    cib = buildCib('crm', script, [A, B], layer);
    sim = new Simulation(cib, tmp('sim-lab-aa'), { ms_drbd_r0: 'p_drbd_r0', ms_drbd_r1: 'p_drbd_r1' });
  }, 120_000);
  afterAll(() => {
    rmSync(layer, { recursive: true, force: true });
    removeTemps();
  });

  it('crm_verify accepts the CIB the generated crmsh script builds', () => {
    const r = sh('crm_verify', ['-V', '-x', cib]);
    expect(r.out).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  });

  it('g_tgt runs on labA, g_tgt2 on labB, the discovery portal on labA', async () => {
    await sim.settle({ up: [A, B] });
    const p = await placement(sim.file);
    expect(p.promoted).toEqual({ ms_drbd_r0: [A], ms_drbd_r1: [B] });
    for (const m of ['p_vg_vg1', 'p_target_vg1', 'p_portal_vg1', 'p_portal_discovery', 'p_discovery']) expect(p.started[m], m).toBe(A);
    for (const m of ['p_vg_vg2', 'p_target_vg2', 'p_portal_vg2']) expect(p.started[m], m).toBe(B);
  });

  it('a move of g_tgt2 to labA moves g_tgt2 only; after the clear nothing fails back', async () => {
    sim.tool('crm_resource', ['--move', '--resource', 'g_tgt2', '--node', A]);
    const graphs = await sim.settle();
    const ops = graphs.flatMap(changes);
    expect(ops.filter((k) => /vg1|discovery|_r0_/.test(k))).toEqual([]);
    expect(ops).toContain(`p_drbd_r1_promote_0@${A}`);
    sim.tool('crm_resource', ['--clear', '--resource', 'g_tgt2']);
    const after = await sim.settle();
    expect(after.flatMap(changes)).toEqual([]);
    const p = await placement(sim.file);
    expect(new Set(Object.values(p.started))).toEqual(new Set([A]));
    expect(p.promoted).toEqual({ ms_drbd_r0: [A], ms_drbd_r1: [A] });
  });
});
