import { defineConfig } from '@playwright/test';

/**
 * The pmem lab's walks (e2e/lab-tests/): Debian's Chromium against a real hub on this host whose agent runs in a
 * QEMU guest with emulated NVDIMMs. Not run by `playwright test` alone: lab/test.sh (test recovery-walk) starts the
 * hub and the guest (lab/tools/recovery-stack.sh) and runs this config with the hub's URL, the admin's password and
 * token and the guest's setup in DAXFLEET_LAB_* variables (e2e/lab-tests/lab-env.ts). No global setup: the lab made
 * everything already.
 */
export default defineConfig({
  testDir: './lab-tests',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  // the agent runs under QEMU's TCG: a plan or a step takes seconds, not milliseconds
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['json', { outputFile: process.env.DAXFLEET_LAB_PW_JSON ?? './test-results/lab/report.json' }]],
  outputDir: process.env.DAXFLEET_LAB_PW_OUTPUT ?? './test-results/lab',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    // a click on a control that never appears fails after this, not after the whole test's timeout
    actionTimeout: 30_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
