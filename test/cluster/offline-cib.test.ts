/**
 * The generated scripts against real pcs and crmsh, offline: both build a CIB
 * file that crm_verify accepts, and both build the same configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { AGENTS } from '../../agents/registry.js';
import { exampleScripts } from '../../scripts/cluster-examples.js';
import { join } from 'node:path';
import { generateScript } from '../../cli/cluster/generate.js';
import { actionMeta, buildCibAsync, metadataLayer, missingTools, removeTemps, normalizeCib, sh, tmp } from './cib-tools.js';

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

type Kind = 'pcs' | 'crm';
const sandboxMeta = { 'lioha-root': '/srv/sandbox', 'lioha-path': '/srv/doubles' };
const built = new Map<string, string>(); // `${example}/${kind}` -> CIB file
let layer: string;

describe.skipIf(missing.length > 0 || !isRoot)(`offline CIB from the generated scripts${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`, () => {
  beforeAll(async () => {
    layer = metadataLayer(AGENTS);
    const jobs: Promise<void>[] = [];
    for (const { name, nodes } of examples) {
      for (const kind of ['pcs', 'crm'] as Kind[]) {
        const script = readFileSync(new URL(`../../crm/${name}.${kind}.sh`, import.meta.url), 'utf8');
        jobs.push(buildCibAsync(kind, script, nodes, layer).then((f) => void built.set(`${name}/${kind}`, f)));
      }
    }
    // The sandbox variant run.sh uses: DRBD stand-in and op_defaults meta.
    const text = readFileSync(new URL('../../crm/iscsitgt01.json', import.meta.url), 'utf8');
    for (const kind of ['pcs', 'crm'] as Kind[]) {
      const script = generateScript(kind, text, { source: 'crm/iscsitgt01.json', command: 'test', drbdStandIn: true, meta: sandboxMeta });
      jobs.push(buildCibAsync(kind, script, examples[0]!.nodes, layer).then((f) => void built.set(`sandbox/${kind}`, f)));
    }
    await Promise.all(jobs);
  }, 420_000);
  afterAll(() => {
    rmSync(layer, { recursive: true, force: true });
    removeTemps();
  });

  describe.each(examples)('$name', ({ name }) => {
    it.each(['pcs', 'crm'] as const)('crm_verify accepts the CIB the %s script builds', (kind) => {
      const r = sh('crm_verify', ['-V', '-x', built.get(`${name}/${kind}`)!]);
      expect(r.out).not.toMatch(/error|warning/i);
      expect(r.code).toBe(0);
    });

    it('pcs and crmsh build the same resources, constraints and properties', async () => {
      const [p, c] = await Promise.all(
        (['pcs', 'crm'] as Kind[]).map((k) => normalizeCib(readFileSync(built.get(`${name}/${k}`)!, 'utf8'))),
      );
      expect(p).toEqual(c);
      // and it is not vacuous: the seed's constraints are there
      expect(JSON.stringify(p)).toContain('"withRole":"Promoted"');
    });
  });

  describe('sandbox variant (--drbd-stand-in, --meta)', () => {
    it('pcs and crmsh agree, and crm_verify accepts it', async () => {
      const [p, c] = await Promise.all(
        (['pcs', 'crm'] as Kind[]).map((k) => normalizeCib(readFileSync(built.get(`sandbox/${k}`)!, 'utf8'))),
      );
      expect(p).toEqual(c);
      expect(sh('crm_verify', ['-x', built.get('sandbox/pcs')!]).code).toBe(0);
      expect(readFileSync(built.get('sandbox/pcs')!, 'utf8')).toContain('type="Stateful"');
    });

    it('every agent call, probes included, gets lioha-root and lioha-path as CRM_meta_*', async () => {
      const dir = tmp('sandbox-graph');
      const graph = join(dir, 'graph.xml');
      const r = sh('crm_simulate', ['-x', built.get('sandbox/pcs')!, '-u', 'iscsitgt01a', '-u', 'iscsitgt01s', '-S', '-G', graph]);
      expect(r.code).toBe(0);
      for (const key of ['p_vg_vg1_monitor_0@iscsitgt01s', 'p_vg_vg1_start_0@iscsitgt01a', 'p_portal_vg1_monitor_10000@iscsitgt01a']) {
        expect(await actionMeta(graph, key)).toMatchObject({ CRM_meta_lioha_root: '/srv/sandbox', CRM_meta_lioha_path: '/srv/doubles' });
      }
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
