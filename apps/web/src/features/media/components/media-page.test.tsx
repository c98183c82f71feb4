import { badRangesOf, type LedgerEntry, type LedgerPage } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub } from '@/testing/stub-hub';

afterEach(() => {
  vi.unstubAllGlobals();
});

const { inventory } = inject('recordedKernels')['four-dimm-mixed'];
const HOUR = 3_600_000;

/** Ledger rows for the bad ranges the real reader found in a tree recorded in the lab (four-dimm-mixed). */
function ledgerRows(): LedgerEntry[] {
  return badRangesOf(inventory).map((range, index) => ({
    id: index + 1, host_id: 'host-a', hostname: 'pmem-a', state: 'open', range,
    first_seen: new Date(Date.now() - (index + 1) * HOUR).toISOString(), last_seen: new Date().toISOString(),
    found_by: 'scan', new_event_id: `evt-new-${index + 1}`,
  }));
}

function page(entries: LedgerEntry[], extra: Partial<LedgerPage> = {}): LedgerPage {
  const open = entries.filter((entry) => entry.state === 'open');
  return { entries, open_count: open.length, open_sectors: open.reduce((sum, entry) => sum + entry.range.length, 0), ...extra };
}

function hub(ledger: (query: URLSearchParams) => LedgerPage) {
  const queries: { path: string; query: string }[] = [];
  const record = (path: string) => ({ query }: { query: URLSearchParams }) => {
    queries.push({ path, query: query.toString() });
    return { body: ledger(query) };
  };
  const calls = stubHub({
    'GET /auth/me': { body: principal('viewer') },
    'GET /hosts': { body: { hosts: [hostSummary(), hostSummary({ id: 'host-b', hostname: 'pmem-b' })] } },
    'GET /hosts/host-a': { body: { ...hostSummary(), inventory } },
    'GET /media/ledger': record('/media/ledger'),
    'GET /hosts/host-a/ledger': record('/hosts/host-a/ledger'),
    'GET /hosts/host-a/health': { body: { samples: [] } },
    'GET /media/events': { body: { events: [] } },
    'GET /scrubs': { body: { jobs: [] } },
  });
  return { calls, queries };
}

describe('the media errors page', () => {
  it('lists the ledger with every coordinate and the open summary', async () => {
    const rows = ledgerRows();
    hub(() => page(rows));
    renderApp('/media');
    const table = await screen.findByRole('table', { name: 'Bad-block ledger' });
    expect(within(table).getAllByRole('row')).toHaveLength(rows.length + 1);
    // region2+131072 (8 sectors) lies under namespace2.0, listed by pmem2 at the same sector
    const row = within(table).getByText('region2+131072').closest('tr')!;
    expect(row.textContent).toContain('pmem2 sector 131,072');
    expect(row.textContent).toContain('namespace2.0');
    expect(screen.getByLabelText('Open bad ranges').textContent).toContain(`${rows.length} open ranges`);
  });

  it('keeps the filters in the URL and sends them to the hub', async () => {
    const { queries } = hub(() => page([]));
    const { router } = renderApp('/media?state=open');
    await screen.findByText('No bad ranges match these filters.');
    expect(new URLSearchParams(queries.find((q) => q.path === '/media/ledger')!.query).get('state')).toBe('open');

    const form = screen.getByRole('form', { name: 'Filter media errors' });
    fireEvent.change(within(form).getByLabelText('Host'), { target: { value: 'host-a' } });
    await vi.waitFor(() => expect(router.state.location.search).toBe('?host=host-a&state=open'));
    // the host's DIMMs, from its inventory, become the DIMM choices
    const dimm = within(form).getByLabelText('DIMM');
    await within(dimm).findByRole('option', { name: 'nmem3' });
    fireEvent.change(dimm, { target: { value: 'nmem3' } });
    fireEvent.change(within(form).getByLabelText('First seen from'), { target: { value: '2026-11-27T10:00' } });
    const since = new Date('2026-11-27T10:00').toISOString();
    await vi.waitFor(() => expect(new URLSearchParams(router.state.location.search).get('since')).toBe(since));
    expect(new URLSearchParams(router.state.location.search).get('dimm')).toBe('nmem3');

    await vi.waitFor(() => {
      const sent = queries.filter((q) => q.path === '/hosts/host-a/ledger').map((q) => new URLSearchParams(q.query));
      expect(sent.some((q) => q.get('state') === 'open' && q.get('dimm') === 'nmem3' && q.get('since') === since)).toBe(true);
    });

    fireEvent.click(within(form).getByRole('button', { name: 'Clear filters' }));
    await vi.waitFor(() => expect(router.state.location.search).toBe(''));
  });

  it('says what daxfleet watches when nothing was ever recorded', async () => {
    hub(() => page([]));
    renderApp('/media');
    const notice = await screen.findByRole('region', { name: 'No media errors recorded' });
    expect(notice.textContent).toContain('regionN/badblocks');
    expect(notice.textContent).toContain('ndctl monitor');
  });

  it('pages with the cursor the hub returned', async () => {
    const rows = ledgerRows();
    const { queries } = hub((query) => (query.get('limit') !== '100'
      ? page(rows)
      : query.get('cursor') === null ? page(rows.slice(0, 2), { next_cursor: 'c2' }) : page(rows.slice(2))));
    renderApp('/media');
    const table = await screen.findByRole('table', { name: 'Bad-block ledger' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    fireEvent.click(screen.getByRole('button', { name: 'Show older ranges' }));
    await vi.waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(rows.length + 1));
    expect(queries.some((q) => new URLSearchParams(q.query).get('cursor') === 'c2')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Show older ranges' })).toBeNull();
  });
});
