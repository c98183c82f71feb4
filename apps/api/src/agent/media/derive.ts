/**
 * Media events from a change of state: the agent's last known state (bad ranges, DIMM health, bus scrub) and a
 * new inventory give the events to raise and the new known state. Pure but for the event ids and the clock.
 *
 * Bad ranges: identity is region + region_offset + length (badRangeKey). A range in the new inventory and not in
 * the known state is `badblock-new`; a known one no longer listed is `badblock-cleared`. The kernel merges
 * adjacent or overlapping ranges it is told about (badblocks_set) and splits one when part of it is cleared
 * (badblocks_clear, e.g. after a write repaired some sectors): both change the identity, so the old range is
 * cleared and the new one(s) opened in the same derivation, which keeps the hub's ledger a set of exact kernel
 * ranges instead of guesses about which sectors moved where. Ranges of a region the new scan cannot see (the
 * region is gone from the inventory, or its badblocks attribute was unreadable) are kept as known, not cleared.
 * No known state at all (a fresh install) reports every existing range as new with detected_by 'scan': the hub
 * has not heard of them.
 *
 * DIMM events follow ndctl monitor (ndctl/monitor.c: util_dimm_event_filter, ndctl_dimm_get_event_flags):
 * dimm-spares-remaining, dimm-media-temperature and dimm-controller-temperature for the SMART alarm trip flags,
 * dimm-unclean-shutdown for a dirty shutdown state, dimm-health-state when the health state differs from the last
 * one seen. ndctl monitor reports a DIMM's set flags when it starts and again on every health notification; the
 * agent has no notification for DIMM health (it reads SMART with each scan), so it raises each one on the edge:
 * an alarm that was not tripped and now is, a shutdown state that became dirty (or stayed dirty while the
 * shutdown count went up: another unclean shutdown), a health state that changed. The way back is an edge too:
 * an alarm that was tripped and no longer is, and a dirty shutdown state that became clean, raise the same event
 * type with `current` showing the condition gone (ndctl monitor names no such event; daxfleet sends it so that an
 * alert can resolve). A DIMM seen for the first time
 * reports what is already tripped or dirty, as ndctl monitor does at its start (no health-state event then).
 * daxfleet adds dimm-shutdown-count-increased. DIMMs are known by their id (nmemN names can move between boots).
 *
 * Scrub: a bus's completed-scrub count going up is scrub-completed; its state turning active (or a count that
 * went up while it is active again) is scrub-started. Bad ranges found in the same derivation as a completed
 * scrub are detected_by 'scrub'.
 */
import { randomUUID } from 'node:crypto';
import {
  badRangeKey, badRangesOf, compareRanges, type BadRange, type DetectedBy, type Dimm, type DimmHealthValues,
  type Inventory, type MediaEvent,
} from '@daxfleet/shared';

export interface KnownDimm {
  dimm: string;
  dimm_id?: string;
  values: DimmHealthValues;
}

export interface KnownScrub {
  scrub_state?: 'idle' | 'active';
  scrub_count?: number;
}

/** What the agent last told (or is telling) the hub about the host's media. */
export interface MediaState {
  /** open bad ranges, sorted like badRangesOf */
  ranges: BadRange[];
  /** by DIMM id (nmemN when the DIMM has none) */
  dimms: Record<string, KnownDimm>;
  /** by bus (ndbusN) */
  scrub: Record<string, KnownScrub>;
}

export interface DeriveOptions {
  /** what triggered the scan */
  detectedBy: DetectedBy;
  now?: Date;
  newId?: () => string;
}

export interface Derivation {
  events: MediaEvent[];
  state: MediaState;
}

/** A random stable event id: a v4 UUID without its dashes (32 hex digits). */
export function newEventId(): string {
  return randomUUID().replaceAll('-', '');
}

const HEALTH_FIELDS = [
  'health_state', 'temperature_celsius', 'controller_temperature_celsius', 'spares_percentage',
  'alarm_temperature', 'alarm_controller_temperature', 'alarm_spares', 'life_used_percentage',
  'shutdown_state', 'shutdown_count',
] as const satisfies ReadonlyArray<keyof DimmHealthValues>;

