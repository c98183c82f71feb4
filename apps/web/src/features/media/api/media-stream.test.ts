import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '@daxfleet/shared';
import { coalesceIngested, type IngestedMessage } from './media-stream';

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
