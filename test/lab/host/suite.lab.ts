import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labTests, median, readResult, resultsDir } from './results.js';

// Every lab test that ran: the VM finished it, and every TAP line it recorded is ok.
const tests = labTests();

describe('real-kernel lab', () => {
  it('ran at least one lab test', () => {
    expect(tests.length).toBeGreaterThan(0);
  });

  for (const name of tests) {
    it(`${name}: completed in the VM with every check ok`, () => {
      const runDir = join(resultsDir(), name);
      expect(fs.existsSync(join(runDir, 'failed')), fs.existsSync(join(runDir, 'failed')) ? fs.readFileSync(join(runDir, 'failed'), 'utf8') : '').toBe(false);
      const r = readResult(name);
      const failed = r.tap.filter((l) => l.startsWith('not ok'));
      expect(failed, `see ${r.dir}/log`).toEqual([]);
      expect(r.tap.some((l) => /^1\.\.\d+$/.test(l)), 'test script did not reach finish (killed or crashed?)').toBe(true);
      expect(r.rc).toBe(0);
    });
  }
});

// Figures, printed side by side so a run's log carries them (medians in ms).
describe('lab figures', () => {
  it('prints the metrics of every lab test', () => {
    const lines: string[] = [];
    for (const name of tests) {
      for (const [k, v] of readResult(name).metrics) lines.push(`${name.padEnd(22)} ${k.padEnd(34)} median ${median(v)} ms (n=${v.length})`);
    }
    fs.writeFileSync(join(resultsDir(), 'figures.txt'), lines.join('\n') + '\n');
    console.log(lines.join('\n'));
    expect(lines.length).toBeGreaterThan(0);
  });
});
