/** The OpenAPI document lists every route with its schemas, and /docs serves the UI over it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers.js';

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
  const res = await hub.server.inject({ url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json<OpenApiDoc>();
});
afterAll(async () => {
  await hub.close();
});

const ROUTES: Array<[string, string, string[]]> = [
  ['get', '/api/v1/health', ['200']],
  ['get', '/api/v1/info', ['200', '500']],
  ['get', '/api/v1/hosts', ['200', '500']],
  ['get', '/api/v1/hosts/{hostId}', ['200', '400', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/inventory', ['200', '400', '404', '500']],
  ['get', '/api/v1/hosts/{hostId}/inventory/history', ['200', '400', '404', '500']],
  ['post', '/api/v1/agents/report', ['200', '400', '413', '415', '500']],
];

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
      const schema = op?.responses[status]?.content?.['application/json']?.schema;
      expect(schema, `${method} ${path} ${status}`).toBeDefined();
      if (status !== '200') {
        expect(schema?.required).toEqual(expect.arrayContaining(['statusCode', 'code', 'error', 'message']));
        expect(op?.responses[status]?.description).toMatch(/DAXFLEET_ERR_/);
      }
    }
  });

  it('documents params, query and the closed report body', () => {
    const history = doc.paths['/api/v1/hosts/{hostId}/inventory/history']?.get;
    expect(history?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:hostId', 'query:before', 'query:limit']);
    const body = doc.paths['/api/v1/agents/report']?.post?.requestBody?.content['application/json']?.schema;
    expect(body?.required).toEqual(expect.arrayContaining(['host_id', 'hostname', 'inventory']));
    expect(body?.additionalProperties).toBe(false);
  });

  it('lists no route that is not in the API (the document itself is hidden)', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  it('serves the interactive documentation at /docs', async () => {
    const res = await hub.server.inject({ url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger');
  });
});
