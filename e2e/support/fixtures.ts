/**
 * `test` for the specs: every page starts logged in to the shared e2e hub as `role` (viewer unless a spec says
 * `test.use({ role: 'operator' })`), from the browser state global setup saved. 'anonymous' starts with no session.
 */
import { test as base } from '@playwright/test';
import type { Role } from '@daxfleet/shared';
import { storageStateFor } from './hub-auth';

export type E2eRole = Role | 'anonymous';

export const test = base.extend<{ role: E2eRole }>({
  role: ['viewer', { option: true }],
  storageState: async ({ role }, use) => {
    await use(role === 'anonymous' ? { cookies: [], origins: [] } : storageStateFor(role));
  },
});

export { expect } from '@playwright/test';
