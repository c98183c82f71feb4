/**
 * What the app plugin needs to know, resolved once by the CLI (or a test) and decorated as `fastify.config`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Role = 'all' | 'hub' | 'agent';

export interface AppConfig {
  role: Role;
  /** this program's version (apps/api/package.json) */
  version: string;
  /** hub roles: the SQLite file (created, with its migrations applied, at startup) */
  databaseFile: string;
  /** hub roles: prisma/migrations of this checkout */
  migrationsDir: string;
  /** hub roles: the built web UI (apps/web/dist); served when it has an index.html */
  webDist: string;
  /** role all: the host id of the local agent */
  localHostId?: string;
}

// These paths hold from src/ (tests via vitest) and dist/ alike: both sit at apps/api/<dir>/.
/** the hub's SQLite file, inside its --data-dir */
export const DATABASE_FILE = 'daxfleet.db';
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export const VERSION = readVersion();
