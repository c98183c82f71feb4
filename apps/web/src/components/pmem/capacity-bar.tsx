import type { CapacityByMode } from '@daxfleet/shared';
import { formatBytes, formatExactBytes } from '@/lib/format';

/** Order of the segments: what is in use, most DAX-ish first, then unallocated space. */
export const CAPACITY_MODES = ['fsdax', 'devdax', 'system-ram', 'sector', 'raw', 'free'] as const;
export type CapacityMode = (typeof CAPACITY_MODES)[number];

export function capacityTotal(capacity: CapacityByMode): number {
  return CAPACITY_MODES.reduce((sum, mode) => sum + capacity[mode], 0);
}

/**
 * Persistent-memory capacity split by namespace mode: a stacked bar and the non-zero figures.
 * The bar is an image whose accessible name lists every mode, zeros included.
 */
export function CapacityBar({ capacity, compact = false }: { capacity: CapacityByMode; compact?: boolean }) {
  const total = capacityTotal(capacity);
  const label = `Capacity ${formatBytes(total)}: ${CAPACITY_MODES.map((mode) => `${mode} ${formatBytes(capacity[mode])}`).join(', ')}`;
  if (total === 0) {
    return <span className="capacity capacity--empty">no persistent memory</span>;
  }
  const present = CAPACITY_MODES.filter((mode) => capacity[mode] > 0);
  return (
    <div className={`capacity${compact ? ' capacity--compact' : ''}`}>
      <div className="capacity__bar" role="img" aria-label={label} title={label}>
        {present.map((mode) => (
          <span
            key={mode}
            className={`capacity__segment capacity__segment--${mode}`}
            style={{ width: `${(capacity[mode] / total) * 100}%` }}
          />
        ))}
      </div>
      <ul className="capacity__legend" aria-label="Capacity by mode">
        {present.map((mode) => (
          <li key={mode} className="capacity__item" title={formatExactBytes(capacity[mode])}>
            <span className={`capacity__swatch capacity__segment--${mode}`} aria-hidden="true" />
            <span className="capacity__mode">{mode}</span>{' '}
            <span className="capacity__value">{formatBytes(capacity[mode])}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
