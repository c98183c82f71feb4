/**
 * Webhooks end to end: an admin adds a subscription in the UI pointing at a real HTTP receiver this test starts on
 * 127.0.0.1, copies the secret the dialog shows once, sends a test; the receiver gets it signed (the HMAC is checked
 * here from the documented header format, not with the hub's code) and the delivery log shows it delivered.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '../support/fixtures';
import { hubUrl } from '../support/simulated-hosts';

test.use({ role: 'admin' });

type Received = { headers: IncomingHttpHeaders; body: string; path: string };

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), path: request.url ?? '' });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/daxfleet-hook`, received };
}

/** `x-daxfleet-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` */
function signatureValid(header: string | undefined, secret: string, body: string): boolean {
  if (header === undefined) return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = parts['t'];
  const v1 = parts['v1'];
  if (t === undefined || v1 === undefined) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test('an admin subscribes a receiver, its test send arrives signed, and the delivery log shows it', async ({ page }) => {
  const receiver = await startReceiver();
  try {
    const name = `e2e-receiver-${Date.now()}`;
    await page.goto(`${hubUrl()}/admin/webhooks`);
    await expect(page.getByRole('heading', { name: 'Webhooks', level: 2 })).toBeVisible();
    const form = page.getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('URL', { exact: true }).fill(receiver.url);
    await form.getByLabel(/^Format/).selectOption('daxfleet');
    await form.getByRole('button', { name: 'Add webhook' }).click();

    const dialog = page.getByRole('dialog', { name: `Signing secret of webhook "${name}"` });
    const secret = (await dialog.getByLabel('Secret').textContent())?.trim() ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await dialog.getByRole('button', { name: /close/ }).click();
    await expect(page.getByText(secret)).toHaveCount(0);

    const item = page.getByRole('listitem', { name: `Webhook ${name}` });
    await expect(item).toContainText(receiver.url);
    await expect(item).toContainText(secret.slice(0, 6));
    await item.getByRole('button', { name: 'Send test' }).click();

    await expect.poll(() => receiver.received.length, { message: 'the receiver got the test delivery' }).toBeGreaterThan(0);
    const delivery = receiver.received[0]!;
    expect(delivery.path).toBe('/daxfleet-hook');
    expect(delivery.headers['content-type']).toContain('application/json');
    expect(signatureValid(delivery.headers['x-daxfleet-signature'] as string | undefined, secret, delivery.body)).toBe(true);
    expect(signatureValid(delivery.headers['x-daxfleet-signature'] as string | undefined, `${secret}x`, delivery.body)).toBe(false);
    const body = JSON.parse(delivery.body) as { test?: boolean; delivery_id?: string };
    expect(body.test).toBe(true);

    // the log (opened by Send test) follows the delivery live: delivered, one attempt, HTTP 200
    const log = item.getByRole('table', { name: `Delivery log of ${name}` });
    const row = log.getByRole('row').filter({ hasText: body.delivery_id! });
    await expect(row).toHaveCount(1);
    await expect(row.getByRole('cell').nth(2)).toContainText('delivered');
    await expect(row.getByRole('cell').nth(3)).toHaveText('1');
    await expect(row.getByRole('cell').nth(4)).toHaveText('200');
    await expect(row.getByRole('cell').nth(5)).toHaveText(/^\d+ ms$/);

    // redeliver: the same delivery (same id) reaches the receiver again, and the log counts a second attempt
    await row.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => receiver.received.length).toBe(2);
    expect(receiver.received[1]!.body).toBe(delivery.body);
    await expect(row.getByRole('cell').nth(3)).toHaveText('2');
    await expect(row.getByRole('cell').nth(4)).toHaveText('200200');
    await page.screenshot({ path: '/tmp/daxfleet-e2e-webhooks.png', fullPage: true });

    // delete, confirmed
    await item.getByRole('button', { name: 'Delete' }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(page.getByRole('listitem', { name: `Webhook ${name}` })).toHaveCount(0);
  } finally {
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  }
});
