/**
 * Every error the API returns, declared in one place: DAXFLEET_ERR_<AREA>_<WHAT> with its HTTP status.
 * Routes throw `new ApiError(code, message)`; the error handler (plugins/app/error-handler.ts) turns any
 * error into the one body shape { statusCode, code, error, message, reqId } (ErrorSchema).
 */
import { STATUS_CODES } from 'node:http';

export const ERROR_STATUS = {
  /** the request body/query/params failed schema validation (the message names the field) */
  DAXFLEET_ERR_REQUEST_VALIDATION: 400,
  /** the body is not parseable JSON, or is empty where one is required */
  DAXFLEET_ERR_REQUEST_MALFORMED: 400,
  DAXFLEET_ERR_REQUEST_TOO_LARGE: 413,
  DAXFLEET_ERR_REQUEST_MEDIA_TYPE: 415,
  /** a path segment (a route param) longer than the router accepts */
  DAXFLEET_ERR_REQUEST_PARAM_TOO_LONG: 414,
  /** any other 4xx Fastify raises itself */
  DAXFLEET_ERR_REQUEST_INVALID: 400,
  /** a streaming route (Server-Sent Events) asked for without `Accept: text/event-stream` */
  DAXFLEET_ERR_REQUEST_NOT_ACCEPTABLE: 406,
  DAXFLEET_ERR_ROUTE_NOT_FOUND: 404,
  DAXFLEET_ERR_HOST_NOT_FOUND: 404,
  /** the hub has the host but none of its inventory versions (cannot happen through ingest; kept for safety) */
  DAXFLEET_ERR_INVENTORY_NOT_FOUND: 404,
  /** GET of a UI page while apps/web/dist has not been built */
  DAXFLEET_ERR_UI_NOT_BUILT: 404,
  /** agents and hub -> agent commands */
  /** POST /hosts/:hostId/rescan: the host's agent never reported a URL the hub can reach (agent_url) */
  DAXFLEET_ERR_HOST_NO_AGENT_URL: 409,
  /** the hub could not connect to the host's agent */
  DAXFLEET_ERR_AGENT_UNREACHABLE: 502,
  /** the host's agent answered the command with an error (a refused signature, ...) */
  DAXFLEET_ERR_AGENT_REFUSED: 502,
  /** the agent's command endpoint: missing, stale, replayed or wrong signature; nothing was run */
  DAXFLEET_ERR_AGENT_COMMAND_UNAUTHENTICATED: 401,
  /** the server is closing (SIGTERM): retry shortly, another instance or the restarted one will answer */
  DAXFLEET_ERR_SERVER_CLOSING: 503,
  // --- access control (issue 4): authentication, users, tokens, agent credentials ---
  /** no credentials at all on a route that needs them */
  DAXFLEET_ERR_AUTH_REQUIRED: 401,
  /** an unknown or malformed token, credential or session cookie */
  DAXFLEET_ERR_AUTH_INVALID: 401,
  DAXFLEET_ERR_AUTH_EXPIRED: 401,
  DAXFLEET_ERR_AUTH_REVOKED: 401,
  /** the credential is valid but its role/scope (or kind: agent vs user) does not allow this route */
  DAXFLEET_ERR_AUTH_FORBIDDEN: 403,
  /** the user must change the one-time password first (POST /api/v1/auth/password) */
  DAXFLEET_ERR_AUTH_PASSWORD_CHANGE_REQUIRED: 403,
  /** login: wrong username or password (the same answer for both, and for a disabled user) */
  DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS: 401,
  /** login: too many failures for this username or source address; Retry-After says when to try again */
  DAXFLEET_ERR_AUTH_RATE_LIMITED: 429,
  /** enrollment: the join token was already used by another host */
  DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED: 401,
  DAXFLEET_ERR_USER_NOT_FOUND: 404,
  DAXFLEET_ERR_USER_EXISTS: 409,
  /** the change would leave no enabled admin */
  DAXFLEET_ERR_USER_LAST_ADMIN: 409,
  /** an admin cannot delete, disable or demote their own account */
  DAXFLEET_ERR_USER_SELF: 409,
  /** POST /auth/password: current_password is wrong */
  DAXFLEET_ERR_USER_CURRENT_PASSWORD_WRONG: 400,
  /** POST /auth/password: the new password equals the current one */
  DAXFLEET_ERR_USER_PASSWORD_UNCHANGED: 400,
  /** this route is for users with a password (a session), not API tokens */
  DAXFLEET_ERR_USER_SESSION_REQUIRED: 403,
  DAXFLEET_ERR_TOKEN_NOT_FOUND: 404,
  DAXFLEET_ERR_JOIN_TOKEN_NOT_FOUND: 404,
  /** no credential was ever issued for this host id */
  DAXFLEET_ERR_AGENT_NOT_ENROLLED: 404,
  // --- end access control ---
  // --- webhooks (issue 5) ---
  DAXFLEET_ERR_WEBHOOK_NOT_FOUND: 404,
  DAXFLEET_ERR_WEBHOOK_DELIVERY_NOT_FOUND: 404,
  /** the subscription url is not an absolute http(s) URL (or carries user:password) */
  DAXFLEET_ERR_WEBHOOK_URL_INVALID: 400,
  // --- address range scrub (issue 5) ---
  /** no bus of the host (or not the named bus) offers address range scrub (no nfit/scrub) */
  DAXFLEET_ERR_SCRUB_UNSUPPORTED: 409,
  /** the host has no such bus (ndbusN) */
  DAXFLEET_ERR_SCRUB_BUS_NOT_FOUND: 404,
  /** buses can scrub but none started (one already runs, the kernel refused the write) */
  DAXFLEET_ERR_SCRUB_NOT_STARTED: 409,
  DAXFLEET_ERR_SCRUB_JOB_NOT_FOUND: 404,
  /** a fleet scrub job is already running: one at a time, or the hosts would not be staggered */
  DAXFLEET_ERR_SCRUB_JOB_RUNNING: 409,
  /** cancel of a job that already finished */
  DAXFLEET_ERR_SCRUB_JOB_FINISHED: 409,
  // --- end address range scrub ---
  // --- recovery plans (issue 6) ---
  /** the request's range is not an open bad range of the host in the hub's ledger */
  DAXFLEET_ERR_RECOVERY_RANGE_NOT_FOUND: 404,
  DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND: 404,
  /** execute: the plan was not executed before its expires_at (it is now expired): plan again */
  DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED: 409,
  /** execute: the agent refused the plan (a precondition failed): nothing can run */
  DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE: 409,
  /** execute: the plan is executing or finished (only a planned plan can be executed, once) */
  DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED: 409,
  /** execute: the body's digest is not this plan's (review the plan you execute) */
  DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH: 409,
  /** execute: the agent planned again and its plan differs (the host changed) or it cannot start: plan again */
  DAXFLEET_ERR_RECOVERY_HOST_CHANGED: 409,
  DAXFLEET_ERR_RECOVERY_NOT_STARTED: 409,
  /** agent progress: the plan is not executing (nor interrupted, whose late reports still apply): drop the report */
  DAXFLEET_ERR_RECOVERY_NOT_EXECUTING: 409,
  // --- end recovery plans ---
  // --- DAX changes (issue 7) ---
  DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND: 404,
  /** execute: the change was not executed before its expires_at (it is now expired): plan again */
  DAXFLEET_ERR_DAX_CHANGE_EXPIRED: 409,
  /** execute: the agent refused the plan at plan time (a precondition failed): nothing can run */
  DAXFLEET_ERR_DAX_NOT_EXECUTABLE: 409,
  /** execute: the change is executing or finished (only a planned change is executed, once) */
  DAXFLEET_ERR_DAX_ALREADY_EXECUTED: 409,
  /** execute: the body's digest is not the digest of this change's plan (review the plan you execute) */
  DAXFLEET_ERR_DAX_DIGEST_MISMATCH: 409,
  /** execute: the agent planned again and the plan differs or cannot run: the change is refused, plan again */
  DAXFLEET_ERR_DAX_HOST_CHANGED: 409,
  /** execute: another DAX change runs on the host: the change stays planned, execute it again shortly */
  DAXFLEET_ERR_DAX_BUSY: 409,
  // --- end DAX changes ---
  /** anything unexpected: details are logged with the reqId, never returned */
  DAXFLEET_ERR_INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
  }
}

export function reasonPhrase(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}

/** The codes of a status, for the OpenAPI description of a route's error response. */
export function codesForStatus(statusCode: number): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] === statusCode);
}
