/**
 * `daxfleet serve`: runs the hub, an agent, or both in one process, listens, and closes gracefully on
 * SIGTERM/SIGINT: the agent finishes its cycle, then the server finishes open requests and the database
 * disconnects (server.ts).
 */
import os from 'node:os';
import path from 'node:path';
import { scanInventory } from '@daxfleet/dax-native';
import type { FastifyInstance } from 'fastify';
import { Agent, type ReportSender } from './agent/agent.js';
import { resolveHostId } from './agent/host-identity.js';
import { httpSender, inProcessSender } from './agent/senders.js';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_WEB_DIST, VERSION, type AppConfig, type Role } from './config.js';
import { buildServer, closeGracefullyOnSignals } from './server.js';

export interface ServeOptions {
  role: Role;
  host: string;
  port: number;
  dataDir: string;
  /** role agent: where to send reports */
  hubUrl?: string;
  sysfsRoot: string;
  hostname: string;
  hostId?: string;
  intervalMs: number;
  logLevel: string;
  webDist?: string;
}

export const DATABASE_FILE = 'daxfleet.db';

export interface RunningDaxfleet {
  server: FastifyInstance;
  agent: Agent | undefined;
  url: string;
  close(): Promise<void>;
}

export async function serve(opts: ServeOptions): Promise<RunningDaxfleet> {
  const dataDir = path.resolve(opts.dataDir);
  const runsAgent = opts.role !== 'hub';
  const hostId = runsAgent ? resolveHostId(dataDir, opts.hostId) : undefined;
  if (opts.role === 'agent' && !opts.hubUrl) throw new Error('--hub-url is required with --role agent');

  const config: AppConfig = {
    role: opts.role,
    version: VERSION,
    databaseFile: path.join(dataDir, DATABASE_FILE),
    migrationsDir: DEFAULT_MIGRATIONS_DIR,
    webDist: opts.webDist ?? DEFAULT_WEB_DIST,
  };
  if (opts.role === 'all' && hostId) config.localHostId = hostId;

  const server = await buildServer({ config, logger: { level: opts.logLevel } });
  try {
    await server.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await server.close(); // disconnects the database before the error reaches the user
    throw err;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

  let agent: Agent | undefined;
  if (runsAgent && hostId) {
    const send: ReportSender = opts.role === 'all' ? inProcessSender(server) : httpSender(opts.hubUrl as string);
    const sysfsRoot = path.resolve(opts.sysfsRoot);
    agent = new Agent({
      hostId,
      hostname: opts.hostname,
      version: VERSION,
      intervalMs: opts.intervalMs,
      // live SMART health exists only for the live kernel; a recorded tree is scanned as recorded
      scan: () => scanInventory({ sysfsRoot, health: sysfsRoot === '/sys' }),
      send,
      log: server.log.child({ component: 'agent' }),
      target: opts.role === 'all' ? 'the local hub' : (opts.hubUrl as string),
    });
    agent.start();
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await agent?.stop();
      await server.close();
    })();
    return closing;
  };
  return { server, agent, url, close };
}

/** Exit cleanly on the first SIGTERM/SIGINT (see closeGracefullyOnSignals). */
export function closeOnSignals(running: RunningDaxfleet): void {
  closeGracefullyOnSignals(running.server.log, () => running.close());
}

export function defaultHostname(): string {
  return os.hostname();
}