/** The health values of a DIMM whose SMART data was read, else undefined. */
export function healthValuesOf(dimm: Dimm): DimmHealthValues | undefined {
  const h = dimm.health;
  if (h === undefined || !h.supported || h.error !== undefined) return undefined;
  const values: Record<string, unknown> = {};
  for (const f of HEALTH_FIELDS) if (h[f] !== undefined) values[f] = h[f];
  return values as DimmHealthValues;
}

export function dimmKey(dimm: Pick<Dimm, 'dev' | 'id'>): string {
  return dimm.id ?? dimm.dev;
}

export function deriveEvents(prev: MediaState | undefined, inventory: Inventory, opts: DeriveOptions): Derivation {
  const now = (opts.now ?? new Date()).toISOString();
  const newId = opts.newId ?? newEventId;
  const events: MediaEvent[] = [];
  const emit = (e: Partial<MediaEvent> & Pick<MediaEvent, 'type' | 'detected_by' | 'summary'>): void => {
    events.push({ id: newId(), detected_at: now, ...e } as MediaEvent);
  };

  // scrub first: a completed scrub makes this derivation's bad-range findings detected_by 'scrub'
  const scrub: Record<string, KnownScrub> = { ...(prev?.scrub ?? {}) };
  let scrubCompleted = false;
  for (const bus of inventory.buses) {
    const now_: KnownScrub = {};
    if (bus.scrub_state !== undefined) now_.scrub_state = bus.scrub_state;
    if (bus.scrub_count !== undefined) now_.scrub_count = bus.scrub_count;
    if (now_.scrub_state === undefined && now_.scrub_count === undefined) continue; // no ARS on this bus
    const before = prev?.scrub[bus.dev];
    const countUp = before?.scrub_count !== undefined && now_.scrub_count !== undefined && now_.scrub_count > before.scrub_count;
    if (countUp) {
      scrubCompleted = true;
      emit({ type: 'scrub-completed', detected_by: opts.detectedBy, bus: bus.dev, scrub_count: now_.scrub_count as number,
        summary: `address-range scrub completed on ${bus.dev} (${now_.scrub_count as number} since boot)` });
    }
    if (now_.scrub_state === 'active' && (before?.scrub_state !== 'active' || countUp)) {
      emit({ type: 'scrub-started', detected_by: opts.detectedBy, bus: bus.dev,
        ...(now_.scrub_count !== undefined ? { scrub_count: now_.scrub_count } : {}),
        summary: `address-range scrub started on ${bus.dev}` });
    }
    scrub[bus.dev] = now_;
  }

  // bad ranges
  const rangeBy: DetectedBy = prev === undefined ? 'scan' : scrubCompleted ? 'scrub' : opts.detectedBy;
  const found = badRangesOf(inventory);
  const foundKeys = new Set(found.map(badRangeKey));
  const known = new Map((prev?.ranges ?? []).map((r) => [badRangeKey(r), r]));
  const visible = visibleRegions(inventory);
  const ranges: BadRange[] = [];
  for (const [key, range] of known) {
    if (foundKeys.has(key)) continue;
    if (!visible.has(range.region)) {
      ranges.push(range); // cannot see the region now: still open as far as anyone knows
      continue;
    }
    emit({ type: 'badblock-cleared', detected_by: rangeBy, range, summary: `bad range ${where(range)} cleared` });
  }
  for (const range of found) {
    ranges.push(range);
    if (known.has(badRangeKey(range))) continue;
    emit({ type: 'badblock-new', detected_by: rangeBy, range, summary: `new bad range ${where(range)}` });
  }
  ranges.sort(compareRanges);

  // DIMM health
  const dimms: Record<string, KnownDimm> = { ...(prev?.dimms ?? {}) };
  for (const bus of inventory.buses) {
    for (const dimm of bus.dimms) {
      const values = healthValuesOf(dimm);
      if (values === undefined) continue; // no SMART data this time: keep what was known
      const key = dimmKey(dimm);
      const before = prev?.dimms[key]?.values;
      for (const e of dimmChanges(before, values)) {
        emit({
          type: e.type, detected_by: opts.detectedBy, dimm: dimm.dev, ...(dimm.id !== undefined ? { dimm_id: dimm.id } : {}),
          ...(before !== undefined ? { previous: before } : {}), current: values, summary: `${dimm.dev}: ${e.text}`,
        });
      }
      dimms[key] = { dimm: dimm.dev, ...(dimm.id !== undefined ? { dimm_id: dimm.id } : {}), values };
    }
  }
  return { events, state: { ranges, dimms, scrub } };
}

