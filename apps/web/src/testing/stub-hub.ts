import type { Principal } from '@daxfleet/shared';
import { vi } from 'vitest';

export type StubAnswer = { status?: number; body?: unknown; headers?: Record<string, string> };
export type StubRoutes = Record<string, StubAnswer | ((request: { body: unknown; query: URLSearchParams }) => StubAnswer)>;
export type StubCall = { method: string; path: string; body: unknown };

/**
 * Component tests answer the UI's fetch calls from a table keyed "METHOD /path" (the path under /api/v1,
 * without the query); an unlisted route answers 404 in the hub's error shape. Returns the calls made.
 */
export function stubHub(routes: StubRoutes): StubCall[] {
  const calls: StubCall[] = [];
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://hub.test');
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) as unknown : undefined;
    calls.push({ method, path, body });
    const route = routes[`${method} ${path}`];
    const answer = typeof route === 'function' ? route({ body, query: url.searchParams }) : route
      ?? { status: 404, body: { statusCode: 404, code: 'DAXFLEET_ERR_NOT_FOUND', error: 'Not Found', message: `no stub for ${method} ${path}` } };
    const status = answer.status ?? 200;
    return new Response(answer.body === undefined || status === 204 ? null : JSON.stringify(answer.body), {
      status, headers: { 'content-type': 'application/json', ...answer.headers },
    });
  });
  return calls;
}

export function principal(role: Principal['role'], overrides: Partial<Principal> = {}): Principal {
  return { kind: 'user', id: `user-${role}`, name: role === 'admin' ? 'admin' : `${role}-1`, role, ...overrides };
}

export const NOT_LOGGED_IN: StubAnswer = {
  status: 401,
  body: { statusCode: 401, code: 'DAXFLEET_ERR_AUTH_REQUIRED', error: 'Unauthorized', message: 'log in or send Authorization: Bearer <token>' },
};
