import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/lab/**', 'node_modules/**'],
    // Checks every ocf-exit-reason line the suite produces (issue 14, item 6).
    setupFiles: ['test/setup/exit-reasons.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests touch shared system state (namespaces, /usr/lib/ocf); keep parallelism modest on 2 cores.
    maxWorkers: 2,
  },
});
