import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/** Benchmarks: print figures, assert nothing about time. They start their own hub (no global setup). */
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: /.*\.bench\.ts$/,
  globalSetup: undefined,
  timeout: 30 * 60_000,
  expect: { timeout: 120_000 },
  outputDir: './test-results/bench',
});
