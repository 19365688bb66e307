/** Print the plain closing line CI reads ("vitest: N passed, N failed, N skipped") from vitest's JSON report. */
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'dist/vitest-report.json';
const r = JSON.parse(readFileSync(file, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
process.stdout.write(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);
