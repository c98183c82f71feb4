/**
 * A small fetch wrapper for the hub's REST API. Every failure becomes an `ApiRequestError` whose
 * message an operator can read: the hub's own `{statusCode, code, error, message, reqId}` body when
 * there is one, otherwise what went wrong with the request itself.
 */
import type { ApiError } from '@daxfleet/shared';
import { env } from '@/config/env';

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  /** HTTP status, or undefined when no response arrived (network failure) */
  readonly status: number | undefined;
  /** the hub's stable code (DAXFLEET_ERR_...), when it sent one */
  readonly code: string | undefined;
  readonly reqId: string | undefined;
  readonly url: string;
  /** seconds from the Retry-After header (429 answers), when the hub sent one */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: { message: string; url: string; status?: number; code?: string; reqId?: string; retryAfterSeconds?: number }) {
    super(init.message);
    this.url = init.url;
    this.status = init.status;
    this.code = init.code;
    this.reqId = init.reqId;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** The hub's code for a user who still has to replace a one-time password. */
export const PASSWORD_CHANGE_REQUIRED = 'DAXFLEET_ERR_AUTH_PASSWORD_CHANGE_REQUIRED';

/** True for an answer that means "log in first" (no, unknown, expired or revoked session). */
export function isUnauthenticated(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 401;
}

export function isPasswordChangeRequired(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 403 && error.code === PASSWORD_CHANGE_REQUIRED;
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function isApiErrorBody(body: unknown): body is ApiError {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return typeof candidate.message === 'string' && typeof candidate.statusCode === 'number';
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export type QueryParams = Record<string, string | number | undefined>;

export function buildUrl(path: string, query?: QueryParams): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) search.set(key, String(value));
  }
  const qs = search.toString();
  return `${env.apiBaseUrl}${path}${qs === '' ? '' : `?${qs}`}`;
}

/** GET a JSON resource from /api/v1. `path` starts with a slash: "/hosts". */
export function apiGet<T>(path: string, options: { query?: QueryParams; signal?: AbortSignal } = {}): Promise<T> {
  return getJson<T>(buildUrl(path, options.query), options.signal);
}

/** GET any URL and parse its JSON body; a failure of any kind becomes an ApiRequestError. */
export function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return requestJson<T>('GET', url, { signal });
}

export type MutationMethod = 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** POST/PATCH/DELETE to /api/v1 with an optional JSON body; resolves to the parsed answer (undefined for 204). */
export function apiSend<T = undefined>(method: MutationMethod, path: string, body?: unknown): Promise<T> {
  return requestJson<T>(method, buildUrl(path), { body });
}

/**
 * One request to the hub. The session is an httpOnly cookie the browser sends by itself (same origin);
 * the UI never sees or stores a credential.
 */
async function requestJson<T>(method: 'GET' | MutationMethod, url: string, options: { body?: unknown; signal?: AbortSignal | undefined }): Promise<T> {
  let response: Response;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: options.signal ?? null,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiRequestError({ url, message: `Cannot reach the daxfleet hub (${describeCause(cause)}). Is it running?` });
  }
  const body = await readBody(response);
  if (!response.ok) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    const retry = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
    if (isApiErrorBody(body)) {
      throw new ApiRequestError({
        url,
        status: response.status,
        message: body.message,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
        ...(typeof body.reqId === 'string' ? { reqId: body.reqId } : {}),
        ...retry,
      });
    }
    const reason = response.statusText === '' ? '' : ` ${response.statusText}`;
    throw new ApiRequestError({
      url,
      status: response.status,
      message: `The hub answered HTTP ${response.status}${reason} to ${method} ${url}.`,
      ...retry,
    });
  }
  return body as T;
}

/** fetch's TypeError says only "fetch failed"; the reason (ECONNREFUSED...) is in its cause. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause;
  if (inner instanceof Error && 'code' in inner && typeof inner.code === 'string') return `${cause.message}: ${inner.code}`;
  return cause.message;
}

/** A one-line explanation of any error thrown while loading data, for display. */
export function describeError(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** 4xx answers will not change by asking again; network failures and 5xx might. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiRequestError && error.status !== undefined) return error.status >= 500;
  return true;
}
