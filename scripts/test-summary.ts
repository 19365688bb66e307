/**
 * Print the closing line CI reads ("vitest: N passed, N failed, N skipped") from vitest's JSON report, list every
 * skipped test, and fail (exit 1) on a skip that is not on the allowlist below: a test that cannot run its real
 * component must be fixed or installed (scripts/host-tools.list), not passed over.
 */
import { readFileSync } from 'node:fs';

interface Assertion { status: string; fullName: string; title: string }
interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; assertionResults: Assertion[] }[];
}

const isRoot = process.getuid?.() === 0;

/**
 * The only skips CI accepts, each with why and when. Suites that need root (network namespaces, mounts, a real
 * Pacemaker CIB) skip for a developer running the tests as a normal user; as root nothing may skip.
 */
const ALLOWED: { test: RegExp; when: boolean; why: string }[] = [
  { test: /^portal in network namespaces/, when: !isRoot, why: 'network namespaces need root' },
  { test: /^(offline CIB from the generated scripts|crm_simulate: )/, when: !isRoot, why: 'pacemaker CIB tools run as root here' },
  { test: /^agent launcher/, when: !isRoot, why: 'mount namespaces need root' },
];

const file = process.argv[2] ?? 'dist/vitest-report.json';
const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
process.stdout.write(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped\n`);

const skipped = r.testResults.flatMap((f) =>
  f.assertionResults.filter((a) => !['passed', 'failed'].includes(a.status)).map((a) => ({ file: f.name.replace(`${process.cwd()}/`, ''), ...a })),
);
let bad = 0;
for (const s of skipped) {
  const allowed = ALLOWED.find((a) => a.when && a.test.test(s.fullName));
  if (!allowed) bad++;
  process.stdout.write(`  ${allowed ? 'skipped (allowed: ' + allowed.why + ')' : 'SKIPPED, NOT ALLOWED'}: ${s.file} > ${s.fullName}\n`);
}
if (bad) {
  process.stdout.write(`vitest: ${bad} skipped test(s) not on the allowlist in scripts/test-summary.ts: install what they need or fix them\n`);
  process.exit(1);
}
