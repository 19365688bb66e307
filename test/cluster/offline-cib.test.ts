/**
 * The generated scripts against real pcs and crmsh, offline: both build a CIB
 * file that crm_verify accepts, and both build the same configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { AGENTS } from '../../lib/cluster/agent-registry.js';
import { exampleScripts } from '../../scripts/cluster-examples.js';
import { buildCib, metadataLayer, missingTools, normalizeCib, sh } from './cib-tools.js';

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
