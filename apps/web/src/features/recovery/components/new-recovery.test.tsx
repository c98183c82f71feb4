import { badRangesOf, type LedgerEntry, type LedgerPage, type NamespaceMode, type RangeFiles } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub, type StubRoutes } from '@/testing/stub-hub';
import { FILE, planned } from '../testing/plans';

afterEach(() => {
  vi.unstubAllGlobals();
});

const { inventory } = inject('recordedKernels')['four-dimm-mixed'];
/** region2+131072 (8 sectors) lies under namespace2.0 (raw, pmem2) in the recorded kernel */
const OFFSET = 131072;

const files: RangeFiles = {
  region: 'region2', region_offset: OFFSET, length: 8, blockdev: 'pmem2', mountpoint: '/mnt/ext4-dax', fstype: 'ext4',
  dax: 'always', method: 'getfsmap', mapped_at: new Date().toISOString(),
  hits: [
    { kind: 'file', device_offset: 67108864, length: 2048, inode: 13, path: FILE, file_offset: 1049000, file_size: 4194304 },
    { kind: 'metadata', device_offset: 67110912, length: 2048, metadata: 'inode table' },
  ],
};

/** the recorded kernel's bad ranges as open ledger rows; region2+131072 with its files, its mode overridable */
function rows(mode?: NamespaceMode): LedgerEntry[] {
  return badRangesOf(inventory).map((range, index) => {
    const ours = range.region === 'region2' && range.region_offset === OFFSET;
    return {
      id: index + 1, host_id: 'host-a', hostname: 'pmem-a', state: 'open' as const,
      range: ours && mode !== undefined ? { ...range, namespace_mode: mode } : range,
      first_seen: new Date(Date.now() - (index + 1) * 60_000).toISOString(), last_seen: new Date().toISOString(),
      found_by: 'scan' as const, new_event_id: `evt-${index + 1}`,
      ...(ours ? { files } : {}),
    };
  });
}

function hub(role: 'viewer' | 'operator', entries: LedgerEntry[], extra: StubRoutes = {}) {
  const page: LedgerPage = { entries, open_count: entries.length, open_sectors: 0 };
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    'GET /hosts/host-a': { body: { ...hostSummary(), inventory } },
    'GET /media/ledger': { body: page },
    'GET /hosts/host-a/ledger': { body: page },
    'GET /hosts/host-a/health': { body: { samples: [] } },
    'GET /media/events': { body: { events: [] } },
    'GET /scrubs': { body: { jobs: [] } },
    ...extra,
  });
}

const NEW_URL = `/recovery/new?host=host-a&region=region2&offset=${OFFSET}&length=8`;

function radio(name: string): HTMLInputElement {
  return screen.getByRole('radio', { name }) as HTMLInputElement;
}

describe('starting a recovery from the ledger', { timeout: 15_000 }, () => {
  it('each open range has "Recover…" for the range, each file it hits "Recover…" for that file', async () => {
    hub('viewer', rows());
    const { router } = renderApp('/media');
    const table = await screen.findByRole('table', { name: 'Bad-block ledger' });
    const row = within(table).getByText(`region2+${OFFSET}`).closest('tr')!;
    const rangeLink = within(row).getByRole('link', { name: `Recover range region2+${OFFSET}` });
    expect(rangeLink.textContent).toBe('Recover…');
    expect(rangeLink.getAttribute('href')).toBe(NEW_URL);
    expect(within(table).getAllByRole('link', { name: /^Recover range / })).toHaveLength(rows().length);

    fireEvent.click(within(row).getByRole('button', { name: 'hits 1 file, metadata' }));
    const hits = await screen.findByRole('table', { name: `Hits of region2+${OFFSET}` });
    // one link per file, none for the metadata piece
    expect(within(hits).getAllByRole('link').map((link) => link.getAttribute('aria-label'))).toEqual([`Recover ${FILE} on region2+${OFFSET}`]);
    fireEvent.click(within(hits).getByRole('link', { name: `Recover ${FILE} on region2+${OFFSET}` }));
    await vi.waitFor(() => expect(`${router.state.location.pathname}${router.state.location.search}`).toBe(`${NEW_URL}&path=${encodeURIComponent(FILE)}`));
    expect(await screen.findByRole('heading', { level: 1, name: 'Recover a bad range' })).toBeTruthy();
    expect((await screen.findByRole('combobox', { name: 'File' }) as HTMLInputElement).value).toBe(FILE);
  });
});

describe('who may plan', { timeout: 15_000 }, () => {
  it('a viewer sees the actions but cannot ask for a plan: an operator must', async () => {
    const calls = hub('viewer', rows());
    renderApp(NEW_URL);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    const button = screen.getByRole('button', { name: 'Plan (dry run)' }) as HTMLButtonElement;
    await vi.waitFor(() => expect(button.disabled).toBe(true));
    expect(screen.getByRole('note').textContent).toContain('An operator must plan a recovery');
    fireEvent.click(button);
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
  });
});

