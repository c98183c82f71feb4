import type { WebhookDelivery, WebhookSubscription } from '@daxfleet/shared';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveIndicator } from '@/features/media/components/live-indicator';
import { TestEventSource } from '@/testing/event-source';
import { hostSummary } from '@/testing/host-summary';
import { stubHub } from '@/testing/stub-hub';
import { useWebhooks } from '../api/webhooks';
import { CreateWebhookForm } from './create-webhook-form';
import { WebhookList } from './webhook-list';

afterEach(() => {
  vi.unstubAllGlobals();
});

const SECRET = 'whsec_Zk3q9VbN2xT7pL0aR5mC8dF1gH4jK6sW';

function subscription(overrides: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: 'wh-1', name: 'pager', url: 'https://alerts.example/daxfleet', format: 'alertmanager', event_types: ['badblock-new'],
    host_ids: ['host-a'], enabled: true, max_age_seconds: 86_400, secret_prefix: 'whsec_Zk3', created_at: new Date().toISOString(),
    created_by: 'admin', pending_count: 0, ...overrides,
  };
}

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: 'dlv-1', subscription_id: 'wh-1', event_id: 'evt-1', event_type: 'badblock-new', host_id: 'host-a', status: 'failed',
    attempts: 2, created_at: new Date(Date.now() - 60_000).toISOString(), last_status_code: 503,
    attempt_log: [
      { at: new Date(Date.now() - 60_000).toISOString(), status_code: 500, latency_ms: 12.4 },
      { at: new Date(Date.now() - 30_000).toISOString(), status_code: 503, latency_ms: 40.6 },
    ],
    ...overrides,
  };
}

function WebhooksPage() {
  const webhooks = useWebhooks();
  return <><LiveIndicator /><CreateWebhookForm />{webhooks.data !== undefined && <WebhookList webhooks={webhooks.data.webhooks} />}</>;
}

function renderPage() {
  render(<QueryClientProvider client={new QueryClient()}><WebhooksPage /></QueryClientProvider>);
}

