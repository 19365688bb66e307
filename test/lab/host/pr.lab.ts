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

function answers(build: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir).sort()) {
    if (f.startsWith(`${build}-`) && f.endsWith('.txt')) out.set(f.slice(build.length + 1), fs.readFileSync(join(dir, f), 'utf8'));
  }
  return out;
}

describe.skipIf(!have)('persistent reservations: agent build vs targetctl build (sg_persist)', () => {
  it('every sg_persist answer and APTPL file is the same for both builds', () => {
    const a = answers('agent');
    const t = answers('targetctl');
    // register x2, reserve, release, reserve, preempt, release after the restart, and the reads around them
    expect(a.size).toBeGreaterThanOrEqual(15);
    expect([...a.keys()].some((k) => k.startsWith('aptpl_')), 'APTPL file kept').toBe(true);
    expect([...a.keys()]).toEqual([...t.keys()]);
    for (const [step, text] of a) expect(text, step).toBe(t.get(step));
  });
  it('the reservation survived the stop + start (answers read after it)', () => {
    const a = answers('agent');
    expect(a.get('resv-4.txt')).toMatch(/Key=0xb2[\s\S]*Exclusive Access, registrants only/);
    expect(a.get('keys-3.txt')).toMatch(/0xb2/);
    expect(a.get('keys-3.txt')).not.toMatch(/0xa1/);
  });
});
