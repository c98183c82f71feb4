/**
 * Applies pending migrations from prisma/migrations at hub startup, so a fresh data folder or an upgraded hub
 * needs no manual step. It does what `prisma migrate deploy` does for SQLite, in-process and without the Prisma
 * CLI: the same `_prisma_migrations` table, the same checksum (sha256 of migration.sql), so either tool can take
 * over from the other. Refuses to start on a migration that failed earlier or was edited after being applied.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The table exactly as Prisma's schema engine creates it for SQLite. */
const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface MigrationOutcome {
  applied: string[];
  /** applied in the database but absent here: the database is newer than this program */
  unknown: string[];
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  rolled_back_at: string | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function prismaTimestamp(): string {
  return new Date().toISOString().replace('Z', '+00:00');
}

export function listMigrations(migrationsDir: string): Array<{ name: string; sql: string; checksum: string }> {
  if (!existsSync(migrationsDir)) throw new MigrationError(`migrations folder not found: ${migrationsDir}`);
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Creates the database file (and its folder) if needed, switches it to WAL, applies pending migrations. */
export function applyMigrations(databaseFile: string, migrationsDir: string): MigrationOutcome {
  const migrations = listMigrations(migrationsDir);
  mkdirSync(path.dirname(databaseFile), { recursive: true });
  const db = new Database(databaseFile, { timeout: 10_000 });
  try {
    // WAL is a property of the file: set once here, every later connection (Prisma's included) uses it.
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS_TABLE_DDL);
    const run = db.transaction((): MigrationOutcome => {
      const rows = db.prepare(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
      ).all() as MigrationRow[];
      const live = rows.filter((r) => r.rolled_back_at === null);
      const failed = live.find((r) => r.finished_at === null);
      if (failed) {
        throw new MigrationError(`migration ${failed.migration_name} failed earlier in ${databaseFile}; ` +
          'fix the database and mark it rolled back (prisma migrate resolve) before starting the hub');
      }
      const done = new Map(live.map((r) => [r.migration_name, r.checksum]));
      const applied: string[] = [];
      for (const m of migrations) {
        const checksum = done.get(m.name);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) {
            throw new MigrationError(`migration ${m.name} was modified after it was applied to ${databaseFile}`);
          }
          continue;
        }
        const id = randomUUID();
        db.prepare('INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) ' +
          'VALUES (?, ?, ?, ?, 0)').run(id, m.checksum, m.name, prismaTimestamp());
        db.exec(m.sql);
        db.prepare('UPDATE _prisma_migrations SET finished_at = ?, applied_steps_count = 1 WHERE id = ?')
          .run(prismaTimestamp(), id);
        applied.push(m.name);
      }
      const known = new Set(migrations.map((m) => m.name));
      return { applied, unknown: [...done.keys()].filter((n) => !known.has(n)) };
    });
    // IMMEDIATE: two hubs starting on one file take turns instead of both applying the same migration.
    return run.immediate();
  } finally {
    db.close();
  }
}
