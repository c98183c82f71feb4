import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubHub } from '@/testing/stub-hub';
import { JoinTokens } from './join-tokens';

afterEach(() => {
  vi.unstubAllGlobals();
});

const SECRET = 'dxf_join_b0D4q2J8vX1nT6mR3kC9wZ5yH7sL0pF2aE4uG6iK8oM';

describe('JoinTokens', () => {
  it('shows a new join token once, with the exact agent command for this hub', async () => {
    const created = {
      id: 'jt-1', prefix: 'dxf_join_b0D', created_by: 'admin', created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    };
    let tokens: unknown[] = [];
    const calls = stubHub({
      'GET /agents/join-tokens': () => ({ body: { join_tokens: tokens } }),
      'POST /agents/join-tokens': () => { tokens = [created]; return { status: 201, body: { ...created, token: SECRET } }; },
    });
    render(<QueryClientProvider client={new QueryClient()}><JoinTokens hubUrl="http://10.0.0.5:7300" /></QueryClientProvider>);
    await screen.findByText('No join tokens.');
    fireEvent.change(screen.getByLabelText('Valid for (hours)'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create join token' }));
    const dialog = await screen.findByRole('dialog', { name: 'Join token' });
    expect(within(dialog).getByLabelText('Secret').textContent).toBe(SECRET);
    expect(within(dialog).getByLabelText('Agent command').textContent)
      .toBe(`pnpm exec daxfleet serve --role agent --hub-url http://10.0.0.5:7300 --join-token ${SECRET}`);
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ expires_in_hours: 2 });
    const table = await screen.findByRole('table', { name: 'Join tokens' });
    expect(within(table).getByText('unused')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: /close/ }));
    expect(document.body.textContent).not.toContain(SECRET);
  });
});
