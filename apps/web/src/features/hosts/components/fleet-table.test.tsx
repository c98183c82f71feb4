import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { FleetTable } from './fleet-table';

function renderTable(hosts: Parameters<typeof FleetTable>[0]['hosts']) {
  return render(<MemoryRouter><FleetTable hosts={hosts} /></MemoryRouter>);
}

describe('FleetTable', () => {
  it('shows each host with a link, status, capacity by mode, health and bad blocks', () => {
    renderTable([hostSummary()]);
    const row = screen.getByRole('row', { name: /pmem-a/ });
    const link = within(row).getByRole('link', { name: 'pmem-a' });
    expect(link.getAttribute('href')).toBe('/hosts/host-a');
    expect(row.textContent).toContain('online');
    expect(row.textContent).toContain('2 DIMMs · 2 regions · 2 namespaces');
    const legend = within(row).getByRole('list', { name: 'Capacity by mode' });
    expect(within(legend).getAllByRole('listitem').map((item) => item.textContent))
      .toEqual(['fsdax 4.00 GiB', 'devdax 2.00 GiB', 'free 2.00 GiB']);
    const bar = within(row).getByRole('img');
    expect(bar.getAttribute('aria-label')).toBe(
      'Capacity 8.00 GiB: fsdax 4.00 GiB, devdax 2.00 GiB, system-ram 0 B, sector 0 B, raw 0 B, free 2.00 GiB',
    );
    expect(within(row).getByRole('list', { name: 'DIMM health of 2 DIMMs' }).textContent).toBe('2 ok');
    expect(within(row).getAllByRole('cell')[3]?.textContent).toBe('0');
  });

  it('highlights open bad blocks and lists troubled hosts first', () => {
    renderTable([
      hostSummary({ id: 'a', hostname: 'alpha' }),
      hostSummary({ id: 'b', hostname: 'bravo', summary: { badblock_count: 8 } }),
      hostSummary({ id: 'c', hostname: 'charlie', online: false }),
    ]);
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getByRole('link').textContent)).toEqual(['charlie', 'bravo', 'alpha']);
    const bravo = screen.getByRole('row', { name: /bravo/ });
    const count = within(bravo).getByText('8');
    expect(count.tagName).toBe('STRONG');
    expect(count.className).toContain('badblock-count--open');
    expect(screen.getByRole('row', { name: /charlie/ }).textContent).toContain('offline');
  });

  it('says which DIMMs report no health instead of counting them as ok', () => {
    renderTable([hostSummary({
      summary: { dimm_count: 3, health: { ok: 1, 'non-critical': 0, critical: 1, fatal: 0, unknown: 0, not_reported: 1 } },
    })]);
    const health = screen.getByRole('list', { name: 'DIMM health of 3 DIMMs' });
    expect(within(health).getAllByRole('listitem').map((item) => item.textContent))
      .toEqual(['1 critical', '1 ok', '1 not reported']);
  });

  it('shows a host without persistent memory plainly', () => {
    renderTable([hostSummary({
      summary: {
        dimm_count: 0, region_count: 0, namespace_count: 0, total_capacity: 0,
        capacity_by_mode: { fsdax: 0, devdax: 0, 'system-ram': 0, sector: 0, raw: 0, free: 0 },
        health: { ok: 0, 'non-critical': 0, critical: 0, fatal: 0, unknown: 0, not_reported: 0 },
      },
    })]);
    const row = screen.getByRole('row', { name: /pmem-a/ });
    expect(row.textContent).toContain('no persistent memory');
    expect(row.textContent).toContain('no DIMMs');
  });

  it('renders a large fleet a page at a time', () => {
    const hosts = Array.from({ length: 25 }, (_, index) => hostSummary({
      id: `host-${String(index).padStart(3, '0')}`, hostname: `pmem-${String(index).padStart(3, '0')}`,
    }));
    const { container } = render(<MemoryRouter><FleetTable hosts={hosts} pageSize={10} /></MemoryRouter>);
    // plain selectors: role queries over many rows are slow in jsdom
    const bodyRows = () => container.querySelectorAll('tbody tr');
    expect(bodyRows()).toHaveLength(10);
    fireEvent.click(screen.getByText('Show 10 more of 15 remaining hosts'));
    expect(bodyRows()).toHaveLength(20);
    fireEvent.click(screen.getByText('Show 5 more of 5 remaining hosts'));
    expect(bodyRows()).toHaveLength(25);
    expect(container.querySelector('button')).toBeNull();
    expect(bodyRows()[24]?.querySelector('a')?.textContent).toBe('pmem-024');
  });
});
