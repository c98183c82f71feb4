import type { Dimm } from '@daxfleet/shared';
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DimmTable } from './dimm-table';

function cellUnder(dimmDev: string, column: string): HTMLElement {
  const table = screen.getByRole('table', { name: 'DIMMs on ndbus0' });
  const headers = within(table).getAllByRole('columnheader').map((header) => header.textContent);
  const index = headers.indexOf(column);
  expect(index).toBeGreaterThan(0);
  const row = within(table).getByRole('row', { name: new RegExp(`^${dimmDev}\\b`) });
  // the row header (DIMM) is column 0; the cells follow it
  const cell = within(row).getAllByRole('cell')[index - 1];
  if (cell === undefined) throw new Error(`no ${column} cell for ${dimmDev}`);
  return cell;
}

describe('DimmTable', () => {
  const dimms: Dimm[] = [
    { dev: 'nmem0', state: 'enabled', security: 'unlocked' },
    { dev: 'nmem1', state: 'enabled', security: 'disabled' },
    { dev: 'nmem2', state: 'enabled', security: 'frozen' },
    { dev: 'nmem3', state: 'enabled', security: 'locked', security_frozen: true },
    { dev: 'nmem4', state: 'enabled' },
  ];

  it('shows each DIMM\'s security state, and a dash titled "not reported" when the kernel gave none', () => {
    render(<DimmTable dimms={dimms} busDev="ndbus0" />);
    expect(cellUnder('nmem0', 'Security').textContent).toBe('unlocked');
    expect(cellUnder('nmem1', 'Security').textContent).toBe('disabled');
    expect(cellUnder('nmem2', 'Security').textContent).toBe('frozen');
    expect(cellUnder('nmem3', 'Security').textContent).toBe('locked, frozen');
    const missing = cellUnder('nmem4', 'Security');
    expect(missing.textContent).toBe('—');
    expect(within(missing).getByTitle('not reported')).toBeTruthy();
  });

  it('shows a DIMM whose SMART answer had no valid health state as unknown, and one with no health as not reported', () => {
    render(<DimmTable
      dimms={[
        { dev: 'nmem0', state: 'enabled', health: { supported: true, temperature_celsius: 31 } },
        { dev: 'nmem1', state: 'enabled' },
      ]}
      busDev="ndbus0"
    />);
    expect(cellUnder('nmem0', 'Health').textContent).toBe('unknown');
    expect(cellUnder('nmem1', 'Health').textContent).toBe('not reported');
  });
});
