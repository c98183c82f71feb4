/**
 * Builds the Fastify instance around the app plugin (logger, timeouts, close behaviour) and closes it
 * gracefully on signals. Tests use buildServer() and inject; `daxfleet serve` listens (serve.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  LogController, type FastifyBaseLogger, type FastifyHttpsOptions, type FastifyInstance, type FastifyServerOptions,
} from 'fastify';
import type { AgentCommandTarget } from './agent/command-routes.js';
import daxfleetApp from './app.js';
import { LOG_REDACT_PATHS } from './plugins/app/auth.js';
import { frameworkErrors } from './plugins/app/error-handler.js';
import type { AppConfig } from './config.js';

/** PEM certificate (chain) and private key: the listener serves https */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface BuildServerOptions {
  config: AppConfig;
  /** pino options, or false for silence (tests) */
  logger?: FastifyServerOptions['logger'];
  /** serve https with this certificate (`--tls-cert`/`--tls-key`) */
  tls?: TlsFiles;
  /** roles agent and all: the agent behind POST /api/v1/agent/commands */
  agentCommands?: AgentCommandTarget;
}

export function serverOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions {
  return {
    logger: logger === false || logger === undefined ? logger : {
      // secrets never reach the log: bearer tokens, agent credentials, session cookies, passwords
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      ...(typeof logger === 'object' ? logger : {}),
    },
    // a report of a big host is one request; a stalled client must not hold a socket forever
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    pluginTimeout: 60_000,
    // while closing: drop idle keep-alive sockets, finish open requests; requests that still arrive get a 503
    // in the one error shape (plugins/app/error-handler.ts) rather than Fastify's own body
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // request lines are logged by our onResponse hook at debug level: agents report every few seconds
    logController: new LogController({ disableRequestLogging: true }),
    // errors the router raises before any hook (broken %-encoding, an overlong param) get the one error shape
    frameworkErrors,
    // ids in paths are at most 128 characters (schemas validate them); Fastify's default of 100 would refuse
    // valid 101-128 character host ids at the router with a 414 before validation could explain
    routerOptions: { maxParamLength: 256 },
  };
}

export async function buildServer(opts: BuildServerOptions): Promise<FastifyInstance> {
  const options = serverOptions(opts.logger ?? false);
  // Fastify types an https instance apart; everything we use is the same on both
  const server = (opts.tls
    ? Fastify({ ...options, https: { cert: opts.tls.cert, key: opts.tls.key } } as FastifyHttpsOptions<HttpsServer>) as unknown as FastifyInstance
    : Fastify(options)).withTypeProvider<TypeBoxTypeProvider>();
  server.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime) }, 'request done');
  });
  await server.register(daxfleetApp, {
    config: opts.config, ...(opts.agentCommands ? { agentCommands: opts.agentCommands } : {}),
  });
  await server.ready();
  return server;
}

const CLOSE_TIMEOUT_MS = 15_000;

/**
 * Graceful close: the first SIGTERM/SIGINT runs `close` (Fastify then answers new requests with 503, finishes
 * open ones, runs onClose hooks such as the Prisma disconnect) and exits 0; a second signal, or a close that
 * hangs for 15 s, exits 1 at once.
 */
export function closeGracefullyOnSignals(log: FastifyBaseLogger, close: () => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, 'closing');
    setTimeout(() => {
      log.error('close timed out; exiting');
      process.exit(1);
    }, CLOSE_TIMEOUT_MS).unref();
    close().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'close failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
