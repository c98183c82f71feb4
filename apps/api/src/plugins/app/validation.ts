/**
 * Request validation with two Ajv instances. Query strings and params arrive as text, so they are coerced
 * ("?limit=5" -> 5); JSON bodies are not: a number where the schema wants a string is an error, not "42".
 * Neither removes unknown fields (Fastify's default strips them silently): the schema decides (schemas.ts).
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import fp from 'fastify-plugin';

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
}, { name: 'validation' });
