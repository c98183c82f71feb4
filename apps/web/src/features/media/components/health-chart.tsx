import type { StoredHealthSample } from '@daxfleet/shared';
import { useId } from 'react';
import { formatTimestamp } from '@/lib/format';
import { healthSeries, type HealthMetric } from '../utils/health-series';
import { axisTime, linePath, linearScale, niceTicks } from '../utils/timeline';

const WIDTH = 760;
const HEIGHT = 180;
const MARGIN = { top: 12, right: 16, bottom: 26, left: 48 };
const COLORS = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f'];

const METRICS: Record<HealthMetric, { label: string; unit: string }> = {
  temperature_celsius: { label: 'Media temperature', unit: '°C' },
  controller_temperature_celsius: { label: 'Controller temperature', unit: '°C' },
  spares_percentage: { label: 'Spares remaining', unit: '%' },
  life_used_percentage: { label: 'Life used', unit: '%' },
};

/** One health value over time, one line per DIMM (SVG drawn here); points carry the exact value as a tooltip. */
export function HealthChart({ samples, metric }: { samples: readonly StoredHealthSample[]; metric: HealthMetric }) {
  const titleId = useId();
  const { label, unit } = METRICS[metric];
  const series = healthSeries(samples, metric);
  if (series.length === 0) return <p className="muted">{label}: no samples carry this value (the DIMMs may not report health, as QEMU's do not).</p>;
  const all = series.flatMap((line) => line.points);
  const first = Math.min(...all.map((point) => point.at));
  const last = Math.max(Math.max(...all.map((point) => point.at)), first + 60_000);
  const ticks = niceTicks(Math.max(...all.map((point) => point.value), 1));
  const x = linearScale(first, last, MARGIN.left, WIDTH - MARGIN.right);
  const y = linearScale(0, ticks.at(-1)!, HEIGHT - MARGIN.bottom, MARGIN.top);
  return (
    <figure className="media-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} className="media-chart__svg">
        <title id={titleId}>{`${label} (${unit}) over time for ${series.map((line) => line.dimm).join(', ')}`}</title>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} stroke="#e2e8f0" />
            <text x={MARGIN.left - 6} y={y(tick) + 4} textAnchor="end" fontSize="11" fill="#64748b">{`${tick}${unit}`}</text>
          </g>
        ))}
        {[first, (first + last) / 2, last].map((tick) => (
          <text key={tick} x={x(tick)} y={HEIGHT - 8} textAnchor="middle" fontSize="11" fill="#64748b">
            {axisTime(tick, last - first)}
          </text>
        ))}
        {series.map((line, index) => {
          const color = COLORS[index % COLORS.length]!;
          return (
            <g key={line.dimm} data-dimm={line.dimm}>
              <path d={linePath(line.points.map((point) => ({ x: x(point.at), y: y(point.value) })))} fill="none" stroke={color} strokeWidth="1.8" />
              {line.points.map((point) => (
                <circle key={point.at} cx={x(point.at)} cy={y(point.value)} r="2.5" fill={color}>
                  <title>{`${line.dimm} ${formatTimestamp(new Date(point.at))}: ${point.value}${unit}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <strong>{label}</strong>{' '}
        <span className="media-chart__legend">
          {series.map((line, index) => (
            <span key={line.dimm} className="media-chart__legend-item">
              <span className="media-chart__swatch" style={{ background: COLORS[index % COLORS.length] }} aria-hidden="true" />
              {line.dimm}: {line.points.at(-1)!.value}{unit}
            </span>
          ))}
        </span>
      </figcaption>
    </figure>
  );
}
