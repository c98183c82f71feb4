/**
 * The media page's filters live in the URL query (?host=&state=&dimm=&since=&until=) so a filtered view can be
 * bookmarked, shared and reloaded; these turn the query into the filter the API calls take and back.
 */
export type LedgerStateFilter = 'open' | 'cleared';

export type MediaFilter = {
  host?: string | undefined;
  state?: LedgerStateFilter | undefined;
  dimm?: string | undefined;
  /** ISO date-times: ranges first seen at or after `since`, before `until` */
  since?: string | undefined;
  until?: string | undefined;
};

function isoOrUndefined(value: string | null): string | undefined {
  if (value === null || value === '') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function textOrUndefined(value: string | null): string | undefined {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? undefined : trimmed;
}

/** Unknown or malformed values are dropped (a hand-edited URL shows everything rather than an error). */
export function parseMediaFilter(params: URLSearchParams): MediaFilter {
  const state = params.get('state');
  const filter: MediaFilter = {};
  const host = textOrUndefined(params.get('host'));
  const dimm = textOrUndefined(params.get('dimm'));
  const since = isoOrUndefined(params.get('since'));
  const until = isoOrUndefined(params.get('until'));
  if (host !== undefined) filter.host = host;
  if (state === 'open' || state === 'cleared') filter.state = state;
  if (dimm !== undefined) filter.dimm = dimm;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  return filter;
}

export function mediaFilterToParams(filter: MediaFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['host', 'state', 'dimm', 'since', 'until'] as const) {
    const value = filter[key];
    if (value !== undefined && value !== '') params.set(key, value);
  }
  return params;
}

/** datetime-local gives "2026-11-27T11:30" in local time; the hub wants an ISO date-time. */
export function localInputToIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The other way, for showing a filter's ISO time in a datetime-local input (local time, minutes). */
export function isoToLocalInput(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
