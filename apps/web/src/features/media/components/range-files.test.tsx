import { badRangesOf, type LedgerEntry, type LedgerPage, type RangeFiles } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub } from '@/testing/stub-hub';

afterEach(() => {
  vi.unstubAllGlobals();
});

const { inventory } = inject('recordedKernels')['four-dimm-mixed'];

/** the recorded kernel's bad ranges as open ledger rows; `files` by region offset */
function rows(files: Record<number, RangeFiles> = {}, state: LedgerEntry['state'] = 'open'): LedgerEntry[] {
  return badRangesOf(inventory).map((range, index) => ({
    id: index + 1, host_id: 'host-a', hostname: 'pmem-a', state, range,
    first_seen: new Date(Date.now() - (index + 1) * 60_000).toISOString(), last_seen: new Date().toISOString(),
    found_by: 'scan', new_event_id: `evt-${index + 1}`,
    ...(state === 'cleared' ? { cleared_at: new Date().toISOString(), cleared_by: 'scan' } : {}),
    ...(files[range.region_offset] !== undefined && range.region === 'region2' ? { files: files[range.region_offset] } : {}),
  }));
}

/** region2+131072 lies under pmem2 (fsdax): the range the tests map */
const OFFSET = 131072;
function mapped(over: Partial<RangeFiles> = {}): RangeFiles {
  return {
    region: 'region2', region_offset: OFFSET, length: 8, blockdev: 'pmem2', mountpoint: '/mnt/ext4-dax', fstype: 'ext4',
    dax: 'always', method: 'getfsmap', mapped_at: new Date().toISOString(),
    hits: [
      { kind: 'file', device_offset: 67108864, length: 2048, inode: 13, path: '/mnt/ext4-dax/db/table.bin', file_offset: 1048576, file_size: 4194304 },
      { kind: 'file', device_offset: 67110912, length: 1024, inode: 14, path: '/mnt/ext4-dax/prealloc', file_offset: 8192, file_size: 4096, unwritten: true },
      { kind: 'metadata', device_offset: 67111936, length: 1024, metadata: 'inode table' },
    ],
    ...over,
  };
}

function serve(entries: LedgerEntry[]) {
  const page: LedgerPage = { entries, open_count: entries.filter((e) => e.state === 'open').length, open_sectors: 0 };
  stubHub({
    'GET /auth/me': { body: principal('viewer') },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    'GET /hosts/host-a': { body: { ...hostSummary(), inventory } },
    'GET /media/ledger': { body: page },
    'GET /hosts/host-a/ledger': { body: page },
    'GET /hosts/host-a/health': { body: { samples: [] } },
    'GET /media/events': { body: { events: [] } },
    'GET /scrubs': { body: { jobs: [] } },
  });
}

async function rowOf(name: string): Promise<HTMLTableRowElement> {
  const table = await screen.findByRole('table', { name: 'Bad-block ledger' });
  return within(table).getByText(name).closest('tr') as HTMLTableRowElement;
}

describe('the files a bad range hits, in the ledger', () => {
  it('summarises the hits and expands to the files, the mount and the method', async () => {
    serve(rows({ [OFFSET]: mapped() }));
    renderApp('/media?host=host-a');
    const row = await rowOf(`region2+${OFFSET}`);
    const toggle = within(row).getByRole('button', { name: 'hits 2 files, metadata' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('region', { name: `Files hit by region2+${OFFSET}` })).toBeNull();

    fireEvent.click(toggle);
    const details = await screen.findByRole('region', { name: `Files hit by region2+${OFFSET}` });
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(details.textContent).toContain('/mnt/ext4-dax');
    expect(details.textContent).toContain('ext4, dax=always');
    expect(details.textContent).toContain('GETFSMAP');
    const hits = within(details).getByRole('table', { name: `Hits of region2+${OFFSET}` });
    const lines = within(hits).getAllByRole('row').slice(1).map((tr) => tr.textContent ?? '');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('/mnt/ext4-dax/db/table.bin');
    expect(lines[0]).toContain('1,048,576');
    expect(lines[0]).toContain('2.00 KiB');
    expect(lines[1]).toContain('unwritten (reads return zeros)');
    expect(lines[1]).toContain('past the end of the file (preallocated)');
    expect(lines[2]).toContain('metadata');
    expect(lines[2]).toContain('inode table');
    expect(details.textContent).toContain('unreadable');

    fireEvent.click(toggle);
    await vi.waitFor(() => expect(screen.queryByRole('region', { name: `Files hit by region2+${OFFSET}` })).toBeNull());
  });

  it('says when a range maps to free space, and why a range has no files', async () => {
    serve(rows({
      [OFFSET]: mapped({ method: 'fiemap', dax: undefined, hits: [{ kind: 'free', device_offset: 67108864, length: 4096 }] }),
    }));
    renderApp('/media');
    const row = await rowOf(`region2+${OFFSET}`);
    fireEvent.click(within(row).getByRole('button', { name: 'free space' }));
    const details = await screen.findByRole('region', { name: `Files hit by region2+${OFFSET}` });
    expect(details.textContent).toContain('Maps to free space: no file data lost.');
    expect(details.textContent).toContain('FIEMAP');
    expect(details.textContent).toContain('dax mode not shown');
    expect(details.textContent).not.toContain('unreadable');
    // every other open range of the recorded kernel has no mapping
    const table = screen.getByRole('table', { name: 'Bad-block ledger' });
    const others = [...table.querySelectorAll(':scope > tbody > tr:not(.ledger-table__details)')].filter((tr) => tr !== row);
    expect(others.length).toBeGreaterThan(0);
    for (const tr of others) expect(tr.textContent).toMatch(/not under a (mounted )?filesystem/);
  });

  it('shows a failed mapping\'s error, and nothing for cleared ranges', async () => {
    const entries = [
      ...rows({ [OFFSET]: mapped({ hits: [], error: 'mapping failed: EACCES opening /mnt/ext4-dax' }) }),
      ...rows({ [OFFSET]: mapped() }, 'cleared').map((e) => ({ ...e, id: e.id + 100 })),
    ];
    serve(entries);
    renderApp('/media');
    const table = await screen.findByRole('table', { name: 'Bad-block ledger' });
    const open = within(table).getAllByText(`region2+${OFFSET}`).map((el) => el.closest('tr')!);
    const failed = open.find((tr) => within(tr).queryByRole('button') !== null)!;
    fireEvent.click(within(failed).getByRole('button', { name: 'mapping failed' }));
    expect((await screen.findByRole('alert')).textContent).toContain('EACCES');
    // the cleared row of the same range offers no files (the hub sends none for cleared rows either)
    const cleared = open.find((tr) => tr !== failed)!;
    expect(within(cleared).queryByRole('button')).toBeNull();
  });
});
