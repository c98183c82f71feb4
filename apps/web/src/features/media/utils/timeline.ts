/**
 * Bad blocks over time, from the ledger alone: a range counts as open from its first_seen until its cleared_at
 * (or until now). The series is a step function: one point per change, with the open ranges and open sectors
 * right after it.
 */
import type { LedgerEntry } from '@daxfleet/shared';

export type TimelinePoint = { at: number; openRanges: number; openSectors: number };

export function openRangesOverTime(entries: readonly Pick<LedgerEntry, 'first_seen' | 'cleared_at' | 'range'>[], now: number): TimelinePoint[] {
  const changes: { at: number; ranges: number; sectors: number }[] = [];
  for (const entry of entries) {
    const opened = Date.parse(entry.first_seen);
    if (Number.isNaN(opened)) continue;
    changes.push({ at: opened, ranges: 1, sectors: entry.range.length });
    if (entry.cleared_at !== undefined) {
      const cleared = Date.parse(entry.cleared_at);
      if (!Number.isNaN(cleared)) changes.push({ at: Math.max(cleared, opened), ranges: -1, sectors: -entry.range.length });
    }
  }
  // at equal times, a range opens before one clears, so a cleared-and-found-again range never dips below zero
  changes.sort((a, b) => a.at - b.at || b.ranges - a.ranges);
  const points: TimelinePoint[] = [];
  let openRanges = 0;
  let openSectors = 0;
  for (const change of changes) {
    openRanges += change.ranges;
    openSectors += change.sectors;
    const last = points.at(-1);
    if (last !== undefined && last.at === change.at) {
      last.openRanges = openRanges;
      last.openSectors = openSectors;
    } else {
      points.push({ at: change.at, openRanges, openSectors });
    }
  }
  const last = points.at(-1);
  if (last !== undefined && now > last.at) points.push({ at: now, openRanges: last.openRanges, openSectors: last.openSectors });
  return points;
}

/** "Nice" round tick values for an axis from 0 to max (at most about `count` of them). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step / 2; value += step) ticks.push(Math.round(value * 1e9) / 1e9);
  if (ticks.at(-1)! < max) ticks.push(ticks.at(-1)! + step);
  return ticks;
}

/** A linear scale [d0, d1] -> [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** An SVG path of a step line through the points (horizontal, then vertical at each change). */
export function stepPath(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  let path = `M${round(points[0]!.x)},${round(points[0]!.y)}`;
  for (let i = 1; i < points.length; i += 1) {
    path += ` H${round(points[i]!.x)} V${round(points[i]!.y)}`;
  }
  return path;
}

/** An SVG polyline path through the points. */
export function linePath(points: readonly { x: number; y: number }[]): string {
  return points.map((point, i) => `${i === 0 ? 'M' : 'L'}${round(point.x)},${round(point.y)}`).join(' ');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** An axis label whose precision fits the span shown: seconds within 10 minutes, dates beyond two days. */
export function axisTime(at: number, spanMs: number): string {
  const date = new Date(at);
  if (spanMs > 2 * 86_400_000) return date.toLocaleDateString('en-GB', { month: 'short', day: '2-digit' });
  if (spanMs > 10 * 60_000) return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
