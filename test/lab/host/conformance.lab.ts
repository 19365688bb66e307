import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labTests, resultsDir } from './results.js';

// libiscsi's iscsi-test-cu against the agent-built and the targetctl-built target of the same file, same VM
// (70-conformance): the verdicts must match test by test. Tests failing on both are kernel behaviour and are
// listed in BOTH_FAIL with the reason; a change there (new or fixed) fails too, so the list stays true.
const dir = labTests().includes('70-conformance') ? join(resultsDir(), '70-conformance', '70-conformance') : '';
const have = dir !== '' && fs.existsSync(join(dir, 'agent-lun0.xml'));

/** Timing-dependent on a TCG guest (issue 16): their verdict may differ between two runs of either build. */
const FLAKY = new Set(['iSCSI.Reserve6.Reserve6_2initiators', 'iSCSI.Reserve6.Reserve6_Lun']);
/** Failing on both builds: LIO's behaviour, not the agent's (filled from the lab run; see the run's both-fail.txt). */
export const BOTH_FAIL: Record<string, string> = {};

/** CUnit's automated XML: suite name -> test name -> passed. */
export function parseCunit(xml: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const suites = xml.split(/<CUNIT_RUN_SUITE(?:_SUCCESS|_FAILURE)?>/).slice(1);
  for (const s of suites) {
    const suite = /<SUITE_NAME>\s*([^<]*?)\s*<\/SUITE_NAME>/.exec(s)?.[1] ?? '?';
    for (const m of s.matchAll(/<CUNIT_RUN_TEST_(SUCCESS|FAILURE)>\s*<TEST_NAME>\s*([^<]*?)\s*<\/TEST_NAME>/g)) {
      const key = `${suite}.${m[2]}`;
      // a test with several failed assertions has several FAILURE records
      out.set(key, (out.get(key) ?? true) && m[1] === 'SUCCESS');
    }
  }
  return out;
}

describe.skipIf(!have)('conformance (libiscsi iscsi-test-cu): agent build vs targetctl build', () => {
  for (const lun of [0, 1]) {
    it(`LUN ${lun}: same verdicts, and the tests failing on both are the listed kernel behaviours`, () => {
      const a = parseCunit(fs.readFileSync(join(dir, `agent-lun${lun}.xml`), 'utf8'));
      const t = parseCunit(fs.readFileSync(join(dir, `targetctl-lun${lun}.xml`), 'utf8'));
      expect(a.size).toBeGreaterThan(100);
      expect([...a.keys()].sort()).toEqual([...t.keys()].sort());
      const differ = [...a.keys()].filter((k) => a.get(k) !== t.get(k) && !FLAKY.has(k));
      expect(differ).toEqual([]);
      const both = [...a.keys()].filter((k) => !a.get(k) && !t.get(k) && !FLAKY.has(k)).sort();
      fs.writeFileSync(join(dir, `both-fail-lun${lun}.txt`), both.join('\n') + '\n');
      expect(both).toEqual(Object.keys(BOTH_FAIL).sort());
    });
  }
});
