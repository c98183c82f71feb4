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
  /** any other 4xx Fastify raises itself */
  DAXFLEET_ERR_REQUEST_INVALID: 400,
  DAXFLEET_ERR_ROUTE_NOT_FOUND: 404,
  DAXFLEET_ERR_HOST_NOT_FOUND: 404,
  /** the hub has the host but none of its inventory versions (cannot happen through ingest; kept for safety) */
  DAXFLEET_ERR_INVENTORY_NOT_FOUND: 404,
  /** GET of a UI page while apps/web/dist has not been built */
  DAXFLEET_ERR_UI_NOT_BUILT: 404,
  /** the server is closing (SIGTERM): retry shortly, another instance or the restarted one will answer */
  DAXFLEET_ERR_SERVER_CLOSING: 503,
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