/** Regions whose bad-block list this inventory shows (present, and their badblocks attribute was readable). */
function visibleRegions(inventory: Inventory): Set<string> {
  const out = new Set<string>();
  for (const bus of inventory.buses) {
    for (const region of bus.regions) {
      if (region.warnings?.some((w) => w.path.endsWith('badblocks'))) continue;
      out.add(region.dev);
    }
  }
  return out;
}

type DimmChange = { type: MediaEvent['type']; text: string };

function dimmChanges(before: DimmHealthValues | undefined, now: DimmHealthValues): DimmChange[] {
  const out: DimmChange[] = [];
  type Alarm = 'alarm_spares' | 'alarm_temperature' | 'alarm_controller_temperature';
  // the rising edge raises the event; the falling edge (the alarm was tripped and no longer is) raises it again with
  // `current` showing it off, so a receiver can resolve the alert (webhooks/formats.ts dimmConditionGone)
  const edge = (flag: Alarm): 'tripped' | 'cleared' | undefined =>
    now[flag] === true && before?.[flag] !== true ? 'tripped'
      : now[flag] === false && before?.[flag] === true ? 'cleared' : undefined;
  const spares = edge('alarm_spares');
  if (spares !== undefined) {
    out.push({ type: 'dimm-spares-remaining', text: `spares alarm ${spares}${now.spares_percentage !== undefined ? ` (${now.spares_percentage}% spares left)` : ''}` });
  }
  const media = edge('alarm_temperature');
  if (media !== undefined) {
    out.push({ type: 'dimm-media-temperature', text: `media temperature alarm ${media}${now.temperature_celsius !== undefined ? ` (${now.temperature_celsius} °C)` : ''}` });
  }
  const ctrl = edge('alarm_controller_temperature');
  if (ctrl !== undefined) {
    out.push({ type: 'dimm-controller-temperature', text: `controller temperature alarm ${ctrl}${now.controller_temperature_celsius !== undefined ? ` (${now.controller_temperature_celsius} °C)` : ''}` });
  }
  if (before !== undefined && before.health_state !== undefined && now.health_state !== undefined && before.health_state !== now.health_state) {
    out.push({ type: 'dimm-health-state', text: `health state ${before.health_state} -> ${now.health_state}` });
  }
  const countUp = before?.shutdown_count !== undefined && now.shutdown_count !== undefined && now.shutdown_count > before.shutdown_count;
  if (now.shutdown_state === 'dirty' && (before?.shutdown_state !== 'dirty' || countUp)) {
    out.push({ type: 'dimm-unclean-shutdown', text: `unclean shutdown${now.shutdown_count !== undefined ? ` (shutdown count ${now.shutdown_count})` : ''}` });
  }
  if (now.shutdown_state === 'clean' && before?.shutdown_state === 'dirty') {
    out.push({ type: 'dimm-unclean-shutdown', text: 'shutdown state clean again' });
  }
  if (countUp) {
    out.push({ type: 'dimm-shutdown-count-increased', text: `shutdown count ${before?.shutdown_count as number} -> ${now.shutdown_count as number}` });
  }
  return out;
}

/** "region0+65536 (8 sectors) under namespace0.0 (pmem0 sector 61440) on nmem1" */
export function where(r: BadRange): string {
  let text = `${r.region}+${r.region_offset} (${r.length} sector${r.length === 1 ? '' : 's'})`;
  if (r.namespace !== undefined) {
    let inside = `${r.namespace_mode ?? 'namespace'} sector ${r.namespace_offset ?? '?'}`;
    if (r.blockdev !== undefined) inside = `${r.blockdev} sector ${r.blockdev_offset ?? '?'}`;
    else if (r.chardev !== undefined) inside = `${r.chardev} byte ${r.chardev_offset_bytes ?? '?'}`;
    text += ` under ${r.namespace} (${inside})`;
  } else {
    text += ' in no namespace';
  }
  if (r.dimms.length > 0) text += ` on ${r.dimms.map((d) => d.dimm).join(', ')}`;
  if (r.source === 'blockdev') text += ', listed only by the block device';
  return text;
}
