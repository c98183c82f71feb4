import type { AuditEntry } from '@daxfleet/shared';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubHub } from '@/testing/stub-hub';
import { AuditLog } from './audit-log';

afterEach(() => {
  vi.unstubAllGlobals();
});

function entry(id: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id, at: new Date(Date.now() - id * 1000).toISOString(), actor_kind: 'user', actor: 'admin', source_ip: '127.0.0.1',
    action: 'auth.login', result: 'success', status_code: 200, ...overrides,
  };
}

describe('AuditLog', () => {
  it('lists entries newest first and fetches older ones with ?before=', async () => {
    const calls = stubHub({
      'GET /audit': ({ query }) => (query.get('before') === null
        ? { body: { entries: [entry(3, { action: 'token.revoke', target: 'ci' }), entry(2, { action: 'token.create', target: 'ci' })], next_before: 2 } }
        : query.get('before') !== '2'
          ? { status: 400, body: { statusCode: 400, code: 'DAXFLEET_ERR_VALIDATION', error: 'Bad Request', message: `unexpected before=${query.get('before')}` } }
          : { body: { entries: [entry(1, { result: 'failure', status_code: 401, actor_kind: 'anonymous', detail: 'DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS' })] } }),
    });
    render(<QueryClientProvider client={new QueryClient()}><AuditLog /></QueryClientProvider>);
    const table = await screen.findByRole('table', { name: 'Audit entries' });
    const actions = () => within(table).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell')[3]?.textContent);
    expect(actions()).toEqual(['token.revoke', 'token.create']);
    fireEvent.click(screen.getByRole('button', { name: 'Show older' }));
    await within(table).findByText('DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS');
    expect(actions()).toEqual(['token.revoke', 'token.create', 'auth.login']);
    expect(within(table).getByText('failure 401')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Show older' })).toBeNull();
    expect(calls.map((call) => call.path)).toEqual(['/audit', '/audit']);
  });

  it('sends the filters to the hub', async () => {
    const queries: string[] = [];
    stubHub({ 'GET /audit': ({ query }) => { queries.push(query.toString()); return { body: { entries: [] } }; } });
    render(<QueryClientProvider client={new QueryClient()}><AuditLog /></QueryClientProvider>);
    await screen.findByText('No audit entries match these filters.');
    fireEvent.change(screen.getByLabelText('Actor'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'user.update' } });
    fireEvent.change(screen.getByLabelText('Result'), { target: { value: 'failure' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-27T10:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await vi.waitFor(() => expect(queries).toHaveLength(2));
    const sent = new URLSearchParams(queries[1]);
    expect(sent.get('actor')).toBe('alice');
    expect(sent.get('action')).toBe('user.update');
    expect(sent.get('result')).toBe('failure');
    expect(sent.get('since')).toBe(new Date('2026-11-27T10:00').toISOString());
    expect(sent.get('until')).toBeNull();
  });
});
