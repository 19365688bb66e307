import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoDir } from '../helpers/agent.js';
import { diffTrees, emulatedAgentTree, parseTree } from '../lab/host/configfs-tree.js';
import { KNOWN_KERNEL_ONLY } from '../lab/host/fidelity-ignore.js';

// The fast twin of the lab's fidelity check: the tree recorded from the `target` agent's start on a real
// 6.1 kernel (test/fixtures/lab/, refreshed by the lab run) must equal what the same start builds on the
// configfs emulator. Needs the built agent (npm test builds first).
const recorded = join(repoDir, 'test/fixtures/lab/configfs-target-agent-6.1.txt');
const haveAgent = fs.existsSync(join(repoDir, 'dist/resource.d/lioha/target')) && fs.existsSync(join(repoDir, 'lib/configfs/emulator-fixture.ts'));

describe.skipIf(!haveAgent)('configfs emulator vs the recorded real-kernel tree', () => {
  it('the target agent builds on the emulator exactly the tree it built on the real kernel', async () => {
    const real = parseTree(fs.readFileSync(recorded, 'utf8'));
    const emu = parseTree(await emulatedAgentTree(join(repoDir, 'test/fixtures/lab/lab-4lun-effective.json')));
    expect(real.size).toBeGreaterThan(500);
    expect(diffTrees(real, emu, KNOWN_KERNEL_ONLY)).toEqual({ onlyReal: [], onlyEmulated: [], different: [] });
  });
});
