import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badRangesOf, type AgentReport, type BadRange, type Inventory, type LedgerPage, type MediaEvent, type RangeFiles } from '@daxfleet/shared';
import { cliPath, fixtureDir } from '../support/paths';
import { expect, test } from '../support/fixtures';
import { adminToken, enrollHost } from '../support/hub-auth';
import { hubUrl } from '../support/simulated-hosts';

/**
 * The files a bad range hits, on the media page of the real hub. The simulated agents read recorded trees, whose
 * filesystems are not mounted here, so they map nothing (and say so in their log); this spec reports as an agent
 * would, through the agent route with an enrolled credential: a real scan of four-dimm-mixed, whose recorded
 * mount table has ext4 on /dev/pmem0 mounted dax=always, its bad ranges as badblock-new events, and the range
 * under pmem0 mapped to a file and an inode table (the mapping itself is the test's: the real one needs the
 * filesystem, see apps/api/test/range-files-agent.test.ts). A second report maps the range to free space: the
 * open page follows through the live stream.
 */
const HOST = 'sim-files';
const FIXTURE = 'four-dimm-mixed';

async function report(credential: string, body: Omit<AgentReport, 'host_id' | 'hostname' | 'agent_version' | 'scanned_at' | 'interval_ms'>): Promise<void> {
  const full: AgentReport = {
    host_id: HOST, hostname: HOST, agent_version: 'e2e', scanned_at: new Date().toISOString(), interval_ms: 60_000, ...body,
  };
  const response = await fetch(`${hubUrl()}/api/v1/agents/report`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: JSON.stringify(full),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** mountpoint and dax option of /dev/<blockdev> in the recorded mount table */
function recordedMount(blockdev: string): { mountpoint: string; fstype: string; dax: 'always' | 'never' | 'inode' } {
  const line = readFileSync(join(fixtureDir(FIXTURE), 'mounts.txt'), 'utf8').split('\n').find((l) => l.split(' - ')[1]?.split(' ')[1] === `/dev/${blockdev}`);
  if (line === undefined) throw new Error(`${FIXTURE}/mounts.txt mounts no /dev/${blockdev}`);
  const [head, tail] = line.split(' - ') as [string, string];
  const dax = /(?:^|,)dax=(always|never|inode)/.exec(tail.split(' ')[2] ?? '')?.[1] as 'always' | 'never' | 'inode';
  return { mountpoint: head.split(' ')[4]!, fstype: tail.split(' ')[0]!, dax };
}

test('an open range under a mounted filesystem shows the files it hits, and follows a new mapping live', async ({ page }) => {
  const scanned = JSON.parse(execFileSync(process.execPath, [cliPath, 'inventory', '--sysfs-root', join(fixtureDir(FIXTURE), 'sys')],
    { encoding: 'utf8' })) as Inventory;
  const ranges = badRangesOf(scanned);
  const mounted = ranges.find((r) => r.blockdev === 'pmem0' && r.blockdev_offset !== undefined);
  const raw = ranges.find((r) => r.namespace_mode === 'raw');
  const devdax = ranges.find((r) => r.chardev !== undefined);
  if (!mounted || !raw || !devdax) throw new Error(`${FIXTURE} no longer has a bad range under pmem0, a raw and a devdax namespace`);
  const mount = recordedMount('pmem0');
  const device = mounted.blockdev_offset! * 512;
  const name = (r: BadRange) => `${r.region}+${r.region_offset}`;
  const events: MediaEvent[] = [mounted, raw, devdax].map((range, i) => ({
    id: `e2efiles${Date.now()}x${i}`, type: 'badblock-new', detected_at: new Date().toISOString(), detected_by: 'scan',
    summary: `bad range ${name(range)}`, range,
  }));
  const mapping = (hits: RangeFiles['hits']): RangeFiles => ({
    region: mounted.region, region_offset: mounted.region_offset, length: mounted.length, blockdev: 'pmem0',
    mountpoint: mount.mountpoint, fstype: mount.fstype, dax: mount.dax, method: 'getfsmap', hits, mapped_at: new Date().toISOString(),
  });
  const path = `${mount.mountpoint}/db/orders.tbl`;

  const credential = await enrollHost(hubUrl(), adminToken(), HOST);
  await report(credential, {
    inventory: scanned, events,
    range_files: [mapping([
      { kind: 'file', device_offset: device, length: 3072, inode: 12, path, file_offset: 40960, file_size: 1048576, unwritten: false },
      { kind: 'metadata', device_offset: device + 3072, length: mounted.length * 512 - 3072, metadata: 'inode table' },
    ])],
  });
  // the REST answer carries the mapping on the open entry, nothing on the others
  const api = await (await fetch(`${hubUrl()}/api/v1/hosts/${HOST}/ledger`, { headers: { authorization: `Bearer ${adminToken()}` } })).json() as LedgerPage;
  const byName = new Map(api.entries.map((e) => [name(e.range), e]));
  expect(byName.get(name(mounted))?.files?.hits[0]?.path).toBe(path);
  expect(byName.get(name(raw))?.files).toBeUndefined();

  await page.goto(`${hubUrl()}/media?host=${HOST}`);
  const ledger = page.getByRole('table', { name: 'Bad-block ledger' });
  const row = ledger.getByRole('row').filter({ hasText: name(mounted) });
  const toggle = row.getByRole('button', { name: 'hits 1 file, metadata' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(ledger.getByRole('row').filter({ hasText: name(raw) })).toContainText('not under a mounted filesystem');
  await expect(ledger.getByRole('row').filter({ hasText: name(devdax) })).toContainText('not under a filesystem (device DAX)');

  await toggle.click();
  const details = page.getByRole('region', { name: `Files hit by ${name(mounted)}` });
  await expect(details).toContainText(`mounted on ${mount.mountpoint} (ext4, dax=${mount.dax})`);
  await expect(details).toContainText('GETFSMAP');
  const hits = details.getByRole('table', { name: `Hits of ${name(mounted)}` }).getByRole('row');
  await expect(hits).toHaveCount(3);
  await expect(hits.nth(1)).toContainText(path);
  await expect(hits.nth(1)).toContainText('40,960');
  await expect(hits.nth(2)).toContainText('inode table');
  await page.screenshot({ path: '/tmp/daxfleet-e2e-media-files.png', fullPage: true });

  // the agent maps again: the file is gone, the range is free space; the page follows without a reload
  await report(credential, { inventory: scanned, range_files: [mapping([{ kind: 'free', device_offset: device, length: mounted.length * 512 }])] });
  await expect(row.getByRole('button', { name: 'free space' })).toBeVisible();
  await expect(details).toContainText('Maps to free space: no file data lost.');
  await expect(details).not.toContainText(path);
});
