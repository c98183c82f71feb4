import type { FleetCapacity } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub } from '@/testing/stub-hub';

afterEach(() => {
  vi.unstubAllGlobals();
});

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const CAPACITY: FleetCapacity = {
  totals: { raw: 64 * MiB, sector: 0, fsdax: 6 * GiB, devdax: 2 * GiB, 'system-ram': GiB, free: 1 * GiB - 64 * MiB, total: 10 * GiB },
  hosts: [
    {
      host_id: 'host-a', hostname: 'pmem-a', status: 'online',
      capacity: { raw: 64 * MiB, sector: 0, fsdax: 4 * GiB, devdax: 2 * GiB, 'system-ram': 0, free: GiB - 64 * MiB, total: 7 * GiB },
      filesystems: { inode: 2, always: 0, never: 1 },
    },
    {
      host_id: 'host-b', hostname: 'pmem-b', status: 'offline',
      capacity: { raw: 0, sector: 0, fsdax: 2 * GiB, devdax: 0, 'system-ram': GiB, free: 0, total: 3 * GiB },
      filesystems: { inode: 0, always: 1, never: 0 },
    },
  ],
  hosts_without_pmem: 3,
  filesystems: { inode: 2, always: 1, never: 1, without_device_dax: 1 },
  generated_at: new Date().toISOString(),
};

describe('the fleet capacity page', { timeout: 15_000 }, () => {
  it('shows the totals by mode as a bar and a table, per-host rows, filesystems by dax mode, hosts without pmem', async () => {
    stubHub({
      'GET /auth/me': { body: principal('viewer') },
      'GET /hosts': { body: { hosts: [hostSummary()] } },
      'GET /fleet/capacity': { body: CAPACITY },
    });
    const { router } = renderApp('/');
    fireEvent.click(within(await screen.findByRole('navigation', { name: 'Main' })).getByRole('link', { name: 'Capacity' }));
    const totals = await screen.findByRole('table', { name: 'Capacity by mode' });
    const rows = within(totals).getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('th,td')].map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['fsdax', '6.00 GiB', '60.0 %'], ['devdax', '2.00 GiB', '20.0 %'], ['system-ram', '1.00 GiB', '10.0 %'],
      ['sector', '0 B', '0.0 %'], ['raw', '64.00 MiB', '0.6 %'], ['free', '960.00 MiB', '9.4 %'], ['total', '10.00 GiB', '100.0 %'],
    ]);
    expect(within(totals).getAllByRole('row')[1]!.querySelector('data')?.getAttribute('value')).toBe(String(6 * GiB));
    expect(screen.getAllByRole('img')[0]!.getAttribute('aria-label')).toBe('Capacity 10.00 GiB: fsdax 6.00 GiB, devdax 2.00 GiB, system-ram 1.00 GiB, sector 0 B, raw 64.00 MiB, free 960.00 MiB');
    expect(screen.getByLabelText('Hosts without pmem').textContent).toBe('3 without');
    expect([...screen.getByRole('table', { name: 'Filesystems by DAX mode' }).querySelectorAll('tbody td')].map((cell) => cell.textContent)).toEqual(['2', '1', '1', '1']);
    const byHost = screen.getByRole('table', { name: 'Capacity by host' });
    const hostB = within(byHost).getAllByRole('row')[2]!;
    expect(hostB.textContent).toContain('offline');
    expect(hostB.textContent).toContain('0 / 1 / 0');
    fireEvent.click(within(byHost).getByRole('link', { name: 'DAX of pmem-b' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/hosts/host-b/dax'));
  });

  it('an empty fleet says no host reports persistent memory', async () => {
    stubHub({
      'GET /auth/me': { body: principal('viewer') },
      'GET /fleet/capacity': { body: { ...CAPACITY, hosts: [], totals: { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0, total: 0 }, hosts_without_pmem: 2 } },
    });
    renderApp('/capacity');
    expect(await screen.findByText('No host reports persistent memory.')).toBeTruthy();
    expect(screen.getByLabelText('Hosts without pmem').textContent).toBe('2 without');
  });
});
