/**
 * Serves the built web UI (apps/web/dist) with an SPA fallback: a GET outside /api and /docs that matches no
 * file gets index.html, so client-side routes (/hosts/abc) survive a reload. When the UI has not been built,
 * browsers get a page saying how to build it and other clients the DAXFLEET_ERR_UI_NOT_BUILT error.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody, sendRouteNotFound } from '../app/error-handler.js';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>daxfleet: web UI not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The daxfleet web UI is not built</h1>
<p>This hub serves the UI from <code>apps/web/dist</code>, which does not exist yet.
Build it with <code>pnpm --filter @daxfleet/web build</code> and reload this page.</p>
<p>The REST API works meanwhile: <a href="/api/v1/hosts">/api/v1/hosts</a>,
documentation at <a href="/docs">/docs</a>, OpenAPI at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`;

function isUiPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  return !(path === '/api' || path.startsWith('/api/') || path === '/docs' || path.startsWith('/docs/'));
}

export default fp(async (fastify) => {
  const root = fastify.config.webDist;
  const indexFile = path.join(root, 'index.html');
  // checked per request: a UI built (or being rebuilt) while the hub runs is picked up without a restart
  const isBuilt = (): boolean => existsSync(indexFile);
  // wildcard: files are looked up per request, so new asset names after a rebuild are found (even when the
  // folder did not exist at startup)
  await fastify.register(fastifyStatic, { root, prefix: '/', wildcard: true, index: ['index.html'], suppressWarning: true });
  if (!isBuilt()) fastify.log.warn({ webDist: root }, 'web UI not built: serving the API only');

  fastify.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    if (!isUiPageRequest(request)) return sendRouteNotFound(request, reply);
    if (isBuilt()) return reply.type('text/html').sendFile('index.html');
    if (request.headers.accept?.includes('text/html')) {
      return reply.code(404).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return reply.code(404).send(errorBody(request, 404, 'DAXFLEET_ERR_UI_NOT_BUILT',
      `the web UI is not built (${root} has no index.html): run pnpm --filter @daxfleet/web build`));
  });
}, { name: 'web-ui', dependencies: ['config'] });
