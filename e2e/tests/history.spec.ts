import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AgentReport, Inventory } from '@daxfleet/shared';
import { cliPath, fixtureDir } from '../support/paths';
import { expect, test } from '../support/fixtures';
import { adminToken, enrollHost } from '../support/hub-auth';
import { hubUrl } from '../support/simulated-hosts';

const VERSIONS = 25;

/**
 * A host whose namespace was renamed 24 times: the hub keeps 25 inventory versions, the host page shows the
 * newest page of them with each change in words, and "Show older versions" fetches the rest (?before=).
 * Reports go to the hub's agent endpoint exactly as an agent sends them (enrolled with a join token, then with its
 * own credential), from a real scan of a recorded tree.
 */
test('the history lists every inventory version, newest first, a page at a time', async ({ page }) => {
  const scanned = JSON.parse(execFileSync(process.execPath, [
    cliPath, 'inventory', '--sysfs-root', join(fixtureDir('one-dimm-label-less'), 'sys'),
  ], { encoding: 'utf8' })) as Inventory;
  const namespace = scanned.buses[0]?.regions[0]?.namespaces[0];
  if (namespace === undefined) throw new Error('one-dimm-label-less has no namespace0.0');

  const credential = await enrollHost(hubUrl(), adminToken(), 'sim-renamed');
  for (let version = 1; version <= VERSIONS; version++) {
    namespace.name = `renamed-${version}`;
    const report: AgentReport = {
      host_id: 'sim-renamed', hostname: 'sim-renamed', agent_version: 'e2e', scanned_at: new Date().toISOString(),
      interval_ms: 60_000, inventory: scanned,
    };
    const response = await fetch(`${hubUrl()}/api/v1/agents/report`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: JSON.stringify(report),
    });
    expect(response.status).toBe(200);
  }

  await page.goto(`${hubUrl()}/hosts/sim-renamed`);
  const history = page.getByRole('region', { name: 'History', exact: true });
  const versions = history.getByRole('heading', { name: /^Version \d+$/ });
  await expect(versions.first()).toHaveText(`Version ${VERSIONS}`);
  const firstPage = await versions.count();
  expect(firstPage).toBeLessThan(VERSIONS);
  await expect(history.getByRole('list', { name: `Changes in version ${VERSIONS}` }))
    .toHaveText(`namespace0.0 name: renamed-${VERSIONS - 1} → renamed-${VERSIONS}`);

  await history.getByRole('button', { name: 'Show older versions' }).click();
  await expect(versions).toHaveCount(VERSIONS);
  await expect(versions.last()).toHaveText('Version 1');
  await expect(history.getByText('First inventory reported by this host.')).toBeVisible();
  await expect(history.getByRole('button', { name: 'Show older versions' })).toHaveCount(0);
  const numbers = (await versions.allTextContents()).map((text) => Number(text.replace('Version ', '')));
  expect(numbers).toEqual(Array.from({ length: VERSIONS }, (_, index) => VERSIONS - index));
});
