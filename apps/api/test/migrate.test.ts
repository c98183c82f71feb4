/** The hub's own migration runner: fresh files, restarts, tampering, and agreement with `prisma migrate deploy`. */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { applyMigrations, listMigrations } from '../src/db/migrate.js';
import { tempDir } from './helpers.js';

const API_DIR = fileURLToPath(new URL('..', import.meta.url));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

describe('applyMigrations', () => {
  it('creates a fresh database in a new folder, in WAL mode, with every migration', () => {
    const file = path.join(tmp(), 'nested/dir/daxfleet.db');
    const outcome = applyMigrations(file, DEFAULT_MIGRATIONS_DIR);
    expect(outcome.applied).toEqual(listMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => m.name));
    expect(outcome.applied.length).toBeGreaterThan(0);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['_prisma_migrations', 'hosts', 'inventory_versions']));
    db.close();
  });

  it('applies nothing on restart', () => {
    const file = path.join(tmp(), 'daxfleet.db');
    applyMigrations(file, DEFAULT_MIGRATIONS_DIR);
    expect(applyMigrations(file, DEFAULT_MIGRATIONS_DIR)).toEqual({ applied: [], unknown: [] });
  });

  it('applies only the new migration of an upgrade', () => {
    const dir = tmp();
    const migrations = path.join(dir, 'migrations');
    cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
    const file = path.join(dir, 'daxfleet.db');
    applyMigrations(file, migrations);
    // a later migration that adds a table
    mkdirSync(path.join(migrations, '29990101000000_later'));
    writeFileSync(path.join(migrations, '29990101000000_later/migration.sql'),
      'CREATE TABLE "later" ("id" INTEGER NOT NULL PRIMARY KEY);\n');
    expect(applyMigrations(file, migrations).applied).toEqual(['29990101000000_later']);
  });

  it('refuses a migration edited after it was applied', () => {
    const dir = tmp();
    const migrations = path.join(dir, 'migrations');
    cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
    const file = path.join(dir, 'daxfleet.db');
    applyMigrations(file, migrations);
    const first = listMigrations(migrations)[0]!.name;
    appendFileSync(path.join(migrations, first, 'migration.sql'), '\n-- edited\n');
    expect(() => applyMigrations(file, migrations)).toThrow(`migration ${first} was modified after it was applied`);
  });

  it('leaves the database as prisma migrate deploy would: the Prisma CLI sees nothing pending', () => {
    const file = path.join(tmp(), 'daxfleet.db');
    applyMigrations(file, DEFAULT_MIGRATIONS_DIR);
    const out = execFileSync(path.join(API_DIR, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
      cwd: API_DIR, env: { ...process.env, DATABASE_URL: `file:${file}` }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('No pending migrations to apply');
  });
});
