/** The OpenAPI document lists every route with its schemas, and /docs serves the UI over it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authed, startTestHub, type TestHub } from './helpers.js';

interface Operation {
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: { required?: string[]; additionalProperties?: boolean } }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

let hub: TestHub;
let doc: OpenApiDoc;
beforeAll(async () => {
  hub = await startTestHub();
  const res = await hub.server.inject({ url: '/api/v1/openapi.json', headers: authed(await hub.tokenFor('viewer')) });
  expect(res.statusCode).toBe(200);
  doc = res.json<OpenApiDoc>();
});
afterAll(async () => {
  await hub.close();
});

const ROUTES: Array<[string, string, string[]]> = [
  ['get', '/api/v1/health', ['200']],
  ['get', '/api/v1/info', ['200', '401', '403', '500']],
  ['get', '/api/v1/hosts', ['200', '401', '403', '500']],
  ['get', '/api/v1/hosts/{hostId}', ['200', '400', '401', '403', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/inventory', ['200', '400', '401', '403', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/inventory/history', ['200', '400', '401', '403', '404', '500']],
  ['post', '/api/v1/auth/login', ['200', '400', '401', '413', '415', '429', '500']],
  ['post', '/api/v1/auth/logout', ['204', '400', '401', '403', '413', '500']],
  ['get', '/api/v1/auth/me', ['200', '401', '403', '500']],
  ['post', '/api/v1/auth/password', ['204', '400', '401', '403', '413', '415', '500']],
  ['get', '/api/v1/users', ['200', '401', '403', '500']],
  ['post', '/api/v1/users', ['201', '400', '401', '403', '409', '413', '415', '500']],
  ['patch', '/api/v1/users/{userId}', ['200', '400', '401', '403', '404', '409', '413', '415', '500']],
  ['delete', '/api/v1/users/{userId}', ['204', '400', '401', '403', '404', '409', '413', '500']],
  ['get', '/api/v1/tokens', ['200', '401', '403', '500']],
  ['post', '/api/v1/tokens', ['201', '400', '401', '403', '413', '415', '500']],
  ['delete', '/api/v1/tokens/{tokenId}', ['200', '400', '401', '403', '404', '413', '500']],
  ['get', '/api/v1/audit', ['200', '400', '401', '403', '500']],
  ['get', '/api/v1/media/ledger', ['200', '400', '401', '403', '500']],
  ['get', '/api/v1/media/events', ['200', '400', '401', '403', '500']],
  ['get', '/api/v1/hosts/{hostId}/ledger', ['200', '400', '401', '403', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/health', ['200', '400', '401', '403', '404', '500']],
  ['post', '/api/v1/hosts/{hostId}/recovery/plans', ['201', '400', '401', '403', '404', '409', '413', '415', '500', '502']],
  ['get', '/api/v1/hosts/{hostId}/recovery/plans', ['200', '400', '401', '403', '404', '500']],
  ['get', '/api/v1/recovery/plans', ['200', '400', '401', '403', '500']],
  ['get', '/api/v1/recovery/plans/{planId}', ['200', '400', '401', '403', '404', '500']],
  ['post', '/api/v1/recovery/plans/{planId}/execute', ['202', '400', '401', '403', '404', '409', '413', '415', '500', '502']],
  ['post', '/api/v1/agents/recovery', ['200', '400', '401', '403', '404', '409', '413', '415', '500']],
  ['post', '/api/v1/hosts/{hostId}/dax/changes', ['201', '400', '401', '403', '404', '409', '413', '415', '500', '502']],
  ['get', '/api/v1/hosts/{hostId}/dax/changes', ['200', '400', '401', '403', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/fs-dax', ['200', '400', '401', '403', '404', '409', '500', '502']],
  ['get', '/api/v1/dax/changes', ['200', '400', '401', '403', '500']],
  ['get', '/api/v1/dax/changes/{changeId}', ['200', '400', '401', '403', '404', '500']],
  ['post', '/api/v1/dax/changes/{changeId}/execute', ['200', '400', '401', '403', '404', '409', '413', '415', '500', '502']],
  ['get', '/api/v1/fleet/capacity', ['200', '401', '403', '500']],
];

/** the routes of the Fastify instance as OpenAPI lists them ("get /api/v1/hosts/{hostId}") */
function apiRoutesOf(h: TestHub): string[] {
  return h.server.routeTable
    .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && !r.schema?.hide)
    .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3 for this version', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toEqual(expect.objectContaining({ title: 'daxfleet API', version: '0.0.0-test' }));
  });

  it.each(ROUTES)('%s %s has tags and every response status with a schema', (method, path, statuses) => {
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path} missing; have ${Object.keys(doc.paths).join(', ')}`).toBeDefined();
    expect(op?.tags?.length).toBeGreaterThan(0);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual([...statuses].sort());
    for (const status of statuses) {
      if (status === '204') continue; // no content
      const schema = op?.responses[status]?.content?.['application/json']?.schema;
      expect(schema, `${method} ${path} ${status}`).toBeDefined();
      if (!status.startsWith('2')) {
        expect(schema?.required).toEqual(expect.arrayContaining(['statusCode', 'code', 'error', 'message']));
        expect(op?.responses[status]?.description).toMatch(/DAXFLEET_ERR_/);
      }
    }
  });

  it('documents the media stream as text/event-stream, its query parameters and the ledger filters', () => {
    const stream = doc.paths['/api/v1/media/stream']?.get;
    expect(Object.keys(stream?.responses ?? {}).sort()).toEqual(['200', '401', '403', '406', '500']);
    expect(Object.keys(stream?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(stream?.responses['406']?.description).toMatch(/DAXFLEET_ERR_REQUEST_NOT_ACCEPTABLE/);
    const ledger = doc.paths['/api/v1/media/ledger']?.get;
    expect(ledger?.parameters?.map((p) => p.name).sort()).toEqual(['cursor', 'dimm', 'host', 'limit', 'since', 'state', 'until']);
    const hostLedger = doc.paths['/api/v1/hosts/{hostId}/ledger']?.get;
    expect(hostLedger?.parameters?.map((p) => p.name).sort()).toEqual(['cursor', 'dimm', 'hostId', 'limit', 'since', 'state', 'until']);
  });

  it('documents params, query and the closed report body', () => {
    const history = doc.paths['/api/v1/hosts/{hostId}/inventory/history']?.get;
    expect(history?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:hostId', 'query:before', 'query:limit']);
    const body = doc.paths['/api/v1/agents/report']?.post?.requestBody?.content['application/json']?.schema;
    expect(body?.required).toEqual(expect.arrayContaining(['host_id', 'hostname', 'inventory']));
    expect(body?.additionalProperties).toBe(false);
  });

  it('lists exactly the API routes of the app (the document itself is hidden)', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(apiRoutesOf(hub).sort());
    expect(documented).toEqual(expect.arrayContaining(ROUTES.map(([m, p]) => `${m} ${p}`)));
  });

  it('every route but the public ones documents 401 and 403; every route has tags and error schemas', () => {
    const publicRoutes = new Set(['get /api/v1/health', 'post /api/v1/auth/login', 'post /api/v1/agents/enroll']);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method} ${path}`;
        expect(op.tags?.length, name).toBeGreaterThan(0);
        if (!publicRoutes.has(name)) expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['401', '403']));
        for (const [status, response] of Object.entries(op.responses)) {
          if (status.startsWith('2')) continue;
          expect(response.description, `${name} ${status}`).toMatch(/DAXFLEET_ERR_/);
        }
      }
    }
  });

  it('serves the interactive documentation at /docs to viewers, not without credentials', async () => {
    expect((await hub.server.inject({ url: '/docs/' })).statusCode).toBe(401);
    const res = await hub.server.inject({ url: '/docs/', headers: authed(await hub.tokenFor('viewer')) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger');
  });
});
