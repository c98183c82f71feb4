import type { LedgerEntry } from '@daxfleet/shared';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { openRangesOverTime } from '../utils/timeline';
import { BadBlockTimeline } from './badblock-timeline';

const T0 = Date.parse('2026-11-27T08:00:00Z');
const MIN = 60_000;

function row(id: number, length: number, firstMin: number, clearedMin?: number): LedgerEntry {
  return {
    id, host_id: 'host-a', hostname: 'pmem-a', state: clearedMin === undefined ? 'open' : 'cleared',
    range: { region: 'region0', region_offset: id * 1024, length, dimms: [{ dimm: 'nmem0' }], source: 'region' },
    first_seen: new Date(T0 + firstMin * MIN).toISOString(), last_seen: new Date(T0 + firstMin * MIN).toISOString(),
    ...(clearedMin === undefined ? {} : { cleared_at: new Date(T0 + clearedMin * MIN).toISOString(), cleared_by: 'poll' as const }),
    found_by: 'notify', new_event_id: `evt-${id}`,
  };
}

// three ranges: 8 sectors at 0 min (cleared at 30), 16 at 10 min, 8 at 30 min (the same minute the first clears)
const rows = [row(1, 8, 0, 30), row(2, 16, 10), row(3, 8, 30)];

describe('bad blocks over time', () => {
  it('steps up at first_seen and down at cleared_at, open before cleared at the same instant', () => {
    expect(openRangesOverTime(rows, T0 + 60 * MIN)).toEqual([
      { at: T0, openRanges: 1, openSectors: 8 },
      { at: T0 + 10 * MIN, openRanges: 2, openSectors: 24 },
      { at: T0 + 30 * MIN, openRanges: 2, openSectors: 24 },
      { at: T0 + 60 * MIN, openRanges: 2, openSectors: 24 },
    ]);
  });

  it('draws one point per change with its figures, and says the current total', () => {
    render(<BadBlockTimeline entries={rows} now={T0 + 60 * MIN} />);
    const chart = screen.getByRole('img');
    expect(chart.querySelector('title')?.textContent).toBe('Open bad ranges over time: 2 open (24 sectors) now, from 3 ledger rows');
    const points = [...chart.querySelectorAll('circle')];
    expect(points.map((point) => point.querySelector('title')?.textContent?.replace(/^.*: /, ''))).toEqual([
      '1 open ranges, 8 sectors', '2 open ranges, 24 sectors', '2 open ranges, 24 sectors', '2 open ranges, 24 sectors',
    ]);
    // time runs left to right, and more open ranges sit higher (smaller y)
    const xs = points.map((point) => Number(point.getAttribute('cx')));
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(Number(points[1]!.getAttribute('cy'))).toBeLessThan(Number(points[0]!.getAttribute('cy')));
    expect(chart.querySelector('.media-chart__ranges')?.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+( H[\d.]+ V[\d.]+){3}$/);
  });

  it('says when there is nothing to chart', () => {
    render(<BadBlockTimeline entries={[]} />);
    expect(screen.getByText('No bad ranges in this view to chart.')).toBeTruthy();
  });
});
