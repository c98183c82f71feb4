// Prisma CLI configuration (Prisma 6.19 engine-free path: no schema/query engine binary to download).
// It lives in apps/api because the CLI runs from here (`pnpm --filter @daxfleet/api build`) and the adapter
// package resolves from apps/api/node_modules. DATABASE_URL: "file:/abs/path/daxfleet.db".
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

const repoRoot = path.resolve(import.meta.dirname, '../..');

// `prisma generate` needs no database, but without DATABASE_URL it cannot evaluate the schema and falls back to
// downloading a query engine (which fails offline). An in-memory database serves generate and migrate diff;
// set DATABASE_URL for migrate deploy.
process.env.DATABASE_URL ??= 'file::memory:';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(repoRoot, 'prisma/schema.prisma'),
  migrations: { path: path.join(repoRoot, 'prisma/migrations') },
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL as string });
  },
});
