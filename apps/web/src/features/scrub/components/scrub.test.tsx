import type { ScrubJob } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub } from '@/testing/stub-hub';

afterEach(() => {
  vi.unstubAllGlobals();
});

// a bus recorded in the lab, with the scrub attributes an ACPI NFIT bus that offers ARS has
const recorded = inject('recordedKernels')['two-dimm-all-modes'].inventory;
const inventory = { ...recorded, buses: recorded.buses.map((bus) => ({ ...bus, scrub_state: 'idle' as const, scrub_count: 2 })) };
const busDev = inventory.buses[0]!.dev;

function hub(role: 'viewer' | 'operator') {
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    'GET /hosts/host-a': { body: { ...hostSummary(), inventory } },
    'GET /hosts/host-a/inventory/history': { body: { versions: [] } },
    'POST /hosts/host-a/scrub': { status: 202, body: { host_id: 'host-a', buses: [{ bus: busDev, started: true, supported: true, scrub_count: 2, scrub_state: 'active' }] } },
  });
}

describe('scrub on the host page', () => {
  it("shows each bus's scrub state and count; a viewer has no Start scrub", async () => {
    hub('viewer');
    renderApp('/hosts/host-a');
    const table = await screen.findByRole('table', { name: 'Bus scrub state' });
    const row = within(table).getAllByRole('row')[1]!;
    expect(row.textContent).toContain(busDev);
    expect(row.textContent).toContain('idle');
    expect(within(row).getAllByRole('cell')[1]!.textContent).toBe('2');
    expect(within(table).queryByRole('button')).toBeNull();
    expect(screen.getByRole('link', { name: 'Media errors of pmem-a' }).getAttribute('href')).toBe('/media?host=host-a');
  });

  it('an operator starts a scrub on a bus and reads what the agent did', async () => {
    const calls = hub('operator');
    renderApp('/hosts/host-a');
    fireEvent.click(await screen.findByRole('button', { name: `Start scrub on ${busDev}` }));
    expect(await screen.findByText(/^Scrub started/)).toBeTruthy();
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: '/hosts/host-a/scrub', body: { bus: busDev } }]);
  });
});

describe('fleet scrub on the media page', () => {
  const job: ScrubJob = {
    id: 'job-1', status: 'running', created_at: new Date().toISOString(), created_by: 'operator-1', updated_at: new Date().toISOString(),
    host_timeout_s: 21_600,
    hosts: [
      { host_id: 'host-a', hostname: 'pmem-a', state: 'completed', buses: [{ bus: 'ndbus0', started: true, count_before: 2, count_after: 3 }], timeout_s: 21_600 },
      { host_id: 'host-b', hostname: 'pmem-b', state: 'running', buses: [{ bus: 'ndbus0', started: true, count_before: 0 }], timeout_s: 21_600 },
      { host_id: 'host-c', hostname: 'pmem-c', state: 'waiting', buses: [], timeout_s: 21_600 },
    ],
    counts: { total: 3, waiting: 1, starting: 0, running: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
  };

  it('an operator creates a staggered job and follows it host by host', async () => {
    let jobs: ScrubJob[] = [];
    const calls = stubHub({
      'GET /auth/me': { body: principal('operator') },
      'GET /hosts': { body: { hosts: [hostSummary()] } },
      'GET /media/ledger': { body: { entries: [], open_count: 0, open_sectors: 0 } },
      'GET /media/events': { body: { events: [] } },
      'GET /scrubs': () => ({ body: { jobs } }),
      'POST /scrubs': () => { jobs = [job]; return { status: 201, body: job }; },
    });
    renderApp('/media');
    await screen.findByText('No fleet scrub has run.');
    fireEvent.click(screen.getByRole('button', { name: 'Scrub fleet' }));
    const progress = await screen.findByRole('group', { name: 'Scrub job job-1' });
    expect(progress.textContent).toContain('1 of 3 hosts done');
    const hosts = within(within(progress).getByRole('list', { name: 'Hosts, in scrub order' })).getAllByRole('listitem');
    expect(hosts.map((host) => host.textContent)).toEqual(['completed pmem-a (ndbus0 2→3)', 'running pmem-b (ndbus0)', 'waiting pmem-c']);
    expect(screen.getByRole('button', { name: 'Scrub fleet' }).hasAttribute('disabled')).toBe(true);
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: '/scrubs', body: {} }]);
  });
});
