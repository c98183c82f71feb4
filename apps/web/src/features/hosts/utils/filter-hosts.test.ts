import { describe, expect, it } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { filterHosts, parseFleetView } from './filter-hosts';

const healthy = hostSummary({ id: 'rack1-a', hostname: 'pmem-a' });
const offline = hostSummary({ id: 'rack1-b', hostname: 'pmem-b', online: false });
const damaged = hostSummary({ id: 'rack2-c', hostname: 'db-c', summary: { badblock_count: 16 } });
const failing = hostSummary({
  id: 'rack2-d', hostname: 'db-d',
  summary: { health: { ok: 1, 'non-critical': 0, critical: 1, fatal: 0, unknown: 0, not_reported: 0 } },
});
const fleet = [healthy, offline, damaged, failing];

describe('filterHosts', () => {
  it('matches the query against hostname and id, ignoring case and surrounding spaces', () => {
    expect(filterHosts(fleet, { query: ' PMEM ', view: 'all' })).toEqual([healthy, offline]);
    expect(filterHosts(fleet, { query: 'rack2', view: 'all' })).toEqual([damaged, failing]);
    expect(filterHosts(fleet, { query: '', view: 'all' })).toEqual(fleet);
  });
  it('narrows to the hosts that need attention', () => {
    expect(filterHosts(fleet, { query: '', view: 'offline' })).toEqual([offline]);
    expect(filterHosts(fleet, { query: '', view: 'badblocks' })).toEqual([damaged]);
    expect(filterHosts(fleet, { query: '', view: 'unhealthy' })).toEqual([failing]);
    expect(filterHosts(fleet, { query: 'pmem', view: 'badblocks' })).toEqual([]);
  });
  it('reads an unknown view from the URL as all hosts', () => {
    expect(parseFleetView('offline')).toBe('offline');
    expect(parseFleetView('bogus')).toBe('all');
    expect(parseFleetView(null)).toBe('all');
  });
});
