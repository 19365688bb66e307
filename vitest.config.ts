import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/lab/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests touch shared system state (namespaces, /usr/lib/ocf); keep parallelism modest on 2 cores.
    maxWorkers: 2,
  },
});
