/**
 * For tests that run hubs and agents as processes: the hub's first admin comes from DAXFLEET_ADMIN_PASSWORD,
 * an admin API token is made through the REST API as an operator would, and join tokens with it.
 */
import { request as httpsRequest } from 'node:https';
import type { Role } from '@daxfleet/shared';

interface CreatedApiToken { token: string }

export const ADMIN_PASSWORD = 'fleet-admin-password-1';
/** environment for a hub process whose first admin is "admin" with ADMIN_PASSWORD (no one-time password) */
export const HUB_ENV = { DAXFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD };

export interface HttpAnswer { status: number; headers: Headers; text: string }
export type Http = (method: string, url: string, headers: Record<string, string>, body?: string) => Promise<HttpAnswer>;

export const fetchHttp: Http = async (method, url, headers, body) => {
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

/** https with a private CA (the test process has no NODE_EXTRA_CA_CERTS) */
export function httpsWithCa(ca: Buffer): Http {
  return (method, url, headers, body) => new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string') h.set(k, v);
          else if (Array.isArray(v)) for (const one of v) h.append(k, one);
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export class HubClient {
  constructor(readonly url: string, readonly token: string | undefined = undefined, readonly http: Http = fetchHttp) {}

  with(token: string): HubClient {
    return new HubClient(this.url, token, this.http);
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.http(method, `${this.url}/api/v1${path}`, headers, body === undefined ? undefined : JSON.stringify(body));
    return { status: res.status, json: res.text === '' ? undefined : JSON.parse(res.text) };
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    return res.json as T;
  }

  /** logs in as the first admin and makes an admin API token, as an operator would */
  static async asAdmin(url: string, http: Http = fetchHttp): Promise<HubClient> {
    const login = await http('POST', `${url}/api/v1/auth/login`, { 'content-type': 'application/json' },
      JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }));
    if (login.status !== 200) throw new Error(`login: HTTP ${login.status} ${login.text}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const created = await http('POST', `${url}/api/v1/tokens`, { 'content-type': 'application/json', cookie },
      JSON.stringify({ name: 'fleet-tests', scope: 'admin' }));
    if (created.status !== 201 && created.status !== 200) throw new Error(`token: HTTP ${created.status} ${created.text}`);
    return new HubClient(url, (JSON.parse(created.text) as CreatedApiToken).token, http);
  }

  async tokenFor(scope: Role): Promise<string> {
    return (await this.ok<CreatedApiToken>('POST', '/tokens', { name: `fleet-${scope}`, scope })).token;
  }

  async joinToken(expiresInHours?: number): Promise<string> {
    return (await this.ok<{ token: string }>('POST', '/agents/join-tokens',
      expiresInHours === undefined ? {} : { expires_in_hours: expiresInHours })).token;
  }
}
