import type { Locator, Page } from '@playwright/test';
import type { HostList } from '@daxfleet/shared';
import {
  hasBadBlocks, humanBytes, modesInUse, namespacesOf, readNdctlFixture, regionsOf, type NdctlBadBlock, type NdctlNamespace,
} from '../support/ndctl-fixture';
import { expect, test } from '../support/fixtures';
import { adminToken } from '../support/hub-auth';
import { hubUrl, SIMULATED_HOSTS } from '../support/simulated-hosts';

async function hostsFromApi(): Promise<HostList> {
  const response = await fetch(`${hubUrl()}/api/v1/hosts`, { headers: { authorization: `Bearer ${adminToken()}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as HostList;
}

function fleetRow(page: Page, hostname: string): Locator {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name: hostname, exact: true }) });
}

function section(scope: Page | Locator, name: string): Locator {
  return scope.getByRole('region', { name, exact: true });
}

test('the fleet page lists every simulated host with its capacity, DIMM health and bad blocks', async ({ page }) => {
  await page.goto(hubUrl());
  await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
  const api = await hostsFromApi();

  for (const host of SIMULATED_HOSTS) {
    const ndctl = readNdctlFixture(host.fixture);
    const summary = api.hosts.find((candidate) => candidate.id === host.hostId)?.summary;
    expect(summary, `the hub lists ${host.hostId}`).toBeDefined();
    if (summary === undefined) continue;
    const row = fleetRow(page, host.hostname);
    await expect(row).toHaveCount(1);
    await expect(row.getByText('online', { exact: true })).toBeVisible();

    // capacity: the total is the sum of ndctl's region sizes; the legend names exactly the modes in use
    const total = regionsOf(ndctl).reduce((sum, region) => sum + region.size, 0);
    await expect(row.getByRole('img')).toHaveAttribute('aria-label', new RegExp(`^Capacity ${humanBytes(total)}: `));
    const legend = row.getByRole('list', { name: 'Capacity by mode' }).getByRole('listitem');
    const expectedModes = [...modesInUse(ndctl)];
    await expect(legend).toHaveCount(expectedModes.length);
    for (const mode of expectedModes) {
      const figure = summary.capacity_by_mode[mode as keyof typeof summary.capacity_by_mode];
      await expect(legend.filter({ hasText: new RegExp(`^${mode} `) })).toHaveText(`${mode} ${humanBytes(figure)}`);
    }

    // health: a recorded tree has no SMART commands behind it, so every DIMM is "not reported"
    const dimmCount = ndctl.flatMap((bus) => bus.dimms ?? []).length;
    await expect(row.getByRole('list', { name: new RegExp(`^DIMM health of ${dimmCount} DIMMs?$`) }))
      .toHaveText(`${dimmCount} not reported`);

    // bad blocks: the hub's deduplicated count, highlighted, and non-zero exactly when ndctl saw any
    const badBlockCell = row.getByRole('cell').nth(3);
    await expect(badBlockCell).toHaveText(String(summary.badblock_count));
    expect(summary.badblock_count > 0).toBe(hasBadBlocks(ndctl));
    if (summary.badblock_count > 0) await expect(badBlockCell.locator('strong')).toHaveClass(/badblock-count--open/);
  }
  await page.screenshot({ path: '/tmp/daxfleet-e2e-fleet.png', fullPage: true });
});

function deviceNames(namespace: NdctlNamespace): string[] {
  if (namespace.blockdev !== undefined) return [`/dev/${namespace.blockdev}`];
  if (namespace.chardev !== undefined) return [`/dev/${namespace.chardev}`];
  return (namespace.daxregion?.devices ?? []).map((device) => `/dev/${device.chardev}`);
}

/**
 * The bad-block table with this caption lists exactly the ranges ndctl printed (offset, length, and the DIMMs
 * when ndctl names them), and is absent when ndctl counted none. ndctl prints only a count for some objects
 * (a sector namespace): then the list is not checked.
 */
async function expectBadBlockRows(scope: Locator, caption: string, object: { badblock_count?: number; badblocks?: NdctlBadBlock[] }): Promise<void> {
  const table = scope.getByRole('table', { name: caption, exact: true });
  const ranges = object.badblocks;
  if ((object.badblock_count ?? 0) === 0) {
    await expect(table).toHaveCount(0);
    return;
  }
  if (ranges === undefined) return;
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(ranges.length);
  for (const [index, range] of ranges.entries()) {
    const cells = rows.nth(index).getByRole('cell');
    await expect(cells.nth(0)).toHaveText(range.offset.toLocaleString('en-US'));
    await expect(cells.nth(1)).toHaveText(range.length.toLocaleString('en-US'));
    await expect(cells.nth(2)).toHaveText(humanBytes(range.length * 512));
    if (range.dimms !== undefined) await expect(cells.nth(3)).toHaveText(range.dimms.join(', '));
  }
}

for (const host of SIMULATED_HOSTS) {
  test(`the host page of ${host.hostname} shows the topology ndctl saw in ${host.fixture}`, async ({ page }) => {
    const ndctl = readNdctlFixture(host.fixture);
    await page.goto(hubUrl());
    await fleetRow(page, host.hostname).getByRole('link', { name: host.hostname, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/hosts/${host.hostId}$`));
    await expect(page.getByRole('heading', { level: 1, name: host.hostname })).toBeVisible();
    await expect(page).toHaveTitle(`${host.hostname} · daxfleet`);
    const topology = section(page, 'Topology');

    for (const bus of ndctl) {
      const busNode = section(topology, bus.dev);
      await expect(busNode).toBeVisible();
      await expect(busNode.getByText(bus.provider, { exact: true })).toBeVisible();

      const dimmTable = busNode.getByRole('table', { name: `DIMMs on ${bus.dev}` });
      await expect(dimmTable.getByRole('row')).toHaveCount((bus.dimms ?? []).length + 1);
      for (const dimm of bus.dimms ?? []) {
        const row = dimmTable.getByRole('row', { name: new RegExp(`^${dimm.dev} `) });
        if (dimm.id !== undefined) await expect(row).toContainText(dimm.id);
        await expect(row).toContainText('not reported');
      }

      for (const region of bus.regions ?? []) {
        const regionNode = section(busNode, region.dev);
        const regionHead = regionNode.locator('.tree-node__head').first();
        await expect(regionHead.getByText(region.type, { exact: true })).toBeVisible();
        await expect(regionHead.getByText(humanBytes(region.size), { exact: true })).toHaveAttribute('value', String(region.size));
        // the region's usage bar accounts for all of it: namespaces by mode plus available space
        await expect(regionNode.getByRole('img').first()).toHaveAttribute('aria-label', new RegExp(`^Capacity ${humanBytes(region.size)}: `));
        if ((region.badblock_count ?? 0) > 0) {
          await expect(regionHead.getByText(`${region.badblock_count} bad blocks`, { exact: true })).toBeVisible();
        }
        await expectBadBlockRows(regionNode, `Bad blocks in ${region.dev} (region-relative sectors)`, region);
        if (region.available_size !== undefined) {
          await expect(regionNode.getByText(humanBytes(region.available_size), { exact: true }).first()).toBeVisible();
        }
        for (const namespace of region.namespaces ?? []) {
          const namespaceNode = section(regionNode, namespace.dev);
          const head = namespaceNode.locator('.tree-node__head');
          await expect(head.getByText(namespace.mode, { exact: true })).toBeVisible();
          await expect(head.getByText(humanBytes(namespace.size), { exact: true })).toHaveAttribute('value', String(namespace.size));
          for (const device of deviceNames(namespace)) {
            await expect(namespaceNode.locator('.device-node').getByText(device, { exact: true })).toBeVisible();
          }
          for (const daxDevice of namespace.daxregion?.devices ?? []) {
            const row = namespaceNode.getByRole('row', { name: new RegExp(`^/dev/${daxDevice.chardev} `) });
            await expect(row.getByRole('cell').nth(0)).toHaveText(daxDevice.mode);
            await expect(row.getByRole('cell').nth(1)).toHaveText(humanBytes(daxDevice.size));
            if (daxDevice.mode === 'system-ram' && daxDevice.online_memblocks !== undefined) {
              await expect(row.getByRole('cell').nth(2)).toContainText(`${daxDevice.online_memblocks}/${daxDevice.total_memblocks} online`);
            }
          }
          if ((namespace.badblock_count ?? 0) > 0) {
            await expect(head.getByText(`${namespace.badblock_count} bad blocks`, { exact: true })).toBeVisible();
          }
          await expectBadBlockRows(namespaceNode, `Bad blocks in ${namespace.dev} (sectors, as ndctl -M lists them)`, namespace);
        }
      }
    }
    // every namespace ndctl listed appears exactly once
    for (const namespace of namespacesOf(ndctl)) {
      await expect(section(topology, namespace.dev)).toHaveCount(1);
    }

    const history = section(page, 'History');
    await expect(history.getByRole('heading', { name: /^Version \d+$/ }).first()).toBeVisible();
    await page.screenshot({ path: `/tmp/daxfleet-e2e-host-${host.hostId}.png`, fullPage: true });
  });
}

