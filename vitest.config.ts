import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/relaxed-simd.ts'],
    // One scratch folder a run, under the system's tmp, removed when the run ends (test/setup/scratch-folder.ts).
    globalSetup: ['test/setup/scratch-folder.ts'],
    testTimeout: 120_000,
    // Two test files at a time, on the 2-core machines this runs on: many tests wait on a child process (the CLI)
    // or a worker thread, so two files in parallel take the suite from about 8½ to 7 minutes here.
    maxWorkers: 2,
    hookTimeout: 120_000,
  },
});
