/**
 * The media errors page against the real hub and the simulated agents: every bad range the recorded kernels list
 * (regionN/badblocks as ndctl printed them, /sys/block/pmemX/badblocks as the kernel wrote them) shows in the
 * ledger with its host, region-relative sectors, DIMMs and block-device sector; the host filter lives in the URL.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { LedgerPage } from '@daxfleet/shared';
import { expect, test } from '../support/fixtures';
import { adminToken } from '../support/hub-auth';
import { readNdctlFixture, regionsOf } from '../support/ndctl-fixture';
import { fixtureDir } from '../support/paths';
import { hubUrl, SIMULATED_HOSTS } from '../support/simulated-hosts';

/** "pmem3" -> its badblocks lines, from every /sys/block/pmemX/badblocks of the recorded tree. */
function blockdevBadBlocks(fixture: string): { blockdev: string; offset: number; length: number }[] {
  const found: { blockdev: string; offset: number; length: number }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) walk(path);
      else if (name === 'badblocks' && /\/block\/(pmem[^/]+)\/badblocks$/.test(path)) {
        const blockdev = /\/block\/(pmem[^/]+)\/badblocks$/.exec(path)![1]!;
        for (const line of readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '')) {
          const [offset, length] = line.trim().split(/\s+/).map(Number);
          found.push({ blockdev, offset: offset!, length: length! });
        }
      }
    }
  };
  walk(join(fixtureDir(fixture), 'sys', 'devices'));
  return found;
}

const integer = (value: number) => value.toLocaleString('en-US');

function ledger(page: Page): Locator {
  return page.getByRole('table', { name: 'Bad-block ledger' });
}

function rowWith(page: Page, text: string): Locator {
  return ledger(page).getByRole('row').filter({ hasText: text });
}

async function hostLedger(hostId: string): Promise<LedgerPage> {
  const response = await fetch(`${hubUrl()}/api/v1/hosts/${hostId}/ledger?limit=500`, { headers: { authorization: `Bearer ${adminToken()}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as LedgerPage;
}

const withBadBlocks = SIMULATED_HOSTS.filter((host) => regionsOf(readNdctlFixture(host.fixture)).some((region) => (region.badblocks ?? []).length > 0)
  || blockdevBadBlocks(host.fixture).length > 0);

test('the ledger lists every bad range of the recorded kernels with its coordinates', async ({ page }) => {
  expect(withBadBlocks.length).toBeGreaterThan(0);
  await page.goto(`${hubUrl()}/media`);
  await expect(page.getByRole('heading', { level: 1, name: 'Media errors' })).toBeVisible();
  await expect(ledger(page)).toBeVisible();

  for (const host of withBadBlocks) {
    for (const region of regionsOf(readNdctlFixture(host.fixture))) {
      for (const bad of region.badblocks ?? []) {
        const row = rowWith(page, `${region.dev}+${bad.offset}`).filter({ hasText: host.hostname });
        await expect(row, `${host.hostname} ${region.dev}+${bad.offset}`).toHaveCount(1);
        await expect(row).toContainText(`${integer(bad.length)} sectors`);
        for (const dimm of bad.dimms ?? []) await expect(row).toContainText(dimm);
        await expect(row).toContainText('open');
      }
    }
    // the block devices' own lists: the same sector the kernel lists for pmemX shows on one row of the host
    for (const bad of blockdevBadBlocks(host.fixture)) {
      const row = rowWith(page, `${bad.blockdev} sector ${integer(bad.offset)}`).filter({ hasText: host.hostname });
      await expect(row, `${host.hostname} ${bad.blockdev} sector ${bad.offset}`).toHaveCount(1);
      await expect(row).toContainText(`${integer(bad.length)} sectors`);
    }
  }
  // the open summary counts every open range of the fleet (other specs' hosts included): at least the recorded
  // kernels' ranges, and what the hub counts
  const recorded = (await Promise.all(withBadBlocks.map((host) => hostLedger(host.hostId)))).reduce((sum, answer) => sum + answer.open_count, 0);
  await expect(async () => {
    const response = await fetch(`${hubUrl()}/api/v1/media/ledger?limit=1`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const fleet = (await response.json()) as LedgerPage;
    expect(fleet.open_count).toBeGreaterThanOrEqual(recorded);
    await expect(page.getByLabel('Open bad ranges', { exact: true })).toContainText(`${integer(fleet.open_count)} open ranges`, { timeout: 2000 });
  }).toPass();
  await expect(page.getByRole('status', { name: 'Live updates: live' })).toBeVisible();
  await page.screenshot({ path: '/tmp/daxfleet-e2e-media.png', fullPage: true });
});

test('filtering by host keeps the filter in the URL and shows only that host', async ({ page }) => {
  const [chosen, other] = [withBadBlocks.find((host) => host.fixture === 'two-dimm-all-modes')!, withBadBlocks.find((host) => host.fixture === 'four-dimm-mixed')!];
  await page.goto(`${hubUrl()}/media`);
  await expect(ledger(page)).toBeVisible();
  await page.getByRole('form', { name: 'Filter media errors' }).getByLabel(/^Host/).selectOption({ label: chosen.hostname });
  await expect(page).toHaveURL(new RegExp(`/media\\?host=${chosen.hostId}$`));

  const api = await hostLedger(chosen.hostId);
  expect(api.entries.length).toBeGreaterThan(0);
  await expect(ledger(page).getByRole('row')).toHaveCount(api.entries.length + 1);
  for (const region of regionsOf(readNdctlFixture(chosen.fixture))) {
    for (const bad of region.badblocks ?? []) await expect(rowWith(page, `${region.dev}+${bad.offset}`)).toHaveCount(1);
  }
  for (const region of regionsOf(readNdctlFixture(other.fixture))) {
    for (const bad of region.badblocks ?? []) {
      // a range of the other host, unless this host has one at the same place
      if (api.entries.some((entry) => entry.range.region === region.dev && entry.range.region_offset === bad.offset)) continue;
      await expect(rowWith(page, `${region.dev}+${bad.offset}`)).toHaveCount(0);
    }
  }
  // a reload keeps the view, and the chart and health sections follow the host
  await page.reload();
  await expect(page.getByRole('form', { name: 'Filter media errors' }).getByLabel(/^Host/)).toHaveValue(chosen.hostId);
  await expect(page.getByRole('img', { name: /^Open bad ranges over time: / })).toBeVisible();
  await expect(page.getByRole('img', { name: /^Open bad ranges over time: / })).toHaveAccessibleName(
    new RegExp(`: ${api.open_count} open \\(${integer(api.open_sectors)} sectors\\) now`),
  );

  // the host page links to the same view
  await page.goto(`${hubUrl()}/hosts/${chosen.hostId}`);
  await page.getByRole('link', { name: `Media errors of ${chosen.hostname}` }).click();
  await expect(page).toHaveURL(new RegExp(`/media\\?host=${chosen.hostId}$`));
  await expect(ledger(page).getByRole('row')).toHaveCount(api.entries.length + 1);
});
