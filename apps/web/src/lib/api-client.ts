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

  constructor(init: { message: string; url: string; status?: number; code?: string; reqId?: string }) {
    super(init.message);
    this.url = init.url;
    this.status = init.status;
    this.code = init.code;
    this.reqId = init.reqId;
  }
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
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: signal ?? null });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiRequestError({ url, message: `Cannot reach the daxfleet hub (${describeCause(cause)}). Is it running?` });
  }
  const body = await readBody(response);
  if (!response.ok) {
    if (isApiErrorBody(body)) {
      throw new ApiRequestError({
        url,
        status: response.status,
        message: body.message,
        ...(typeof body.code === 'string' ? { code: body.code } : {}),
        ...(typeof body.reqId === 'string' ? { reqId: body.reqId } : {}),
      });
    }
    const reason = response.statusText === '' ? '' : ` ${response.statusText}`;
    throw new ApiRequestError({
      url,
      status: response.status,
      message: `The hub answered HTTP ${response.status}${reason} to GET ${url}.`,
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
