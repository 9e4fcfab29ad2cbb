import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The default reporter shows progress and failures; the summary reporter prints the one closing line
    // CI reads: "N passed, N failed, N skipped".
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Network-lab tests create namespaces with unique names, so files may run in parallel; two cores.
    maxWorkers: 2,
  },
});