test('the fleet filter narrows the table and keeps its choice in the URL', async ({ page }) => {
  await page.goto(hubUrl());
  const api = await hostsFromApi();
  const [first, ...others] = SIMULATED_HOSTS;
  if (first === undefined) throw new Error('no simulated host');
  await page.getByRole('searchbox', { name: 'Host name or id' }).fill(first.hostname);
  await expect(fleetRow(page, first.hostname)).toHaveCount(1);
  for (const other of others) await expect(fleetRow(page, other.hostname)).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`\\?q=${first.hostname}$`));

  await page.getByRole('searchbox', { name: 'Host name or id' }).fill('');
  await page.getByRole('combobox', { name: 'Show' }).selectOption({ label: 'With bad blocks' });
  await expect(page).toHaveURL(/\?show=badblocks$/);
  for (const host of SIMULATED_HOSTS) {
    const withBadBlocks = (api.hosts.find((candidate) => candidate.id === host.hostId)?.summary.badblock_count ?? 0) > 0;
    await expect(fleetRow(page, host.hostname)).toHaveCount(withBadBlocks ? 1 : 0);
  }
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Show' })).toHaveValue('badblocks');
});

test('an unknown host shows the hub error in words', async ({ page }) => {
  await page.goto(`${hubUrl()}/hosts/no-such-host`);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Could not load this host');
  await expect(alert).toContainText('HTTP 404');
  await expect(page.getByRole('link', { name: 'Fleet' }).first()).toBeVisible();
});
