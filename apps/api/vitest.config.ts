import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // builds dist/ (the CLI tests and the multi-process test run the built program, as users do)
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the multi-process test spawns several Node processes: keep files from competing for the 2 cores
    fileParallelism: false,
  },
});
