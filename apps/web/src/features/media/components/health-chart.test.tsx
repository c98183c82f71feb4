import type { StoredHealthSample } from '@daxfleet/shared';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { HealthChart } from './health-chart';

const T0 = Date.parse('2026-11-27T08:00:00Z');

function sample(dimm: string, minute: number, temperature: number | undefined, spares: number): StoredHealthSample {
  return {
    host_id: 'host-a', dimm, sampled_at: new Date(T0 + minute * 60_000).toISOString(),
    values: { ...(temperature === undefined ? {} : { temperature_celsius: temperature }), spares_percentage: spares },
  };
}

// oldest first, DIMMs interleaved as the hub returns them; nmem1 misses one temperature
const samples = [sample('nmem1', 0, 31, 100), sample('nmem0', 0, 30, 100), sample('nmem1', 1, undefined, 99), sample('nmem0', 1, 42, 90), sample('nmem1', 2, 33, 95)];

describe('DIMM health over time', () => {
  it('draws one line per DIMM through the samples that carry the value, latest value in the legend', () => {
    render(<HealthChart samples={samples} metric="temperature_celsius" />);
    const chart = screen.getByRole('img', { name: 'Media temperature (°C) over time for nmem0, nmem1' });
    const lines = [...chart.querySelectorAll('g[data-dimm]')];
    expect(lines.map((line) => line.getAttribute('data-dimm'))).toEqual(['nmem0', 'nmem1']);
    expect(lines.map((line) => [...line.querySelectorAll('circle title')].map((title) => title.textContent?.replace(/^.*: /, '')))).toEqual([
      ['30°C', '42°C'], ['31°C', '33°C'],
    ]);
    expect(lines.map((line) => line.querySelector('path')?.getAttribute('d')?.match(/[ML]/g)?.length)).toEqual([2, 2]);
    expect(screen.getByText('nmem0: 42°C')).toBeTruthy();
    expect(screen.getByText('nmem1: 33°C')).toBeTruthy();
  });

  it('says so when no sample carries the value', () => {
    render(<HealthChart samples={samples.map((s) => ({ ...s, values: {} }))} metric="spares_percentage" />);
    expect(screen.getByText(/^Spares remaining: no samples carry this value/)).toBeTruthy();
  });
});
