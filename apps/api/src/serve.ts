/**
 * `daxfleet serve`: runs the hub, an agent, or both in one process, listens, and closes gracefully on
 * SIGTERM/SIGINT: the agent finishes its cycle, then the server finishes open requests and the database
 * disconnects (server.ts).
 *
 * An agent reports with its own credential (DATA-DIR/agent-credential.json): enrolled with a one-time join
 * token at its first start, or, in role all, issued by the local hub directly. Its listener runs the hub's
 * signed commands (agent/command-routes.ts). Its media journal (DATA-DIR/media-journal.json) keeps the known bad
 * ranges and the events not yet acknowledged; its media watcher wakes it when a badblocks attribute changes.
 * Its recovery executor (agent/recovery/) plans and runs the hub's recovery commands on the live /sys, posts
 * their progress to the hub, and at start reports a run a restart cut off (DATA-DIR/recovery-journal.json).
 * Its DAX change service (agent/dax/) plans and executes namespace, device-DAX and fs-dax-policy changes on the live
 * /sys, one at a time, and reports the new inventory after each.
 */
import os from 'node:os';
import path from 'node:path';
import {
  clearErrorsOnBus, createNamespace, destroyNamespace, deviceInUse, mapDeviceRange, offlineDaxMemory, onlineDaxMemory,
  punchHole, reconfigureDaxDevice, reconfigureNamespace, scanInventory, watchSysfsAttributes, writeZeros,
} from '@daxfleet/dax-native';
import type { FastifyInstance } from 'fastify';
import { Agent, type ReportSender } from './agent/agent.js';
import type { AgentCommandTarget } from './agent/command-routes.js';
import {
  readCredential, setRevokedCredentialAside, writeCredential, type AgentCredentialFile,
} from './agent/credential-file.js';
import { createDaxChangeService, HostChangeLock, liveDeviceHost } from './agent/dax/index.js';
import { ensureEnrolled } from './agent/enrollment.js';
import { fsDaxPolicyHandler, inspectFsDax } from './agent/fsdax/index.js';
import { resolveHostId } from './agent/host-identity.js';
import { RangeFileMapper } from './agent/media/files.js';
import { MediaJournal } from './agent/media/journal.js';
import { MediaWatcher, mediaAttributePaths } from './agent/media/watch.js';
import { RecoveryExecutor } from './agent/recovery/execute.js';
import { recoveryProgressSender } from './agent/recovery/progress.js';
import { hubPoster, httpSender, inProcessSender, type AgentRevokedError } from './agent/senders.js';
import { DATABASE_FILE, DEFAULT_MIGRATIONS_DIR, DEFAULT_WEB_DIST, VERSION, type AppConfig, type Role } from './config.js';
import { buildServer, closeGracefullyOnSignals, type TlsFiles } from './server.js';
import { issueAgentCredential, verifyAgentCredential } from './services/agent-credentials.js';

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
  /** agent: re-read the badblocks attributes this often (default 250; 0: only the regular scans and notifications) */
  badblocksPollMs?: number;
  logLevel: string;
  webDist?: string;
  /** role agent: the one-time join token for the first start (`--join-token`, DAXFLEET_JOIN_TOKEN) */
  joinToken?: string;
  /** roles agent and all: the URL the hub reaches this agent at, when not its listen URL */
  advertiseUrl?: string;
  /** serve https (`--tls-cert`, `--tls-key`) */
  tls?: TlsFiles;
  /** the hub revoked the agent's credential: the agent has stopped (role agent: the CLI exits 1) */
  onAgentRevoked?: (err: AgentRevokedError) => void;
}


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

  // role agent: enrolled before anything listens (no credential and no join token: NotEnrolledError)
  let credential: AgentCredentialFile | undefined;
  let enrolledNow = false;
  if (opts.role === 'agent' && hostId) {
    ({ credential, enrolled: enrolledNow } = await ensureEnrolled({
      dataDir, hubUrl: opts.hubUrl as string, hostId, hostname: opts.hostname, joinToken: opts.joinToken,
    }));
    if (credential.host_id !== hostId) {
      throw new Error(`${path.join(dataDir, 'agent-credential.json')} is the credential of host ${credential.host_id}, ` +
        `not ${hostId}: start with --host-id ${credential.host_id}, or use another --data-dir and a new join token`);
    }
  }
  // the file is read again for every report and command: `daxfleet agent rotate-credential` takes effect at once
  const currentCredential = (): AgentCredentialFile | undefined => {
    try {
      credential = readCredential(dataDir) ?? credential;
    } catch {
      // a damaged file: keep the one in memory
    }
    return credential;
  };
  let agent: Agent | undefined;
  const agentCommands: AgentCommandTarget | undefined = runsAgent ? {
    commandKey: () => currentCredential()?.command_key,
    sysfsRoot: path.resolve(opts.sysfsRoot),
    // rescan, and the report right after a scrub started (command-routes.ts wrote nfit/scrub)
    run: async (command) => {
      if (command.type === 'rescan' || command.type === 'scrub') await agent?.rescanNow();
    },
  } : undefined;

  const server = await buildServer({
    config, logger: { level: opts.logLevel },
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(agentCommands ? { agentCommands } : {}),
  });
  if (enrolledNow) server.log.info({ hostId, hubUrl: opts.hubUrl }, 'enrolled with the hub; credential stored in the data folder');
  try {
    await server.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await server.close(); // disconnects the database before the error reaches the user
    throw err;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `${opts.tls ? 'https' : 'http'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

  if (opts.role === 'all' && hostId) {
    try {
      await enrollLocalAgent(server, dataDir, hostId, url, currentCredential());
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  // where the hub sends signed commands: a wildcard listen address (0.0.0.0, ::) is no address the hub can use
  const wildcard = ['0.0.0.0', '::', '[::]', ''].includes(opts.host);
  const agentUrl = opts.advertiseUrl ?? (wildcard ? undefined : url);
  if (runsAgent && opts.role === 'agent' && agentUrl === undefined) {
    server.log.warn(`listening on all addresses (${opts.host}): pass --advertise-url URL so the hub can send this ` +
      'agent signed commands (rescan); until then the hub answers them with DAXFLEET_ERR_HOST_NO_AGENT_URL');
  }

  let watcher: MediaWatcher | undefined;
  let recovery: RecoveryExecutor | undefined;
  if (runsAgent && hostId) {
    const agentLog = server.log.child({ component: 'agent' });
    const sysfsRoot = path.resolve(opts.sysfsRoot);
    const journal = MediaJournal.open(dataDir, agentLog);
    const media = new MediaWatcher({
      pollMs: opts.badblocksPollMs ?? 250,
      onChange: (by) => agent?.wake(by),
      log: agentLog,
      // kernel notifications exist only on the live sysfs (a recorded tree is plain files)
      ...(sysfsRoot === '/sys' ? { watch: watchSysfsAttributes } : {}),
    });
    watcher = media;
    const agentCredential = (): string => currentCredential()?.agent_credential ?? '';
    const send: ReportSender = opts.role === 'all' ? inProcessSender(server, agentCredential)
      : httpSender(opts.hubUrl as string, agentCredential);
    // the files under bad ranges (only on the live /sys: a recorded tree's filesystems are not mounted here)
    const rangeFiles = new RangeFileMapper({ sysfsRoot, map: mapDeviceRange, log: agentLog });
    agent = new Agent({
      hostId,
      hostname: opts.hostname,
      version: VERSION,
      intervalMs: opts.intervalMs,
      // live SMART health exists only for the live kernel; a recorded tree is scanned as recorded
      scan: () => scanInventory({ sysfsRoot, health: sysfsRoot === '/sys' }),
      send,
      journal,
      onScanned: (inventory) => media.setPaths(mediaAttributePaths(inventory, sysfsRoot)),
      rangeFiles,
      log: agentLog,
      target: opts.role === 'all' ? 'the local hub' : (opts.hubUrl as string),
      ...(agentUrl !== undefined ? { agentUrl } : {}),
      onRevoked: (err) => {
        // the next start must enroll again (with a new join token) instead of failing the same way
        if (opts.role === 'agent') setRevokedCredentialAside(dataDir);
        opts.onAgentRevoked?.(err);
      },
    });
    agent.start();

    // recovery changes files and devices: only on the live kernel, never on a recorded tree
    if (sysfsRoot === '/sys' && agentCommands) {
      const post = opts.role === 'all' ? hubPoster({ hub: server }, agentCredential)
        : hubPoster({ hubUrl: opts.hubUrl as string }, agentCredential);
      // recoveries and DAX changes never run at the same time (a DAX change may take the device a recovery writes to)
      const changeLock = new HostChangeLock();
      recovery = new RecoveryExecutor({
        hostId,
        changeLock,
        host: {
          sysfsRoot, procRoot: '/proc', map: mapDeviceRange, deviceInUse,
          scan: () => scanInventory({ sysfsRoot, health: false }),
        },
        native: { punchHole, writeZeros, clearErrorsOnBus },
        dataDir,
        send: recoveryProgressSender(post),
        // the recovery changed the files on the range: the report after it carries them mapped again
        rescan: async () => {
          rangeFiles.invalidate();
          await agent?.rescanNow();
        },
        log: agentLog.child({ component: 'recovery' }),
      });
      recovery.resume();
      agentCommands.recovery = recovery;
      // DAX changes: the device kinds through libndctl/libdaxctl, the policy and inspection through agent/fsdax
      agentCommands.daxChanges = createDaxChangeService({
        device: {
          host: liveDeviceHost(() => scanInventory({ sysfsRoot, health: false })),
          native: { createNamespace, reconfigureNamespace, destroyNamespace, reconfigureDaxDevice, onlineDaxMemory, offlineDaxMemory },
        },
        fsdax: { policy: fsDaxPolicyHandler, inspect: inspectFsDax },
        // the namespaces and devices changed: the hub's inventory shows it at once (and the files under bad ranges are mapped again)
        rescan: async () => {
          rangeFiles.invalidate();
          await agent?.rescanNow();
        },
        log: agentLog.child({ component: 'dax' }),
        dataDir,
        changeLock,
      });
    }
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      watcher?.close();
      await recovery?.close();
      await agent?.stop();
      await server.close();
    })();
    return closing;
  };
  return { server, agent, url, close };
}

/**
 * Role all: the local agent's credential comes from the service directly (no join token for the hub's own host).
 * A stored one is kept while this hub still accepts it; otherwise (first start, revoked, another database) the
 * hub issues a new one.
 */
async function enrollLocalAgent(server: FastifyInstance, dataDir: string, hostId: string, url: string,
  stored: AgentCredentialFile | undefined): Promise<void> {
  if (stored !== undefined && stored.host_id === hostId) {
    const check = await verifyAgentCredential(server.prisma, stored.agent_credential);
    if (check.ok && check.hostId === hostId) return;
  }
  const issued = await issueAgentCredential(server.prisma, hostId);
  writeCredential(dataDir, { host_id: hostId, hub_url: url, agent_credential: issued.agent_credential, command_key: issued.command_key });
  server.log.info({ hostId }, 'local agent enrolled with this hub');
}

/** Exit cleanly on the first SIGTERM/SIGINT (see closeGracefullyOnSignals). */
export function closeOnSignals(running: RunningDaxfleet): void {
  closeGracefullyOnSignals(running.server.log, () => running.close());
}

export function defaultHostname(): string {
  return os.hostname();
}
