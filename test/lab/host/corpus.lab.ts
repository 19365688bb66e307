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

/**
 * A LUN without "alias" in the file gets a generated link name: random from rtslib, derived from the position by
 * lioha (docs/target-saveconfig.md). Those names become <generated> in both trees and both saves; a configured
 * alias is compared as it is.
 */
function generatedAliases(id: string): Set<string> {
  const doc = JSON.parse(fs.readFileSync(join(dir, 'prepared', id, 'agent.json'), 'utf8'));
  const out = new Set<string>();
  for (const t of doc.targets ?? []) for (const tpg of t.tpgs ?? []) for (const l of tpg.luns ?? []) if (!l.alias) out.add(`${t.wwn}/tpgt_${tpg.tag}/lun/lun_${l.index}`);
  return out;
}
function treeOf(id: string, f: string, gen: Set<string>) {
  const text = fs.readFileSync(join(dir, id, f), 'utf8').replace(/^(L \.\/iscsi\/(.+?\/tpgt_\d+\/lun\/lun_\d+)\/)[^/ ]+ /gm, (m, head: string, lun: string) => (gen.has(lun) ? `${head}<generated> ` : m));
  return byObject(parseTree(text));
}
function saveOf(id: string, f: string, gen: Set<string>) {
  const doc = JSON.parse(fs.readFileSync(join(dir, id, f), 'utf8'));
  for (const t of doc.targets ?? []) for (const tpg of t.tpgs ?? []) for (const l of tpg.luns ?? []) if (gen.has(`${t.wwn}/tpgt_${tpg.tag}/lun/lun_${l.index}`)) l.alias = '<generated>';
  return canonical(doc);
}

describe.skipIf(!have)('saveconfig corpus on the real kernel: agent build vs targetctl build', () => {
  it('ran every prepared corpus file', () => {
    expect(ids.length).toBeGreaterThanOrEqual(15);
    for (const id of ids) expect(fs.existsSync(join(dir, id, 'tree-targetctl.txt')), id).toBe(true);
  });
  for (const id of ids) {
    it(`${id}: same tree, same saved document`, () => {
      const gen = generatedAliases(id);
      const a = treeOf(id, 'tree-agent.txt', gen);
      const t = treeOf(id, 'tree-targetctl.txt', gen);
      expect([...a.keys()].some((p) => /^\.\/iscsi\/[^/]+\/tpgt_\d+$/.test(p)), 'the agent built a target').toBe(true);
      const d = diffTrees(a, t, builderIgnore);
      expect([...d.onlyReal, ...d.onlyEmulated, ...d.different]).toEqual([]);
      expect(saveOf(id, 'lioha-saved.json', gen)).toEqual(saveOf(id, 'targetctl-saved.json', gen));
    });
  }
});
