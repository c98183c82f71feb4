/**
 * Acceptance (property-based, fast-check): for every route of the hub, generated malformed params, query strings
 * and bodies (wrong types, huge strings, unknown fields, deep nesting, invalid JSON, wrong content types), sent
 * with a valid credential (admin, or the agent's own on agent routes), never make the server answer 5xx and every
 * error comes in the one error shape. Run counts are bounded so the file finishes well within 30 s.
 */
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorSchema } from '@daxfleet/shared';
import type { DeclaredRoute } from '../src/plugins/app/auth.js';
import { agentCredentialFor, authed, startTestHub, type TestHub } from './helpers.js';

const RUNS_PER_ROUTE = 25;

let hub: TestHub;
let routes: DeclaredRoute[];
beforeAll(async () => {
  hub = await startTestHub();
  routes = hub.server.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
});
afterAll(async () => {
  await hub.close();
});

interface JsonSchemaLike { properties?: Record<string, unknown> }
const propertiesOf = (schema: unknown): string[] => Object.keys((schema as JsonSchemaLike | undefined)?.properties ?? {});

/** text that looks like what an attacker or a broken client sends */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '..', '../..', '%', '%00', '\u0000', '😀', 'null', 'true', '-1', '0', '1e309', 'NaN',
    '__proto__', 'constructor', "' OR 1=1 --", '<script>', 'dxf_tok_', 'a'.repeat(300)),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

/** any JSON value, with nesting */
const anyJson = fc.jsonValue({ maxDepth: 4 });

/** deeply nested arrays/objects, as text (built directly: a generator would take long to reach this depth) */
const deepNesting = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([depth, objects]) =>
  objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`);

function bodyArbitrary(route: DeclaredRoute): fc.Arbitrary<{ payload: string; contentType: string | undefined }> {
  const known = propertiesOf(route.schema?.body);
  const field = known.length > 0 ? fc.constantFrom(...known) : fc.string({ minLength: 1, maxLength: 10 });
  // known fields with values of any type, plus maybe an unknown field
  const wrongTypes = fc.tuple(fc.dictionary(field, fc.oneof(anyJson, nastyString)), fc.option(fc.tuple(nastyString, anyJson)))
    .map(([obj, extra]) => JSON.stringify(extra ? { ...obj, [extra[0] || 'extra']: extra[1] } : obj));
  const text = fc.oneof(
    { weight: 4, arbitrary: wrongTypes },
    { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: deepNesting },
    { weight: 2, arbitrary: nastyString }, // mostly invalid JSON
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":}', '[1,]', '{"a":1}{"b":2}', 'undefined', '\ufeff{}', '') },
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', '*/*', 'application/merge-patch+json') },
  );
  return fc.record({ payload: text, contentType });
}

function queryArbitrary(route: DeclaredRoute): fc.Arbitrary<string> {
  const known = propertiesOf(route.schema?.querystring);
  const key = known.length > 0 ? fc.oneof(fc.constantFrom(...known), fc.string({ minLength: 1, maxLength: 8 })) : fc.string({ minLength: 1, maxLength: 8 });
  const value = fc.oneof(nastyString, fc.integer().map(String), fc.double().map(String));
  return fc.oneof(
    fc.constant(''),
    fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString()),
    fc.constantFrom('a[b]=1', '&&=', '%', '%zz=1', 'limit=1&limit=2', 'before=-1', '=', 'since=yesterday'),
  );
}

function pathArbitrary(route: DeclaredRoute): fc.Arbitrary<string> {
  const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
  return fc.array(fc.oneof(nastyString.map(encodeURIComponent), fc.constantFrom('%', '%E0%A4%A', 'a%2Fb', 'host-a')),
    { minLength: params.length, maxLength: params.length })
    .map((values) => {
      let i = 0;
      return route.url.replace(/:(\w+)/g, () => values[i++] || 'x');
    });
}

describe('malformed input on every route (fast-check)', () => {
  it('covers the API', () => {
    expect(routes.length).toBeGreaterThan(15);
  });

  it('never answers 5xx, and every error has the one shape', async () => {
    const sent: string[] = [];
    /** error codes seen: the credential must never be what is refused */
    const codes = new Map<string, number>();
    for (const route of routes) {
      const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(route.method);
      const request = fc.record({
        path: pathArbitrary(route),
        query: queryArbitrary(route),
        body: mutating ? fc.option(bodyArbitrary(route), { nil: undefined, freq: 6 }) : fc.constant(undefined),
      });
      await fc.assert(fc.asyncProperty(request, async ({ path, query, body }) => {
        // a fresh agent credential each time: POST /agents/credential/rotate replaces the one it is called with
        const credential = route.auth === 'agent' ? await agentCredentialFor(hub, 'host-a') : hub.adminToken;
        const headers: Record<string, string> = authed(credential);
        if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
        const res = await hub.server.inject({
          method: route.method as 'POST', url: query ? `${path}?${query}` : path, headers,
          ...(body !== undefined ? { payload: body.payload } : {}),
        });
        const what = `${route.method} ${path}?${query.slice(0, 200)} ${body ? `${body.contentType} ${body.payload.slice(0, 200)}` : ''}`;
        expect(res.statusCode, `${what} -> ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const parsed: unknown = JSON.parse(res.body);
          expect(Value.Check(ErrorSchema, parsed), `${what} -> ${res.body.slice(0, 300)}`).toBe(true);
          const code = (parsed as { code: string }).code;
          // router-level errors too (broken %-encoding, overlong params): server.ts passes `frameworkErrors`
          expect(code, what).toMatch(/^DAXFLEET_ERR_[A-Z_]+$/);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          expect(['DAXFLEET_ERR_AUTH_REQUIRED', 'DAXFLEET_ERR_AUTH_EXPIRED', 'DAXFLEET_ERR_AUTH_REVOKED'], what).not.toContain(code);
        }
      }), { numRuns: RUNS_PER_ROUTE });
      sent.push(`${route.method} ${route.url}`);
    }
    expect(sent.length).toBe(routes.length);
    // the inputs reached validation, not only the router
    expect(codes.get('DAXFLEET_ERR_REQUEST_VALIDATION')).toBeGreaterThan(100);
    expect(codes.get('DAXFLEET_ERR_REQUEST_MALFORMED')).toBeGreaterThan(10);
    expect(codes.get('DAXFLEET_ERR_REQUEST_MEDIA_TYPE')).toBeGreaterThan(10);
    if (process.env.DAXFLEET_TEST_VERBOSE) console.log(Object.fromEntries(codes));
  }, 60_000);
});
