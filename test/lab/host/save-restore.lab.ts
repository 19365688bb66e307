import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builderIgnore as ignore, byObject, canonical } from './compare.js';
import { diffTrees, parseTree } from './configfs-tree.js';
import { labTests, resultsDir } from './results.js';

// Issue 16 items 4/5 on the real kernel (45-save-restore): targetctl restore of a lioha-saved file builds the
// tree the agent built, and lioha's save of a targetctl-built tree is targetctl's save.
const dir = labTests().includes('45-save-restore') ? join(resultsDir(), '45-save-restore', '45-save-restore') : '';
const have = dir !== '' && fs.existsSync(join(dir, 'tree-restored.txt'));

describe.skipIf(!have)('saveconfig interchange on the real kernel', () => {
  it('targetctl restore of a lioha-saved file builds the tree the agent built', () => {
    const a = byObject(parseTree(fs.readFileSync(join(dir, 'tree-agent.txt'), 'utf8')));
    const b = byObject(parseTree(fs.readFileSync(join(dir, 'tree-restored.txt'), 'utf8')));
    const d = diffTrees(a, b, ignore);
    expect([...d.onlyReal, ...d.onlyEmulated, ...d.different]).toEqual([]);
    expect([...a.keys()].some((p) => p.includes('/np/[::1]:3260'))).toBe(true);
  });
  it('lioha target save of a targetctl-built tree equals targetctl save, up to list order', () => {
    const t = JSON.parse(fs.readFileSync(join(dir, 'targetctl-saved.json'), 'utf8'));
    const l = JSON.parse(fs.readFileSync(join(dir, 'lioha-saved-of-targetctl.json'), 'utf8'));
    expect(canonical(l)).toEqual(canonical(t));
  });
});
