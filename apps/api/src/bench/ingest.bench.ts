/**
 * Ingest and read figures of the hub on SQLite: `pnpm --filter @daxfleet/api bench` (after a build).
 * Prints reports per second for new hosts, unchanged reports (the steady state: one last_seen bump per host
 * per interval), changed inventories, the full HTTP route through inject, and the host list latency.
 * HOSTS=N changes the fleet size (default 2000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, Inventory } from '@daxfleet/shared';
import { DEFAULT_MIGRATIONS_DIR } from '../config.js';
import { connectPrisma } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { buildServer } from '../server.js';
import { issueAgentCredential } from '../services/agent-credentials.js';
import { createApiToken } from '../services/api-tokens.js';
import { listHosts } from '../services/hosts.js';
import { ingestReport, inventoryContentHash } from '../services/ingest.js';

const HOSTS = Number(process.env.HOSTS ?? 2000);
const FIXTURE = fileURLToPath(new URL('../../../../lab/fixtures/four-dimm-mixed/sys', import.meta.url));

function report(inventory: Inventory, hostId: string): AgentReport {
  return { host_id: hostId, hostname: hostId, agent_version: 'bench', scanned_at: new Date().toISOString(), interval_ms: 10_000, inventory };
}

async function timed(label: string, count: number, unit: string, fn: () => Promise<void>): Promise<void> {
  const start = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(52)} ${String(count).padStart(6)} ${unit.padEnd(8)} ${ms.toFixed(0).padStart(7)} ms ` +
    `${(count / (ms / 1000)).toFixed(0).padStart(7)} /s  ${(ms / count).toFixed(3)} ms each`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'daxfleet-bench-'));
  const databaseFile = path.join(dir, 'daxfleet.db');
  applyMigrations(databaseFile, DEFAULT_MIGRATIONS_DIR);
  const prisma = await connectPrisma(databaseFile);
  const inventory = await scanInventory({ sysfsRoot: FIXTURE });
  const ids = Array.from({ length: HOSTS }, (_, i) => `host-${i}`);
  console.log(`fixture four-dimm-mixed: ${JSON.stringify(inventory).length} bytes of inventory JSON; ${HOSTS} hosts; node ${process.version}`);
  try {
    await timed('canonical hash of one inventory', 1000, 'hashes', async () => {
      for (let i = 0; i < 1000; i++) inventoryContentHash(inventory);
    });
    await timed('first report of a new host (sequential)', HOSTS, 'reports', async () => {
      for (const id of ids) await ingestReport(prisma, report(inventory, id));
    });
    await timed('unchanged report, last_seen bump (sequential)', HOSTS, 'reports', async () => {
      for (const id of ids) await ingestReport(prisma, report(inventory, id));
    });
    await timed('unchanged report, 50 in flight', HOSTS, 'reports', async () => {
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(ids.slice(i, i + 50).map((id) => ingestReport(prisma, report(inventory, id))));
      }
    });
    const changed = structuredClone(inventory);
    const ns = changed.buses[0]?.regions[0]?.namespaces[0];
    if (ns) ns.badblocks = [...ns.badblocks, { offset: 4096, length: 8 }];
    const some = ids.slice(0, Math.min(500, HOSTS));
    await timed('changed inventory, new version + diff (sequential)', some.length, 'reports', async () => {
      for (const id of some) await ingestReport(prisma, report(changed, id));
    });
    const runs = 10;
    await timed(`GET host list of ${HOSTS} hosts (service)`, runs, 'lists', async () => {
      for (let i = 0; i < runs; i++) await listHosts(prisma);
    });

    const server = await buildServer({
      config: { role: 'hub', version: 'bench', databaseFile, migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: dir },
    });
    try {
      const viaHttp = ids.slice(0, Math.min(1000, HOSTS));
      // every report carries its host's own credential, as a real agent's does (verified per request)
      const credentials = new Map<string, string>();
      for (const id of viaHttp) credentials.set(id, (await issueAgentCredential(server.prisma, id)).agent_credential);
      await timed('POST /api/v1/agents/report via inject (unchanged)', viaHttp.length, 'reports', async () => {
        for (const id of viaHttp) {
          const res = await server.inject({
            method: 'POST', url: '/api/v1/agents/report', payload: report(inventory, id),
            headers: { authorization: `Bearer ${credentials.get(id) ?? ''}` },
          });
          if (res.statusCode !== 200) throw new Error(res.body);
        }
      });
      const viewer = (await createApiToken(server.prisma, { name: 'bench', scope: 'viewer', createdBy: 'bench' })).token;
      await timed(`GET /api/v1/hosts via inject (${HOSTS} hosts)`, runs, 'lists', async () => {
        for (let i = 0; i < runs; i++) {
          const res = await server.inject({ url: '/api/v1/hosts', headers: { authorization: `Bearer ${viewer}` } });
          if (res.statusCode !== 200) throw new Error(res.body);
        }
      });
    } finally {
      await server.close();
    }
  } finally {
    await prisma.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
