import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // builds dist/ (the lab guests run it), unless scripts/test.sh has built everything already
    globalSetup: process.env.DAXFLEET_TESTS_PREBUILT === '1' ? [] : ['test/global-setup.ts'],
    // Recorded-kernel fixtures are read from disk; the whole suite stays well under this.
    testTimeout: 30_000,
    // copies of recorded trees are made and removed in hooks; the machine is shared and busy
    hookTimeout: 60_000,
  },
});
