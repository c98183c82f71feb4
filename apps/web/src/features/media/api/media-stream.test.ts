import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecoveryPlan, RecoveryPlanList, StoredEvent } from '@daxfleet/shared';
import { QueryClient } from '@tanstack/react-query';
import { recoveryPlanQueryKey } from '@/features/recovery/api/recovery-plans';
import { applyRecovery, coalesceIngested, type IngestedMessage } from './media-stream';

const notice = (host: string, over: Partial<IngestedMessage> = {}): IngestedMessage => ({
  host_id: host, inventory_changed: false, events: [], ...over,
});

describe('coalesceIngested', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('applies the first notice at once and folds a burst into one refresh per interval', () => {
    const applied: Array<IngestedMessage | undefined> = [];
    const c = coalesceIngested((m) => applied.push(m), 1000);
    c.push(notice('a'));
    expect(applied).toHaveLength(1);
    for (let i = 0; i < 50; i++) c.push(notice(`h${i}`));
    expect(applied).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(applied).toHaveLength(2);
    // nothing held: the next interval applies nothing, and the one after that a new notice applies at once
    vi.advanceTimersByTime(1000);
    expect(applied).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    c.push(notice('b'));
    expect(applied).toHaveLength(3);
  });

  it('a folded refresh keeps what any notice of the burst asked for (inventory change, events, unknown)', () => {
    const applied: Array<IngestedMessage | undefined> = [];
    const c = coalesceIngested((m) => applied.push(m), 1000);
    c.push(notice('a'));
    const event = { id: 'e1' } as StoredEvent;
    c.push(notice('b'));
    c.push(notice('c', { inventory_changed: true }));
    c.push(notice('d', { events: [event] }));
    vi.advanceTimersByTime(1000);
    expect(applied[1]).toMatchObject({ inventory_changed: true, events: [event] });
    c.push(notice('e'));
    c.push(undefined); // the stream came back: everything
    c.push(notice('f'));
    vi.advanceTimersByTime(1000);
    expect(applied[2]).toBeUndefined();
    expect(applied).toHaveLength(3);
  });

  it('cancel drops what is held', () => {
    const applied: Array<IngestedMessage | undefined> = [];
    const c = coalesceIngested((m) => applied.push(m), 1000);
    c.push(notice('a'));
    c.push(notice('b'));
    c.cancel();
    vi.advanceTimersByTime(5000);
    expect(applied).toHaveLength(1);
  });
});

describe('applyRecovery', () => {
  const plan = (id: string, status: RecoveryPlan['status']) => ({ id, status } as RecoveryPlan);
  const listKey = ['recovery', 'list', {}] as const;
  const hostListKey = ['recovery', 'list', { host: 'h1' }] as const;

  function client(): QueryClient {
    const qc = new QueryClient();
    qc.setQueryData(recoveryPlanQueryKey('p1'), plan('p1', 'executing'));
    qc.setQueryData(listKey, { plans: [plan('p1', 'executing'), plan('p2', 'planned')] } satisfies RecoveryPlanList);
    qc.setQueryData(hostListKey, { plans: [plan('p2', 'planned')] } satisfies RecoveryPlanList);
    return qc;
  }
  const invalidated = (qc: QueryClient, key: readonly unknown[]): boolean | undefined => qc.getQueryState(key)?.isInvalidated;

  it('a progress tick (same status as cached) refetches the plan, not the lists', () => {
    const qc = client();
    applyRecovery(qc, { id: 'p1', host_id: 'h1', status: 'executing', seq: 7 });
    expect(invalidated(qc, recoveryPlanQueryKey('p1'))).toBe(true);
    expect(invalidated(qc, listKey)).toBe(false);
    expect(invalidated(qc, hostListKey)).toBe(false);
  });

  it('a status change refetches the plan and every list', () => {
    const qc = client();
    applyRecovery(qc, { id: 'p1', host_id: 'h1', status: 'verified', seq: 8 });
    expect(invalidated(qc, recoveryPlanQueryKey('p1'))).toBe(true);
    expect(invalidated(qc, listKey)).toBe(true);
    expect(invalidated(qc, hostListKey)).toBe(true);
  });

  it('a plan known only from a list is compared with the list\'s status; an unknown plan refetches the lists', () => {
    const listed = client();
    applyRecovery(listed, { id: 'p2', host_id: 'h1', status: 'planned', seq: 0 });
    expect(invalidated(listed, listKey)).toBe(false);
    applyRecovery(listed, { id: 'p2', host_id: 'h1', status: 'executing', seq: 0 });
    expect(invalidated(listed, listKey)).toBe(true);
    const fresh = client();
    applyRecovery(fresh, { id: 'p3', host_id: 'h1', status: 'planned', seq: 0 });
    expect(invalidated(fresh, listKey)).toBe(true);
  });

  it('after an outage (no message) every recovery query refetches', () => {
    const qc = client();
    applyRecovery(qc, undefined);
    for (const key of [recoveryPlanQueryKey('p1'), listKey, hostListKey]) expect(invalidated(qc, key)).toBe(true);
  });
});
