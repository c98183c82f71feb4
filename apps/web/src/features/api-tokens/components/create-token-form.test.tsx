import { fireEvent, render, screen, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubHub } from '@/testing/stub-hub';
import { useApiTokens } from '../api/tokens';
import { CreateTokenForm } from './create-token-form';
import { TokenTable } from './token-table';

afterEach(() => {
  vi.unstubAllGlobals();
});

const SECRET = 'dxf_tok_3q2-7wEvRk0o6mYq8dU1xJc9Lb0aZy4tWn5sVp2QhGk';
const listed = {
  id: 'tok-1', name: 'ansible', scope: 'operator', prefix: 'dxf_tok_3q2', created_by: 'admin',
  created_at: new Date().toISOString(),
};

function TokensPage() {
  const tokens = useApiTokens();
  return <><CreateTokenForm />{tokens.data !== undefined && <TokenTable tokens={tokens.data.tokens} />}</>;
}

describe('API token creation', () => {
  it('shows the new secret once, with a copy button and a warning, and never again after closing', async () => {
    let tokens: unknown[] = [];
    const calls = stubHub({
      'GET /tokens': () => ({ body: { tokens } }),
      'POST /tokens': () => { tokens = [listed]; return { status: 201, body: { ...listed, token: SECRET } }; },
    });
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    render(<QueryClientProvider client={new QueryClient()}><TokensPage /></QueryClientProvider>);
    await screen.findByText('No API tokens yet.');

    const form = screen.getByRole('form', { name: 'Create an API token' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'ansible' } });
    fireEvent.change(within(form).getByLabelText('Scope'), { target: { value: 'operator' } });
    fireEvent.change(within(form).getByLabelText(/^Expires after/), { target: { value: '30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create token' }));

    const dialog = await screen.findByRole('dialog', { name: 'API token "ansible" (operator)' });
    expect(within(dialog).getByLabelText('Secret').textContent).toBe(SECRET);
    expect(within(dialog).getByRole('note').textContent).toContain('only time daxfleet shows it');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(await within(dialog).findByText('Copied')).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'ansible', scope: 'operator', expires_in_days: 30 });

    // the list shows the prefix, never the secret
    const table = await screen.findByRole('table', { name: 'API tokens' });
    expect(within(table).getByText('dxf_tok_3q2…')).toBeTruthy();

    fireEvent.click(within(dialog).getByRole('button', { name: /close/ }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it('revokes a token only after a confirmation', async () => {
    let revoked = false;
    const calls = stubHub({
      'GET /tokens': () => ({ body: { tokens: [revoked ? { ...listed, revoked_at: new Date().toISOString() } : listed] } }),
      'DELETE /tokens/tok-1': () => { revoked = true; return { status: 204 }; },
    });
    render(<QueryClientProvider client={new QueryClient()}><TokensPage /></QueryClientProvider>);
    const table = await screen.findByRole('table', { name: 'API tokens' });
    fireEvent.click(within(table).getByRole('button', { name: 'Revoke' }));
    expect(calls.some((call) => call.method === 'DELETE')).toBe(false);
    fireEvent.click(within(table).getByRole('button', { name: 'Yes, revoke' }));
    expect(await within(table).findByText('revoked')).toBeTruthy();
    expect(calls.filter((call) => call.method === 'DELETE').map((call) => call.path)).toEqual(['/tokens/tok-1']);
  });
});
