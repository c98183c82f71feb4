/** Health samples (oldest first, several DIMMs mixed) split into one series per DIMM for one value. */
import type { StoredHealthSample } from '@daxfleet/shared';

export type HealthMetric = 'temperature_celsius' | 'controller_temperature_celsius' | 'spares_percentage' | 'life_used_percentage';
export type HealthSeries = { dimm: string; points: { at: number; value: number }[] };

export function healthSeries(samples: readonly StoredHealthSample[], metric: HealthMetric): HealthSeries[] {
  const byDimm = new Map<string, HealthSeries>();
  for (const sample of samples) {
    const value = sample.values[metric];
    const at = Date.parse(sample.sampled_at);
    if (value === undefined || Number.isNaN(at)) continue;
    let series = byDimm.get(sample.dimm);
    if (series === undefined) {
      series = { dimm: sample.dimm, points: [] };
      byDimm.set(sample.dimm, series);
    }
    series.points.push({ at, value });
  }
  for (const series of byDimm.values()) series.points.sort((a, b) => a.at - b.at);
  return [...byDimm.values()].sort((a, b) => a.dimm.localeCompare(b.dimm, 'en', { numeric: true }));
}
