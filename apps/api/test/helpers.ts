/** Shared test setup: a hub on a real SQLite file in a temp dir, recorded kernels from lab/fixtures. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, Inventory, Role } from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_MIGRATIONS_DIR, type AppConfig } from '../src/config.js';
import { buildServer, type BuildServerOptions } from '../src/server.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { createApiToken } from '../src/services/api-tokens.js';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const FIXTURES_DIR = path.join(REPO_ROOT, 'lab/fixtures');
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function tempDir(prefix = 'daxfleet-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** the first admin of every test hub: user `admin` with this password (no change required) */
export const TEST_ADMIN_USERNAME = 'admin';
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

export interface TestHub {
  server: FastifyInstance;
  databaseFile: string;
  /** a dxf_tok_ API token with scope admin */
  adminToken: string;
  /** a new dxf_tok_ API token with this scope (and optional expiry: a past date makes an expired one) */
  tokenFor(scope: Role, expiresAt?: Date): Promise<string>;
  close(): Promise<void>;
}

/** Runs `fn` with environment variables set (undefined: unset), restoring them after. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

export async function startTestHub(over: Partial<AppConfig> = {}, extra: Pick<BuildServerOptions, 'agentCommands'> = {}): Promise<TestHub> {
  const tmp = tempDir();
  const databaseFile = path.join(tmp.dir, 'daxfleet.db');
  const server = await withEnv({ DAXFLEET_ADMIN_USERNAME: TEST_ADMIN_USERNAME, DAXFLEET_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
    () => buildServer({
      config: {
        role: 'hub',
        version: '0.0.0-test',
        databaseFile,
        migrationsDir: DEFAULT_MIGRATIONS_DIR,
        webDist: path.join(tmp.dir, 'no-web-dist'),
        ...over,
      },
      ...extra,
    }));
  const tokenFor = async (scope: Role, expiresAt?: Date): Promise<string> => (await createApiToken(server.prisma, {
    name: `test-${scope}`, scope, createdBy: TEST_ADMIN_USERNAME, ...(expiresAt ? { expiresAt } : {}),
  })).token;
  return {
    server,
    databaseFile,
    adminToken: await tokenFor('admin'),
    tokenFor,
    close: async () => {
      await server.close();
      tmp.remove();
    },
  };
}

/** Issues (or re-issues) the agent credential of `hostId` through the service, as enrollment would. */
export async function agentCredentialFor(hub: Pick<TestHub, 'server'>, hostId: string): Promise<string> {
  return (await issueAgentCredential(hub.server.prisma, hostId)).agent_credential;
}

/** The Authorization header of a bearer token or agent credential */
export function authed(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Logs in through the API; returns the `daxfleet_session=…` cookie pair for a `cookie` header. */
export async function loginCookie(hub: Pick<TestHub, 'server'>, username = TEST_ADMIN_USERNAME, password = TEST_ADMIN_PASSWORD): Promise<string> {
  const res = await hub.server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login as ${username}: HTTP ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  const pair = setCookie.split(';')[0];
  if (!pair?.startsWith('daxfleet_session=')) throw new Error(`login as ${username}: no session cookie in ${setCookie}`);
  return pair;
}

export function fixtureSysfs(name: string): string {
  return path.join(FIXTURES_DIR, name, 'sys');
}

export async function fixtureInventory(name: string): Promise<Inventory> {
  return scanInventory({ sysfsRoot: fixtureSysfs(name), health: false });
}

export function reportOf(inventory: Inventory, over: Partial<AgentReport> = {}): AgentReport {
  return {
    host_id: 'host-a',
    hostname: 'pmem-a',
    agent_version: '0.0.0-test',
    scanned_at: new Date().toISOString(),
    interval_ms: 10_000,
    inventory,
    ...over,
  };
}
