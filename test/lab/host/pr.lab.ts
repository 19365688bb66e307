import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labTests, resultsDir } from './results.js';

// SCSI-3 persistent reservations on the real kernel (47-pr): the same sg_persist sequence (register, reserve,
// release, preempt, target stop + start) against the agent-built and the targetctl-built target of one file.
// The guest checks the meaning of each answer; here every answer, and the APTPL file LIO wrote, must be the
// same for both builds, byte for byte.
const dir = labTests().includes('47-pr') ? join(resultsDir(), '47-pr', '47-pr') : '';
const have = dir !== '' && fs.existsSync(join(dir, 'agent-keys-1.txt'));

/**
 * A build's answers by step. open-iscsi's ISID ends in the kernel's session number, which only grows, so the
 * second build's sessions carry other ISIDs: each ISID becomes its rank of first appearance (the steps run in the
 * same order for both builds, so the same nexus gets the same rank).
 */
function answers(build: string): Map<string, string> {
  const out = new Map<string, string>();
  const isids = new Map<string, string>();
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.startsWith(`${build}-`) || !f.endsWith('.txt')) continue;
    const text = fs.readFileSync(join(dir, f), 'utf8').replace(/\b(?:0x)?00023d[0-9a-f]{6}\b/g, (isid) => {
      const k = isid.replace(/^0x/, '');
      if (!isids.has(k)) isids.set(k, `<isid ${isids.size + 1}>`);
      return isids.get(k)!;
    });
    out.set(f.slice(build.length + 1), text);
  }
  return out;
}

describe.skipIf(!have)('persistent reservations: agent build vs targetctl build (sg_persist)', () => {
  it('every sg_persist answer and APTPL file is the same for both builds', () => {
    const a = answers('agent');
    const t = answers('targetctl');
    // register x2, reserve, release, reserve, preempt, release after the restart, clear, the reads around them
    expect(a.size).toBeGreaterThanOrEqual(20);
    expect([...a.keys()].some((k) => k.startsWith('aptpl_')), 'APTPL file kept').toBe(true);
    expect([...a.keys()]).toEqual([...t.keys()]);
    for (const [step, text] of a) expect(text, step).toBe(t.get(step));
  });
  it('the reservation survived the stop + start, and its holder (same nexus) released it', () => {
    const a = answers('agent');
    expect(a.get('resv-4.txt')).toMatch(/Key=0xb2[\s\S]*Exclusive Access, registrants only/);
    expect(a.get('keys-3.txt')).toMatch(/0xb2/);
    expect(a.get('keys-3.txt')).not.toMatch(/0xa1/);
    expect(a.get('release-b.txt')).toMatch(/exit 0/);
  });
});
