/**
 * One error shape for every failure: { statusCode, code, error, message, reqId } (ErrorSchema).
 * 4xx messages say what was wrong and what to do; 5xx details go to the log under the reqId, never to the client.
 * Requests to unknown routes get the same shape (DAXFLEET_ERR_ROUTE_NOT_FOUND), except UI pages when the hub
 * serves the web UI (plugins/external/web-ui.ts), and so do requests that arrive while the server closes.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, ERROR_STATUS, reasonPhrase, type ErrorCode } from '../../errors.js';
import type { ApiError as ApiErrorBody } from '@daxfleet/shared';

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "body/inventory/buses/0/dev must be string" style: where, and what to fix. */
export function describeValidation(context: string, issues: readonly AjvIssue[]): string {
  return issues.map((issue) => {
    const where = `${context}${issue.instancePath}`;
    if (issue.keyword === 'required') return `${where}/${String(issue.params.missingProperty)} is required`;
    if (issue.keyword === 'additionalProperties') {
      return `${where}/${String(issue.params.additionalProperty)} is not a known field: remove it ` +
        '(unknown fields are rejected)';
    }
    if (issue.keyword === 'enum' || issue.keyword === 'const' || issue.keyword === 'anyOf') {
      return `${where} ${issue.message ?? 'is not an allowed value'}`;
    }
    return `${where} ${issue.message ?? 'is invalid'}`;
  }).join('; ');
}

interface Classified { statusCode: number; code: ErrorCode; message: string }

function classify(err: FastifyError & { validation?: AjvIssue[]; validationContext?: string }, reqId: string): Classified {
  if (err instanceof ApiError) return { statusCode: err.statusCode, code: err.code, message: err.message };
  if (err.validation) {
    return {
      statusCode: 400,
      code: 'DAXFLEET_ERR_REQUEST_VALIDATION',
      message: describeValidation(err.validationContext ?? 'request', err.validation),
    };
  }
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { statusCode: 413, code: 'DAXFLEET_ERR_REQUEST_TOO_LARGE', message: err.message };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { statusCode: 415, code: 'DAXFLEET_ERR_REQUEST_MEDIA_TYPE', message: `${err.message}; send application/json` };
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return { statusCode: 400, code: 'DAXFLEET_ERR_REQUEST_MALFORMED', message: err.message };
      default:
        if (err instanceof SyntaxError) {
          return { statusCode: 400, code: 'DAXFLEET_ERR_REQUEST_MALFORMED', message: `body is not valid JSON: ${err.message}` };
        }
        return { statusCode: status, code: 'DAXFLEET_ERR_REQUEST_INVALID', message: err.message };
    }
  }
  return {
    statusCode: ERROR_STATUS.DAXFLEET_ERR_INTERNAL,
    code: 'DAXFLEET_ERR_INTERNAL',
    message: `internal error; the server log has the details under reqId ${reqId}`,
  };
}

export function errorBody(request: FastifyRequest, statusCode: number, code: ErrorCode, message: string): ApiErrorBody {
  return { statusCode, code, error: reasonPhrase(statusCode), message, reqId: String(request.id) };
}

export function sendRouteNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? request.url;
  return reply.code(404).send(errorBody(request, 404, 'DAXFLEET_ERR_ROUTE_NOT_FOUND',
    `no route ${request.method} ${path}; the API is under /api/v1 (see /api/v1/openapi.json)`));
}

/**
 * Fastify's `frameworkErrors` server option: errors the router raises before any hook or error handler runs (a
 * path with a broken percent-encoding, a param longer than maxParamLength) get the one error shape too.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send(errorBody(request, 414, 'DAXFLEET_ERR_REQUEST_PARAM_TOO_LONG',
      'a path segment is too long: ids in the API are at most 128 characters'));
  }
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message = err.code === 'FST_ERR_BAD_URL'
    ? 'the URL path is not valid (a broken %-encoding?): percent-encode path segments with encodeURIComponent'
    : err.message;
  return reply.code(status).send(errorBody(request, status, 'DAXFLEET_ERR_REQUEST_INVALID', message));
}

export default fp(async (fastify) => {
  // Requests on kept-alive connections while the server closes get the one error shape, not Fastify's own 503.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    return reply.code(503).header('connection', 'close').send(errorBody(request, 503, 'DAXFLEET_ERR_SERVER_CLOSING',
      'the server is shutting down; retry in a moment'));
  });

  fastify.setErrorHandler((err: FastifyError, request, reply) => {
    const c = classify(err, String(request.id));
    if (c.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: c.code, reason: c.message }, 'request rejected');
    return reply.code(c.statusCode).send(errorBody(request, c.statusCode, c.code, c.message));
  });
}, { name: 'error-handler' });
