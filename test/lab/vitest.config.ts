import { defineConfig } from 'vitest/config';

// Host-side assertions on the results of a lab run (LAB_RESULTS=<run dir>); run by test/lab/run-all.sh.
export default defineConfig({
  test: {
    include: ['test/lab/host/**/*.lab.ts'],
    testTimeout: 120_000,
    maxWorkers: 1,
  },
});
