import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoDir } from '../helpers/agent.js';
import { diffTrees, emulatedAgentRun, emulatedAgentTree, parseTree } from '../lab/host/configfs-tree.js';
import { KNOWN_KERNEL_ONLY, checkKnownGaps, comparableWrites } from '../lab/host/fidelity-ignore.js';

// The fast twin of the lab's fidelity check, for each recorded kernel: the tree the `target` agent's start
// built on the real kernel (test/fixtures/lab/, refreshed by the lab run) must equal what the same start
// builds on the configfs emulator modelling that kernel, except for the gaps listed in KNOWN_GAPS. Needs the
// built agent (npm test builds first).
const haveAgent = fs.existsSync(join(repoDir, 'dist/resource.d/lioha/target')) && fs.existsSync(join(repoDir, 'lib/configfs/emulator-fixture.ts'));
const RECORDINGS = [
  // 6.1: its own boot (40-target-agent), with the effective configuration it started
  { kernel: '6.1', tree: 'test/fixtures/lab/configfs-target-agent-6.1.txt', config: 'test/fixtures/lab/lab-4lun-effective.json', sameBoot: () => false },
  // 6.12 (Debian 13): recorded in one boot after 12-record-tree, whose HBAs took indices 1-6 and whose
  // targetctl clear left discovery auth at "NULL"; those two entries say nothing about the agent.
  { kernel: '6.12', tree: 'test/fixtures/lab/configfs-target-agent-6.12.txt', config: 'test/lab/fixtures/lab-4lun.json',
    sameBoot: (p: string) => /^\.\/core\/[^/]+\/hba_info$/.test(p) || /^\.\/iscsi\/discovery_auth\/(userid|password)(_mutual)?$/.test(p) },
];

describe.skipIf(!haveAgent)('configfs emulator vs the recorded real-kernel trees', () => {
  for (const r of RECORDINGS) {
    it(`${r.kernel}: the target agent builds on the emulator the tree it built on the real kernel, up to the documented gaps`, async () => {
      const real = parseTree(fs.readFileSync(join(repoDir, r.tree), 'utf8'));
      const emu = parseTree(await emulatedAgentTree(join(repoDir, r.config), r.kernel));
      expect(real.size).toBeGreaterThan(500);
      const d = diffTrees(real, emu, (p) => KNOWN_KERNEL_ONLY(p) || r.sameBoot(p));
      // every difference is a known, documented gap, and every documented gap still shows
      expect(checkKnownGaps([...d.onlyReal, ...d.onlyEmulated, ...d.different])).toEqual({ unexpected: [], fixed: [] });
    });
  }
});

// The same start's configfs writes, one `<op> <path>` line each, as the lab recorded them on the 6.1 kernel
// (LIOHA_CONFIGFS_TRACE in 40-target-agent.sh; refreshed with the tree). Final trees can agree while the
// emulator's defaults or side effects differ (emulate_model_alias defaulted to 1, authentication=1 did not
// touch AuthMethod): the agent writes an attribute only when it differs, so the trace shows every such gap.
const recordedTrace = join(repoDir, 'test/fixtures/lab/configfs-target-agent-6.1.trace.txt');
describe.skipIf(!haveAgent)('configfs emulator vs the recorded real-kernel write trace', () => {
  it('the emulated start makes exactly the writes the real start made (fixture recorded by the lab)', async () => {
    const real = comparableWrites(fs.readFileSync(recordedTrace, 'utf8'));
    const emu = comparableWrites((await emulatedAgentRun(join(repoDir, 'test/fixtures/lab/lab-4lun-effective.json'))).trace);
    expect(real.length).toBeGreaterThan(50); // 4 LUNs x 4 ACLs: ~85 writes since fresh objects are planned against known defaults
    expect(emu).toEqual(real);
  });
});
