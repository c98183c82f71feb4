/**
 * How the operator UI and the hub's read path cope with a large fleet: a real hub is filled with N hosts
 * (reports of the recorded lab kernels under N host ids, POSTed like agents do), then Debian's Chromium
 * loads the fleet page and a host page. Prints figures; asserts nothing about time.
 *
 *   pnpm --filter @daxfleet/e2e bench                        (N = 2000)
 *   DAXFLEET_BENCH_HOSTS=10000 pnpm --filter @daxfleet/e2e bench
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { AgentReport, Inventory } from '@daxfleet/shared';
import { freePort, startDaxfleet } from '../support/daxfleet-process';
import { ADMIN_ENV, enrollHost, hubJson, loginForCookie, loginThroughUi, USERS } from '../support/hub-auth';
import { cliPath, fixtureDir, repoRoot } from '../support/paths';

const HOSTS = Number(process.env.DAXFLEET_BENCH_HOSTS ?? 2000);
const FIXTURES = ['two-dimm-all-modes', 'four-dimm-mixed', 'one-dimm-label-less', 'devdax-system-ram'];
const CONCURRENCY = 8;
const PAGE_LOADS = 5;

function scan(fixture: string): Inventory {
  const json = execFileSync(process.execPath, [cliPath, 'inventory', '--sysfs-root', join(fixtureDir(fixture), 'sys')], { encoding: 'utf8' });
  return JSON.parse(json) as Inventory;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function describeTimes(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${quantile(sorted, 0.5).toFixed(0)} ms, min ${sorted[0]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms (${sorted.length} runs)`;
}

function figure(label: string, value: string): void {
  console.log(`  ${label.padEnd(44)} ${value}`);
}

test(`fleet UI with ${HOSTS} hosts`, async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('hub');
  const hub = await startDaxfleet('bench-hub', [
    '--role', 'hub', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'), '--log-level', 'warn',
  ], workDir, 30_000, ADMIN_ENV);
  try {
    console.log(`\ndaxfleet web bench: ${HOSTS} hosts (recorded kernels ${FIXTURES.join(', ')}), hub ${hub.url}`);
    const assets = join(repoRoot, 'apps/web/dist/assets');
    for (const file of readdirSync(assets).filter((name) => /\.(js|css)$/.test(name))) {
      const bytes = statSync(join(assets, file)).size;
      figure(`bundle ${file.replace(/-[\w-]+\./, '.')}`, `${(bytes / 1024).toFixed(1)} KiB, gzip ${(gzipSync(readFileSync(join(assets, file))).length / 1024).toFixed(1)} KiB`);
    }

    const inventories = FIXTURES.map(scan);
    // every simulated host enrolls first (join token → its own credential), outside the timed ingest
    const admin = await loginForCookie(hub.url, USERS.admin.username, USERS.admin.password);
    const { token } = await hubJson<{ token: string }>(hub.url, 'POST', '/tokens', 201, {
      cookie: admin.header, body: { name: 'bench', scope: 'admin', expires_in_days: 1 },
    });
    const credentials: string[] = new Array<string>(HOSTS);
    let toEnroll = 0;
    const enroller = async () => {
      while (toEnroll < HOSTS) {
        const index = toEnroll++;
        credentials[index] = await enrollHost(hub.url, token, `bench-${String(index).padStart(5, '0')}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, enroller));

    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < HOSTS) {
        const index = next++;
        const id = `bench-${String(index).padStart(5, '0')}`;
        const report: AgentReport = {
          host_id: id, hostname: id, agent_version: 'bench', scanned_at: new Date().toISOString(), interval_ms: 3_600_000,
          inventory: inventories[index % inventories.length] as Inventory,
        };
        const response = await fetch(`${hub.url}/api/v1/agents/report`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credentials[index] ?? ''}` }, body: JSON.stringify(report),
        });
        if (!response.ok) throw new Error(`report ${id}: HTTP ${response.status} ${await response.text()}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ingestMs = performance.now() - started;
    figure('ingest (first reports, POST, 8 in flight)', `${(HOSTS / (ingestMs / 1000)).toFixed(0)} reports/s (${(ingestMs / 1000).toFixed(1)} s total)`);

    const listTimes: number[] = [];
    let listBytes = 0;
    for (let run = 0; run < PAGE_LOADS; run++) {
      const t0 = performance.now();
      const body = await (await fetch(`${hub.url}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } })).text();
      listTimes.push(performance.now() - t0);
      listBytes = body.length;
    }
    figure('GET /api/v1/hosts', `${describeTimes(listTimes)}; ${(listBytes / 1024).toFixed(0)} KiB, gzip ${(gzipSync(Buffer.from(JSON.stringify(JSON.parse(await (await fetch(`${hub.url}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } })).text())))).length / 1024).toFixed(0)} KiB`);

    await loginThroughUi(page, hub.url);
    const fleetTimes: number[] = [];
    for (let run = 0; run < PAGE_LOADS; run++) {
      const t0 = performance.now();
      await page.goto(hub.url);
      await expect(page.getByRole('status').filter({ hasText: `${HOSTS} hosts` })).toBeVisible();
      await expect(page.locator('tbody tr').nth(Math.min(HOSTS, 100) - 1)).toBeVisible();
      fleetTimes.push(performance.now() - t0);
    }
    figure('fleet page: navigation to first 100 rows', describeTimes(fleetTimes));

    const filterTimes: number[] = [];
    for (let run = 0; run < PAGE_LOADS; run++) {
      const target = `bench-${String((run * 7919) % HOSTS).padStart(5, '0')}`;
      const t0 = performance.now();
      await page.getByRole('searchbox', { name: 'Host name or id' }).fill(target);
      await expect(page.locator('tbody tr')).toHaveCount(1);
      filterTimes.push(performance.now() - t0);
    }
    figure('fleet filter: keystrokes to one matching row', describeTimes(filterTimes));

    const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize);
    if (heap !== undefined) figure('fleet page JS heap in use', `${(heap / 1024 / 1024).toFixed(1)} MiB`);

    const hostTimes: number[] = [];
    for (let run = 0; run < PAGE_LOADS; run++) {
      const t0 = performance.now();
      await page.goto(`${hub.url}/hosts/bench-${String(1 + 4 * run).padStart(5, '0')}`); // four-dimm-mixed hosts
      await expect(page.getByRole('region', { name: 'History', exact: true }).getByRole('heading', { name: 'Version 1' })).toBeVisible();
      await expect(page.getByRole('region', { name: 'region3', exact: true })).toBeVisible();
      hostTimes.push(performance.now() - t0);
    }
    figure('host page (4 DIMMs, 7 namespaces) to topology', describeTimes(hostTimes));
  } finally {
    await hub.stop();
  }
});