describe('webhook subscriptions', () => {
  it('creates one and shows its secret once, then only its prefix', async () => {
    let webhooks: WebhookSubscription[] = [];
    const calls = stubHub({
      'GET /hosts': { body: { hosts: [hostSummary(), hostSummary({ id: 'host-b', hostname: 'pmem-b' })] } },
      'GET /webhooks': () => ({ body: { webhooks } }),
      'POST /webhooks': () => { webhooks = [subscription()]; return { status: 201, body: { ...subscription(), secret: SECRET } }; },
    });
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderPage();
    await screen.findByText(/^No webhooks yet/);

    const form = screen.getByRole('form', { name: 'Add a webhook' });
    fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'pager' } });
    fireEvent.change(within(form).getByLabelText('URL'), { target: { value: 'https://alerts.example/daxfleet' } });
    fireEvent.change(within(form).getByLabelText('Format'), { target: { value: 'alertmanager' } });
    const types = within(form).getByLabelText(/^Event types/) as HTMLSelectElement;
    (within(types).getByRole('option', { name: 'badblock-new' }) as HTMLOptionElement).selected = true;
    fireEvent.change(types);
    const hosts = within(form).getByLabelText(/^Hosts/) as HTMLSelectElement;
    (await within(hosts).findByRole('option', { name: 'pmem-a' }) as HTMLOptionElement).selected = true;
    fireEvent.change(hosts);
    fireEvent.change(within(form).getByLabelText(/^Retry for/), { target: { value: '2' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Add webhook' }));

    const dialog = await screen.findByRole('dialog', { name: 'Signing secret of webhook "pager"' });
    expect(within(dialog).getByLabelText('Secret').textContent).toBe(SECRET);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(await within(dialog).findByText('Copied')).toBeTruthy();
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      name: 'pager', url: 'https://alerts.example/daxfleet', format: 'alertmanager', event_types: ['badblock-new'], host_ids: ['host-a'], max_age_seconds: 7200,
    });

    const item = await screen.findByRole('listitem', { name: 'Webhook pager' });
    expect(within(item).getByText('whsec_Zk3…')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: /close/ }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it('rotates the secret with a new random one, sent to the hub and shown once', async () => {
    const calls = stubHub({
      'GET /webhooks': { body: { webhooks: [subscription()] } },
      'PATCH /webhooks/wh-1': { body: subscription({ secret_prefix: 'new' }) },
    });
    renderPage();
    const item = await screen.findByRole('listitem', { name: 'Webhook pager' });
    fireEvent.click(within(item).getByRole('button', { name: 'Rotate secret' }));
    fireEvent.click(within(item).getByRole('button', { name: 'Yes, rotate' }));
    const dialog = await screen.findByRole('dialog', { name: 'New signing secret of webhook "pager"' });
    const sent = calls.find((call) => call.method === 'PATCH')?.body as { secret: string };
    expect(sent.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(within(dialog).getByLabelText('Secret').textContent).toBe(sent.secret);
  });

  it('shows a secret the admin set by its fingerprint, never as the start of the secret', async () => {
    stubHub({ 'GET /webhooks': { body: { webhooks: [subscription({ secret_prefix: 'sha256:0a1b2c3d' })] } } });
    renderPage();
    const item = await screen.findByRole('listitem', { name: 'Webhook pager' });
    expect(within(item).getByText('sha256:0a1b2c3d')).toBeTruthy();
    expect(item.textContent).toContain('fingerprint of the secret you set');
    expect(item.textContent).not.toContain('sha256:0a1b2c3d…');
  });

  it('shows the delivery log, redelivers, and refreshes on a live delivery notice', async () => {
    vi.stubGlobal('EventSource', TestEventSource);
    TestEventSource.instances = [];
    let deliveries = [delivery()];
    const calls = stubHub({
      'GET /webhooks': { body: { webhooks: [subscription()] } },
      'GET /webhooks/wh-1/deliveries': () => ({ body: { deliveries } }),
      'POST /webhooks/wh-1/deliveries/dlv-1/redeliver': () => {
        deliveries = [delivery({ status: 'pending', next_attempt_at: new Date(Date.now() + 5000).toISOString() })];
        return { status: 202, body: deliveries[0] };
      },
    });
    renderPage();
    const stream = TestEventSource.instances[0]!;
    expect(stream.url).toBe('/api/v1/media/stream');
    act(() => stream.open());
    expect(screen.getByRole('status', { name: 'Live updates: live' })).toBeTruthy();

    const item = await screen.findByRole('listitem', { name: 'Webhook pager' });
    fireEvent.click(within(item).getByRole('button', { name: 'Show deliveries' }));
    const log = await within(item).findByRole('table', { name: 'Delivery log of pager' });
    const row = within(log).getAllByRole('row')[1]!;
    const cells = within(row).getAllByRole('cell');
    expect(cells[2]!.textContent).toBe('failed');
    expect(cells[3]!.textContent).toBe('2');
    expect(cells[4]!.textContent).toBe('500503');
    expect(cells[5]!.textContent).toBe('41 ms');

    fireEvent.click(within(row).getByRole('button', { name: 'Redeliver' }));
    await vi.waitFor(() => expect(within(within(log).getAllByRole('row')[1]!).getAllByRole('cell')[2]!.textContent).toBe('pending'));
    expect(calls.filter((call) => call.method === 'POST').map((call) => call.path)).toEqual(['/webhooks/wh-1/deliveries/dlv-1/redeliver']);

    // the dispatcher delivered it: the hub says so on the stream, and the log follows without a reload
    deliveries = [delivery({ status: 'delivered', attempts: 3, delivered_at: new Date().toISOString(), attempt_log: [...delivery().attempt_log, { at: new Date().toISOString(), status_code: 204, latency_ms: 7 }] })];
    act(() => stream.emit('delivery', { id: 'dlv-1', subscription_id: 'wh-1', status: 'delivered' }));
    await vi.waitFor(() => expect(within(within(log).getAllByRole('row')[1]!).getAllByRole('cell')[4]!.textContent).toBe('500503204'));

    act(() => stream.drop());
    expect(screen.getByRole('status', { name: 'Live updates: reconnecting…' })).toBeTruthy();
  });
});