describe('choosing an action', { timeout: 15_000 }, () => {
  it('without a file: file actions are disabled and say why; clear-errors is the default', async () => {
    hub('operator', rows());
    renderApp(NEW_URL);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    const region = screen.getByRole('region', { name: 'Bad range' });
    expect(region.textContent).toContain('namespace2.0 (raw)');
    expect(region.textContent).toContain('pmem2');
    for (const name of ['Punch a hole', 'Truncate', 'Delete and restore from a backup']) {
      expect(radio(name).disabled).toBe(true);
      expect(document.getElementById(radio(name).getAttribute('aria-describedby')!)!.textContent).toContain('Not available: needs a file the range hits');
    }
    expect(radio('Clear errors').disabled).toBe(false);
    expect(radio('Clear errors').checked).toBe(true);
    expect(radio('Scrub and re-check').disabled).toBe(false);
    // typing a file enables the file actions
    fireEvent.change(screen.getByRole('combobox', { name: 'File' }), { target: { value: FILE } });
    expect(radio('Punch a hole').disabled).toBe(false);
  });

  it('a range on a sector namespace cannot be cleared; on devdax no file action applies', async () => {
    hub('operator', rows('sector'));
    renderApp(`${NEW_URL}&path=${encodeURIComponent(FILE)}`);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    await vi.waitFor(() => expect(radio('Clear errors').disabled).toBe(true));
    expect(document.getElementById(radio('Clear errors').getAttribute('aria-describedby')!)!.textContent).toContain('BTT (sector mode) remaps sectors');
    expect(radio('Punch a hole').checked).toBe(true);
  });

  it('devdax: only clear-errors and scrub-recheck', async () => {
    hub('operator', rows('devdax'));
    renderApp(`${NEW_URL}&path=${encodeURIComponent(FILE)}`);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    await vi.waitFor(() => expect(radio('Punch a hole').disabled).toBe(true));
    expect(radio('Truncate').disabled).toBe(true);
    expect(radio('Clear errors').disabled).toBe(false);
  });

  it('Plan (dry run) sends the request and opens the plan; truncate explains its default size', async () => {
    const calls = hub('operator', rows(), {
      'POST /hosts/host-a/recovery/plans': { status: 201, body: planned({ id: 'rp_new' }) },
      'GET /recovery/plans/rp_new': { body: planned({ id: 'rp_new' }) },
    });
    const { router } = renderApp(`${NEW_URL}&path=${encodeURIComponent(FILE)}`);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    fireEvent.click(radio('Truncate'));
    const size = screen.getByRole('textbox', { name: 'New size (bytes)' });
    // the first bad byte is at 1049000 in the file: the start of its 4 KiB block
    expect(size.parentElement!.textContent).toContain('here 1,048,576 bytes with 4 KiB blocks');
    fireEvent.change(size, { target: { value: '1048064' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Plan valid for' }), { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Plan (dry run)' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/recovery/rp_new'));
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{
      method: 'POST', path: '/hosts/host-a/recovery/plans',
      body: { action: 'truncate', range: { region: 'region2', region_offset: OFFSET, length: 8 }, path: FILE, size: 1048064, ttl_seconds: 1800 },
    }]);
    expect(await screen.findByRole('heading', { level: 1, name: `Punch a hole: ${FILE}` })).toBeTruthy();
  });

  it('delete-restore needs a backup path; the hub\'s refusal to plan is shown', async () => {
    const calls = hub('operator', rows(), {
      'POST /hosts/host-a/recovery/plans': {
        status: 503, body: { statusCode: 503, code: 'DAXFLEET_ERR_HOST_UNREACHABLE', error: 'Service Unavailable', message: 'the agent of host-a did not answer' },
      },
    });
    renderApp(`${NEW_URL}&path=${encodeURIComponent(FILE)}`);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    fireEvent.click(radio('Delete and restore from a backup'));
    fireEvent.submit(screen.getByRole('form', { name: 'Choose a recovery action' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Name the backup to restore from');
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
    fireEvent.change(screen.getByRole('textbox', { name: 'Backup path' }), { target: { value: '/backup/table.bin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Plan (dry run)' }));
    const alert = await screen.findByText('The hub could not plan this recovery');
    expect(alert.closest('[role="alert"]')!.textContent).toContain('the agent of host-a did not answer');
    expect(calls.filter((call) => call.method === 'POST').map((call) => call.body)).toEqual([{
      action: 'delete-restore', range: { region: 'region2', region_offset: OFFSET, length: 8 }, path: FILE, backup_path: '/backup/table.bin', ttl_seconds: 600,
    }]);
  });

  it('a range the ledger no longer lists open says so', async () => {
    hub('operator', []);
    renderApp(NEW_URL);
    expect((await screen.findByRole('note')).textContent).toContain(`The ledger has no open range region2+${OFFSET} on this host`);
    expect(screen.getByRole('button', { name: 'Plan (dry run)' })).toBeTruthy();
  });

  it('the open range is looked up past the ledger\'s first page, following next_cursor', async () => {
    const ours = rows('devdax').filter((e) => e.range.region === 'region2' && e.range.region_offset === OFFSET);
    const others = rows().filter((e) => !(e.range.region === 'region2' && e.range.region_offset === OFFSET));
    // page 1: the other ranges; page 2: nothing; page 3: ours
    const pages: Record<string, LedgerPage> = {
      '': { entries: others, next_cursor: 'c2', open_count: 0, open_sectors: 0 },
      c2: { entries: [], next_cursor: 'c3', open_count: 0, open_sectors: 0 },
      c3: { entries: ours, open_count: 0, open_sectors: 0 },
    };
    const calls = hub('operator', [], {
      'GET /hosts/host-a/ledger': ({ query }) => ({ body: pages[query.get('cursor') ?? ''] }),
    });
    renderApp(`${NEW_URL}&path=${encodeURIComponent(FILE)}`);
    await screen.findByRole('form', { name: 'Choose a recovery action' });
    // devdax (only page 3 says so): no file action applies
    await vi.waitFor(() => expect(radio('Punch a hole').disabled).toBe(true));
    expect(calls.filter((c) => c.path === '/hosts/host-a/ledger')).toHaveLength(3);
  });

  it('a ledger that never ends is read at most 20 pages; the range is then not open', async () => {
    const calls = hub('operator', [], {
      'GET /hosts/host-a/ledger': ({ query }) => ({
        body: { entries: [], next_cursor: `c${Number(query.get('cursor')?.slice(1) ?? 0) + 1}`, open_count: 0, open_sectors: 0 },
      }),
    });
    renderApp(NEW_URL);
    expect((await screen.findByRole('note')).textContent).toContain(`The ledger has no open range region2+${OFFSET} on this host`);
    expect(calls.filter((c) => c.path === '/hosts/host-a/ledger')).toHaveLength(20);
  });

  it('a malformed start says what is missing', async () => {
    hub('operator', []);
    renderApp('/recovery/new?host=host-a&region=region2');
    expect((await screen.findByRole('alert')).textContent).toContain('This page needs host, region, offset and length');
  });
});

describe('lists of recovery plans', { timeout: 15_000 }, () => {
  it('the Recovery page lists recent plans with their status and filters by status in the URL', async () => {
    const queries: string[] = [];
    stubHub({
      'GET /auth/me': { body: principal('viewer') },
      'GET /hosts': { body: { hosts: [hostSummary()] } },
      'GET /recovery/plans': ({ query }) => {
        queries.push(query.toString());
        return { body: { plans: [planned({ status: 'verified' }), planned({ id: 'rp_b', action: 'clear-errors', status: 'refused' })] } };
      },
    });
    const { router } = renderApp('/recovery');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Recovery' }).getAttribute('href')).toBe('/recovery');
    const table = await screen.findByRole('table', { name: 'Recovery plans' });
    const body = within(table).getAllByRole('row').slice(1);
    expect(body.map((row) => within(row).getAllByRole('cell')[4]!.textContent)).toEqual(['verified', 'refused']);
    expect(within(body[0]!).getByRole('link', { name: 'Punch a hole' }).getAttribute('href')).toBe('/recovery/rp_7Qm2xK9a');
    fireEvent.change(screen.getByRole('combobox', { name: 'Status' }), { target: { value: 'failed' } });
    await vi.waitFor(() => expect(router.state.location.search).toBe('?status=failed'));
    await vi.waitFor(() => expect(queries).toContain('status=failed'));
  });

  it("the host page lists the host's plans", async () => {
    stubHub({
      'GET /auth/me': { body: principal('viewer') },
      'GET /hosts': { body: { hosts: [hostSummary()] } },
      'GET /hosts/host-a': { body: { ...hostSummary(), inventory } },
      'GET /hosts/host-a/inventory/history': { body: { versions: [] } },
      'GET /hosts/host-a/recovery/plans': { body: { plans: [planned({ status: 'still-present' })] } },
    });
    renderApp('/hosts/host-a');
    // the host page renders its whole topology first: allow it more than the default second under load
    const table = await screen.findByRole('table', { name: 'Recovery plans' }, { timeout: 5000 });
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('still-present');
    expect(screen.getByRole('link', { name: 'All recovery plans of pmem-a' }).getAttribute('href')).toBe('/recovery?host=host-a');
  });
});
