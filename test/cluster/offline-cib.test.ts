/**
 * The generated scripts against real pcs and crmsh, offline: both build a CIB
 * file that crm_verify accepts, and both build the same configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { AGENTS } from '../../lib/cluster/agent-registry.js';
import { exampleScripts } from '../../scripts/cluster-examples.js';
import { join } from 'node:path';
import { generateScript } from '../../lib/cluster/generate.js';
import { actionMeta, buildCib, metadataLayer, missingTools, normalizeCib, sh, tmp } from './cib-tools.js';

const missing = missingTools();
const isRoot = process.getuid?.() === 0;

describe('checked-in example scripts', () => {
  it.each(exampleScripts().map((s) => [s.file, s.text]))('%s is up to date (npm run cluster:examples)', (file, text) => {
    expect(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')).toBe(text);
  });
});

const examples = [
  { name: 'iscsitgt01', nodes: ['iscsitgt01a', 'iscsitgt01s'] },
  { name: 'active-active', nodes: ['iscsitgt02a', 'iscsitgt02b'] },
];

describe.skipIf(missing.length > 0 || !isRoot)(`offline CIB from the generated scripts${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`, () => {
  let layer: string;
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
  });
  afterAll(() => rmSync(layer, { recursive: true, force: true }));

  describe.each(examples)('$name', ({ name, nodes }) => {
    const cibs: Partial<Record<'pcs' | 'crm', string>> = {};
    beforeAll(() => {
      for (const kind of ['pcs', 'crm'] as const) {
        const script = readFileSync(new URL(`../../crm/${name}.${kind}.sh`, import.meta.url), 'utf8');
        cibs[kind] = buildCib(kind, script, nodes, layer);
      }
    }, 120_000);

    it.each(['pcs', 'crm'] as const)('crm_verify accepts the CIB the %s script builds', (kind) => {
      const r = sh('crm_verify', ['-V', '-x', cibs[kind]!]);
      expect(r.out).not.toMatch(/error|warning/i);
      expect(r.code).toBe(0);
    });

    it('pcs and crmsh build the same resources, constraints and properties', async () => {
      const [p, c] = await Promise.all([normalizeCib(readFileSync(cibs.pcs!, 'utf8')), normalizeCib(readFileSync(cibs.crm!, 'utf8'))]);
      expect(p).toEqual(c);
      // and it is not vacuous: the seed's constraints are there
      expect(JSON.stringify(p)).toContain('"withRole":"Promoted"');
    });
  });
});

describe.skipIf(missing.length > 0 || !isRoot)('sandbox variant (--drbd-stand-in, --meta)', () => {
  let layer: string;
  const cibs: Partial<Record<'pcs' | 'crm', string>> = {};
  beforeAll(() => {
    layer = metadataLayer(AGENTS);
    const text = readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8');
    for (const kind of ['pcs', 'crm'] as const) {
      const script = generateScript(kind, text, {
        source: 'crm/iscsitgt01.json', command: 'test', drbdStandIn: true, meta: { 'lioha-root': '/srv/sandbox', 'lioha-path': '/srv/doubles' },
      });
      cibs[kind] = buildCib(kind, script, ['iscsitgt01a', 'iscsitgt01s'], layer);
    }
  }, 120_000);
  afterAll(() => rmSync(layer, { recursive: true, force: true }));

  it('pcs and crmsh agree, and crm_verify accepts it', async () => {
    expect(await normalizeCib(readFileSync(cibs.pcs!, 'utf8'))).toEqual(await normalizeCib(readFileSync(cibs.crm!, 'utf8')));
    expect(sh('crm_verify', ['-x', cibs.pcs!]).code).toBe(0);
    expect(readFileSync(cibs.pcs!, 'utf8')).toContain('type="Stateful"');
  });

  it('every agent call, probes included, gets lioha-root and lioha-path as CRM_meta_*', async () => {
    const dir = tmp('sandbox-graph');
    const graph = join(dir, 'graph.xml');
    const r = sh('crm_simulate', ['-x', cibs.pcs!, '-u', 'iscsitgt01a', '-u', 'iscsitgt01s', '-S', '-G', graph]);
    expect(r.code).toBe(0);
    for (const key of ['p_vg_vg1_monitor_0@iscsitgt01s', 'p_vg_vg1_start_0@iscsitgt01a', 'p_portal_vg1_monitor_10000@iscsitgt01a']) {
      expect(await actionMeta(graph, key)).toMatchObject({ CRM_meta_lioha_root: '/srv/sandbox', CRM_meta_lioha_path: '/srv/doubles' });
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
