import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffTrees, emulatedAgentRun, parseTree } from './configfs-tree.js';
import { labTests, resultsDir } from './results.js';
import { KNOWN_KERNEL_ONLY, checkKnownGaps, comparableWrites } from './fidelity-ignore.js';

// configfs fidelity: the tree the `target` agent built on the real 6.1 kernel (40-target-agent) must equal
// what the same start builds on the project's configfs emulator, entry by entry.
const realTreeFile = labTests().includes('40-target-agent') ? join(resultsDir(), '40-target-agent', '40-target-agent', 'tree-agent.txt') : '';
const haveRealTree = realTreeFile !== '' && fs.existsSync(realTreeFile);

describe.skipIf(!haveRealTree)('configfs fidelity (real kernel vs emulator)', () => {
  it('the target agent builds the same tree on the emulator as on the real kernel, up to the documented gaps', async () => {
    const real = parseTree(fs.readFileSync(realTreeFile, 'utf8'));
    // the config the guest actually started (see 40-target-agent.sh)
    const effective = join(realTreeFile, '..', 'effective-config.json');
    const run = await emulatedAgentRun(fs.existsSync(effective) ? effective : undefined);
    const emu = parseTree(run.tree);
    const d = diffTrees(real, emu, KNOWN_KERNEL_ONLY);
    fs.writeFileSync(join(resultsDir(), 'fidelity-diff.txt'),
      ['# only on the real kernel', ...d.onlyReal, '# only on the emulator', ...d.onlyEmulated, '# different', ...d.different].join('\n') + '\n');
    expect(real.size).toBeGreaterThan(500);
    expect(checkKnownGaps([...d.onlyReal, ...d.onlyEmulated, ...d.different])).toEqual({ unexpected: [], fixed: [] });
    // the writes too: a default or side effect the emulator gets wrong changes which attributes the start writes
    const realTrace = join(realTreeFile, '..', 'trace-agent.txt');
    expect(fs.existsSync(realTrace)).toBe(true);
    expect(comparableWrites(run.trace)).toEqual(comparableWrites(fs.readFileSync(realTrace, 'utf8')));
  });
});
