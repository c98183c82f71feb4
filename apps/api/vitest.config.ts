import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // builds dist/ (the CLI tests and the multi-process test run the built program, as users do); not when
    // scripts/test.sh has built everything (it runs two vitest processes here at once, and a second
    // `prisma generate` would rewrite the client under the first one's tests)
    globalSetup: process.env.DAXFLEET_TESTS_PREBUILT === '1' ? [] : ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the multi-process test spawns several Node processes: keep files from competing for the 2 cores
    fileParallelism: false,
  },
});
