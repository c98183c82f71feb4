/** Every failure has the one error shape; validation says which field and what to fix; 5xx hide details. */
import Database from 'better-sqlite3';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorSchema, type ApiError } from '@daxfleet/shared';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let hub: TestHub;
let agentCredential: string;
beforeEach(async () => {
  hub = await startTestHub();
  agentCredential = await agentCredentialFor(hub, 'host-a');
});

/** Authenticated requests (these tests are about validation): the agent credential on agent reports, else admin. */
function inject(opts: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
  const credential = opts.url.startsWith('/api/v1/agents/report') ? agentCredential : hub.adminToken;
  return hub.server.inject({ ...opts, headers: { ...authed(credential), ...opts.headers } });
}
afterEach(async () => {
  await hub.close();
});

function expectError(res: { statusCode: number; json<T>(): T }, statusCode: number, code: string): ApiError {
  const body = res.json<ApiError>();
  expect(Value.Check(ErrorSchema, body), JSON.stringify(body)).toBe(true);
  expect(body).toMatchObject({ statusCode, code });
  expect(res.statusCode).toBe(statusCode);
  expect(body.reqId).toMatch(/\S/);
  return body;
}

describe('error responses', () => {
  it('404 for an unknown host, on every host route', async () => {
    for (const url of ['/api/v1/hosts/nope', '/api/v1/hosts/nope/inventory', '/api/v1/hosts/nope/inventory/history']) {
      const body = expectError(await inject({ url }), 404, 'DAXFLEET_ERR_HOST_NOT_FOUND');
      expect(body.message).toContain('"nope"');
      expect(body.error).toBe('Not Found');
    }
  });

  it('404 with the same shape for an unknown API route, any method', async () => {
    expectError(await inject({ url: '/api/v1/nothing' }), 404, 'DAXFLEET_ERR_ROUTE_NOT_FOUND');
    expectError(await inject({ method: 'DELETE', url: '/api/v1/hosts' }), 404, 'DAXFLEET_ERR_ROUTE_NOT_FOUND');
  });

  it('UI pages while the UI is not built: an explaining page for browsers, the error shape otherwise', async () => {
    const page = await inject({ url: '/hosts/abc', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('pnpm --filter @daxfleet/web build');
    expectError(await inject({ url: '/', headers: { accept: 'application/json' } }), 404, 'DAXFLEET_ERR_UI_NOT_BUILT');
  });

  it('names a missing required body field', async () => {
    const report = reportOf(await fixtureInventory('two-dimm-all-modes')) as Partial<ReturnType<typeof reportOf>>;
    delete report.hostname;
    const body = expectError(await inject({ method: 'POST', url: '/api/v1/agents/report', payload: report }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toBe('body/hostname is required');
  });

  it('rejects an unknown body field by name', async () => {
    const report = { ...reportOf(await fixtureInventory('two-dimm-all-modes')), colour: 'blue' };
    const body = expectError(await inject({ method: 'POST', url: '/api/v1/agents/report', payload: report }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toBe('body/colour is not a known field: remove it (unknown fields are rejected)');
  });

  it('says where a nested value is wrong', async () => {
    const inv = await fixtureInventory('two-dimm-all-modes');
    const bad = JSON.parse(JSON.stringify(reportOf(inv))) as { inventory: { buses: Array<{ dev: unknown }> } };
    bad.inventory.buses[0]!.dev = 42;
    const body = expectError(await inject({ method: 'POST', url: '/api/v1/agents/report', payload: bad }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toBe('body/inventory/buses/0/dev must be string');
  });

  it('validates params and query strings', async () => {
    const badId = expectError(await inject({ url: '/api/v1/hosts/bad%20id' }), 400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(badId.message).toMatch(/^params\/hostId must match pattern/);
    const badLimit = expectError(await inject({ url: '/api/v1/hosts/x/inventory/history?limit=0' }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(badLimit.message).toBe('querystring/limit must be >= 1');
    const unknown = expectError(await inject({ url: '/api/v1/hosts/x/inventory/history?page=2' }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(unknown.message).toContain('querystring/page is not a known field');
  });

  it('routes without query parameters or without a body refuse them instead of ignoring them', async () => {
    const query = expectError(await inject({ url: '/api/v1/hosts?colour=blue' }), 400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(query.message).toBe('querystring/colour is not a known field: remove it (unknown fields are rejected)');
    const body = expectError(await inject({ method: 'DELETE', url: '/api/v1/tokens/some-id', payload: { force: true } }),
      400, 'DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toBe('body: this route takes no body: remove it');
    // an empty object is no body
    expectError(await inject({ method: 'DELETE', url: '/api/v1/tokens/some-id', payload: {} }), 404, 'DAXFLEET_ERR_TOKEN_NOT_FOUND');
  });

  it('malformed JSON, wrong media type', async () => {
    expectError(await inject({
      method: 'POST', url: '/api/v1/agents/report', payload: '{"host_id":', headers: { 'content-type': 'application/json' },
    }), 400, 'DAXFLEET_ERR_REQUEST_MALFORMED');
    expectError(await inject({
      method: 'POST', url: '/api/v1/agents/report', payload: '<report/>', headers: { 'content-type': 'application/xml' },
    }), 415, 'DAXFLEET_ERR_REQUEST_MEDIA_TYPE');
  });

  it('hides the details of a 500 (a broken database) behind the reqId', async () => {
    const db = new Database(hub.databaseFile);
    db.exec('DROP TABLE hosts');
    db.close();
    const res = await inject({ url: '/api/v1/hosts' });
    const body = expectError(res, 500, 'DAXFLEET_ERR_INTERNAL');
    expect(body.message).toBe(`internal error; the server log has the details under reqId ${body.reqId}`);
    expect(res.body).not.toMatch(/hosts|sqlite|prisma/i);
  });
});

describe('router-level errors (frameworkErrors)', () => {
  it('a broken %-encoding or an overlong param gets the one error shape when the server passes frameworkErrors', async () => {
    const { default: Fastify } = await import('fastify');
    const { default: errorHandlerPlugin, frameworkErrors } = await import('../src/plugins/app/error-handler.js');
    const app = Fastify({ frameworkErrors, maxParamLength: 10 });
    await app.register(errorHandlerPlugin);
    app.get('/api/v1/things/:id', async () => ({ ok: true }));
    try {
      const bad = await app.inject({ url: '/api/v1/things/%E0%A4%A' });
      expect(Value.Check(ErrorSchema, bad.json()), bad.body).toBe(true);
      expect(bad.json<ApiError>()).toMatchObject({ statusCode: 400, code: 'DAXFLEET_ERR_REQUEST_INVALID' });
      const long = await app.inject({ url: `/api/v1/things/${'x'.repeat(50)}` });
      expect(long.json<ApiError>()).toMatchObject({ statusCode: 414, code: 'DAXFLEET_ERR_REQUEST_PARAM_TOO_LONG' });
      expect(long.json<ApiError>().reqId).toMatch(/\S/);
    } finally {
      await app.close();
    }
  });
});
