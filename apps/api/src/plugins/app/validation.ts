/**
 * The input rule for every API route, applied where routes are defined (onRoute), so a route added later follows
 * it without remembering: a route without a querystring schema gets an empty closed one (`?colour=blue` is a 400
 * naming `colour`, not silently ignored), and a mutating route without a body schema refuses a non-empty body.
 *
 * Request validation with two Ajv instances. Query strings and params arrive as text, so they are coerced
 * ("?limit=5" -> 5); JSON bodies are not: a number where the schema wants a string is an error, not "42".
 * Neither removes unknown fields (Fastify's default strips them silently): the schema decides (schemas.ts).
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** preValidation for routes that take no body: a body is refused rather than ignored ({} counts as none) */
export async function refuseBody(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const body = request.body;
  if (body === undefined || body === null || body === '') return;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', 'body: this route takes no body: remove it');
}

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(ajv);
  return ajv;
}

export default fp(async (fastify) => {
  const bodyAjv = makeAjv(false);
  const textAjv = makeAjv('array');
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));

  fastify.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const schema = (route.schema ??= {});
    schema.querystring ??= { type: 'object', properties: {}, additionalProperties: false };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (schema.body === undefined && methods.some((m) => MUTATING.has(String(m)))) {
      const existing = route.preValidation;
      route.preValidation = [
        refuseBody as preValidationHookHandler,
        ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      ] as preValidationHookHandler[];
    }
  });
}, { name: 'validation' });
