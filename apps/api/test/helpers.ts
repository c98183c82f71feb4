/** Shared test setup: a hub on a real SQLite file in a temp dir, recorded kernels from lab/fixtures. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, Inventory } from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_MIGRATIONS_DIR, type AppConfig } from '../src/config.js';
import { buildServer } from '../src/server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const FIXTURES_DIR = path.join(REPO_ROOT, 'lab/fixtures');
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function tempDir(prefix = 'daxfleet-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestHub {
  server: FastifyInstance;
  databaseFile: string;
  close(): Promise<void>;
}

export async function startTestHub(over: Partial<AppConfig> = {}): Promise<TestHub> {
  const tmp = tempDir();
  const databaseFile = path.join(tmp.dir, 'daxfleet.db');
  const server = await buildServer({
    config: {
      role: 'hub',
      version: '0.0.0-test',
      databaseFile,
      migrationsDir: DEFAULT_MIGRATIONS_DIR,
      webDist: path.join(tmp.dir, 'no-web-dist'),
      ...over,
    },
  });
  return {
    server,
    databaseFile,
    close: async () => {
      await server.close();
      tmp.remove();
    },
  };
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
