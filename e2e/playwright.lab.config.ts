import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * The pmem lab's walks (e2e/lab-tests/): Debian's Chromium against a real hub on this host whose agent runs in a
 * QEMU guest with emulated NVDIMMs. Not run by `playwright test` alone: lab/test.sh (test recovery-walk) starts the
 * hub and the guest (lab/tools/recovery-stack.sh) and runs this config with the hub's URL, the admin's password and
 * token and the guest's setup in DAXFLEET_LAB_* variables (e2e/lab-tests/lab-env.ts). No global setup: the lab made
 * everything already. The browser and its settings are the e2e suite's (playwright.config.ts).
 */
export default defineConfig({
  ...base,
  testDir: './lab-tests',
  globalSetup: undefined,
  // the agent runs under QEMU's TCG: a plan or a step takes seconds, not milliseconds
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['json', { outputFile: process.env.DAXFLEET_LAB_PW_JSON ?? './test-results/lab/report.json' }]],
  outputDir: process.env.DAXFLEET_LAB_PW_OUTPUT ?? './test-results/lab',
  use: {
    ...base.use,
    // a click on a control that never appears fails after this, not after the whole test's timeout
    actionTimeout: 30_000,
    navigationTimeout: 30_000,
  },
});
