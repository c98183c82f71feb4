/**
 * Route-level schema helpers over the shared TypeBox schemas.
 *
 * Rule for input: request bodies and query strings are closed at the top level (additionalProperties: false),
 * so a misspelt field is a 400 naming it instead of being silently ignored. Nested objects (the inventory an
 * agent sends) stay open, so an agent that knows a newer optional kernel field does not get its reports refused.
 */
import { ErrorSchema } from '@daxfleet/shared';
import type { TObject } from 'typebox';
import { codesForStatus } from './errors.js';

export function closed<T extends TObject>(schema: T): T {
  return { ...schema, additionalProperties: false };
}

/** Response schemas for error statuses, each documenting the DAXFLEET_ERR_* codes it can carry. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorSchema> {
  const out = {} as Record<S, typeof ErrorSchema>;
  for (const status of statuses) {
    out[status] = { ...ErrorSchema, description: `error; code: ${codesForStatus(status).join(' | ')}` } as typeof ErrorSchema;
  }
  return out;
}
