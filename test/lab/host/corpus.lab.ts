import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builderIgnore, byObject, canonical } from './compare.js';
import { diffTrees, parseTree } from './configfs-tree.js';
import { labTests, resultsDir } from './results.js';

// Every saveconfig corpus file on the real kernel (48-corpus): the agent's start and `targetctl restore` of the
// same file build the same tree for the targets the agent owns, and `lioha target save` of the agent's tree is
// `targetctl save` of targetctl's, up to list order. The guest checked every action's verdict.
const dir = labTests().includes('48-corpus') ? join(resultsDir(), '48-corpus', '48-corpus') : '';
const have = dir !== '' && fs.existsSync(join(dir, 'prepared', 'files.tsv'));
const ids = have ? fs.readFileSync(join(dir, 'prepared', 'files.tsv'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[0]!) : [];

describe.skipIf(!have)('saveconfig corpus on the real kernel: agent build vs targetctl build', () => {
  it('ran every prepared corpus file', () => {
    expect(ids.length).toBeGreaterThanOrEqual(15);
    for (const id of ids) expect(fs.existsSync(join(dir, id, 'tree-targetctl.txt')), id).toBe(true);
  });
  for (const id of ids) {
    it(`${id}: same tree, same saved document`, () => {
      const read = (f: string) => fs.readFileSync(join(dir, id, f), 'utf8');
      const a = byObject(parseTree(read('tree-agent.txt')));
      const t = byObject(parseTree(read('tree-targetctl.txt')));
      expect([...a.keys()].some((p) => /^\.\/iscsi\/[^/]+\/tpgt_\d+$/.test(p)), 'the agent built a target').toBe(true);
      const d = diffTrees(a, t, builderIgnore);
      expect([...d.onlyReal, ...d.onlyEmulated, ...d.different]).toEqual([]);
      expect(canonical(JSON.parse(read('lioha-saved.json')))).toEqual(canonical(JSON.parse(read('targetctl-saved.json'))));
    });
  }
});
