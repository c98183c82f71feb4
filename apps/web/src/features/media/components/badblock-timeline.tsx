import type { LedgerEntry } from '@daxfleet/shared';
import { useId } from 'react';
import { formatInteger, formatTimestamp } from '@/lib/format';
import { axisTime, linearScale, niceTicks, openRangesOverTime, stepPath } from '../utils/timeline';

const WIDTH = 760;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 64, bottom: 28, left: 48 };

/**
 * Open bad ranges (left axis, solid) and their sectors (right axis, dashed) over time, as steps computed from the
 * ledger rows (first_seen opens a range, cleared_at closes it). Each change is a point whose tooltip gives the
 * figures. Drawn as SVG here: the page needs two step lines, not a chart library.
 */
export function BadBlockTimeline({ entries, now = Date.now(), truncated = false }: {
  entries: readonly LedgerEntry[]; now?: number; truncated?: boolean;
}) {
  const titleId = useId();
  const points = openRangesOverTime(entries, now);
  if (points.length === 0) return <p className="muted">No bad ranges in this view to chart.</p>;
  const first = points[0]!.at;
  const last = Math.max(points.at(-1)!.at, first + 60_000);
  const rangeTicks = niceTicks(Math.max(...points.map((point) => point.openRanges), 1));
  const sectorTicks = niceTicks(Math.max(...points.map((point) => point.openSectors), 1));
  const x = linearScale(first, last, MARGIN.left, WIDTH - MARGIN.right);
  const yRanges = linearScale(0, rangeTicks.at(-1)!, HEIGHT - MARGIN.bottom, MARGIN.top);
  const ySectors = linearScale(0, sectorTicks.at(-1)!, HEIGHT - MARGIN.bottom, MARGIN.top);
  const timeTicks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => first + fraction * (last - first));
  const current = points.at(-1)!;
  return (
    <figure className="media-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} className="media-chart__svg">
        <title id={titleId}>
          {`Open bad ranges over time: ${formatInteger(current.openRanges)} open (${formatInteger(current.openSectors)} sectors) now, from ${entries.length} ledger rows`}
        </title>
        {rangeTicks.map((tick) => (
          <g key={`r${tick}`}>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={yRanges(tick)} y2={yRanges(tick)} stroke="#e2e8f0" />
            <text x={MARGIN.left - 6} y={yRanges(tick) + 4} textAnchor="end" fontSize="11" fill="#64748b">{formatInteger(tick)}</text>
          </g>
        ))}
        {sectorTicks.map((tick) => (
          <text key={`s${tick}`} x={WIDTH - MARGIN.right + 6} y={ySectors(tick) + 4} fontSize="11" fill="#b45309">{formatInteger(tick)}</text>
        ))}
        {timeTicks.map((tick) => (
          <text key={`t${tick}`} x={x(tick)} y={HEIGHT - 8} textAnchor="middle" fontSize="11" fill="#64748b">{axisTime(tick, last - first)}</text>
        ))}
        <text x={4} y={MARGIN.top} fontSize="11" fill="#64748b">ranges</text>
        <text x={WIDTH - 4} y={MARGIN.top} fontSize="11" fill="#b45309" textAnchor="end">sectors</text>
        <path d={stepPath(points.map((point) => ({ x: x(point.at), y: ySectors(point.openSectors) })))} fill="none" stroke="#b45309" strokeWidth="1.5" strokeDasharray="5 3" className="media-chart__sectors" />
        <path d={stepPath(points.map((point) => ({ x: x(point.at), y: yRanges(point.openRanges) })))} fill="none" stroke="#b91c1c" strokeWidth="2" className="media-chart__ranges" />
        {points.map((point) => (
          <circle key={point.at} cx={x(point.at)} cy={yRanges(point.openRanges)} r="3" fill="#b91c1c" className="media-chart__point">
            <title>{`${formatTimestamp(new Date(point.at))}: ${formatInteger(point.openRanges)} open ranges, ${formatInteger(point.openSectors)} sectors`}</title>
          </circle>
        ))}
      </svg>
      <figcaption className="muted">
        Open ranges (solid, left axis) and open sectors (dashed, right axis), from first seen to cleared.
        {truncated && ' Computed from the newest rows only: narrow the filter to chart all of them.'}
      </figcaption>
    </figure>
  );
}
