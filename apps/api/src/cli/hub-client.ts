/**
 * The CLI's REST client of a hub: bearer token, JSON in and out, and the hub's error body
 * ({ statusCode, code, error, message, reqId }) turned into a HubError the commands can branch on.
 */

/** The hub answered with an error status. */
export class HubError extends Error {
  constructor(message: string, readonly status: number, readonly code: string | undefined) {
    super(message);
    this.name = 'HubError';
  }
}

/** The hub could not be reached at all (refused, reset, DNS), or gave no answer within the timeout (`timedOut`). */
export class HubUnreachableError extends Error {
  constructor(message: string, readonly timedOut: boolean) {
    super(message);
    this.name = 'HubUnreachableError';
  }
}

interface ErrorBody { code?: unknown; message?: unknown; reqId?: unknown }

export class HubClient {
  readonly base: string;

  constructor(hubUrl: string, private readonly token: string) {
    this.base = hubUrl.replace(/\/+$/, '');
  }

  /** `path` below /api/v1, e.g. `/recovery/plans/abc`; `timeoutMs` covers the whole answer */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    const url = `${this.base}/api/v1${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method, headers, signal: AbortSignal.timeout(timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await res.text();
    } catch (err) {
      const timedOut = (err as { name?: unknown } | undefined)?.name === 'TimeoutError';
      throw new HubUnreachableError(`cannot reach the hub at ${this.base}: ${reason(err)}`, timedOut);
    }
    if (res.status >= 400) throw hubError(method, path, res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HubError(`${method} ${path}: the hub answered ${res.status} with a body that is not JSON`, res.status, undefined);
    }
  }
}

/**
 * The hub's error body as a HubError. Not agent/senders.ts refusalOf: that one makes the agent's HubRefusal (and
 * AgentRevokedError) with another message shape and no reqId, and the CLI should not import the agent's code.
 */
function hubError(method: string, path: string, status: number, text: string): HubError {
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // a proxy's HTML page, say: the status alone
  }
  const code = typeof body.code === 'string' ? body.code : undefined;
  const message = typeof body.message === 'string' ? body.message : `${method} ${path} failed`;
  const reqId = typeof body.reqId === 'string' && status >= 500 ? `, request ${body.reqId}` : '';
  return new HubError(`${message} (HTTP ${status}${code !== undefined ? ` ${code}` : ''}${reqId})`, status, code);
}

/** fetch wraps the socket error in `cause`: ECONNREFUSED says more than "fetch failed" */
function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
