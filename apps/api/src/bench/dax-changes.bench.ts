/**
 * DAX change figures of the hub: `pnpm --filter @daxfleet/api bench:dax` (after a build). Prints the fleet capacity
 * route over HOSTS hosts (default 2000; it parses every host's current inventory), the change list over CHANGES
 * stored changes (default 5000: first page and paging to the end), and one fs-dax-policy change planned and executed
 * through the hub (role all: the in-process agent's real dispatcher) on a temp tree of FILES files (default 2000)
 * under this machine's temp dir (only that tree's flags change).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, DaxChange, DaxChangeList, Inventory } from '@daxfleet/shared';
import { createDaxChangeService } from '../agent/dax/index.js';
import { fsDaxPolicyHandler, inspectFsDax, readDaxFilesystems } from '../agent/fsdax/index.js';
import { DEFAULT_MIGRATIONS_DIR } from '../config.js';
import { buildServer } from '../server.js';
import { issueAgentCredential } from '../services/agent-credentials.js';
import { createApiToken } from '../services/api-tokens.js';
import { expireDueChanges, newChangeId } from '../services/dax-changes.js';
import { ingestReport } from '../services/ingest.js';

const HOSTS = Number(process.env['HOSTS'] ?? 2000);
const CHANGES = Number(process.env['CHANGES'] ?? 5000);
const FILES = Number(process.env['FILES'] ?? 2000);
const FIXTURE = fileURLToPath(new URL('../../../../lab/fixtures/two-dimm-all-modes', import.meta.url));

function report(inventory: Inventory, hostId: string): AgentReport {
  return { host_id: hostId, hostname: hostId, agent_version: 'bench', scanned_at: new Date().toISOString(), interval_ms: 10_000, inventory };
}

async function timed<T>(label: string, count: number, unit: string, fn: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const value = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(60)} ${String(count).padStart(6)} ${unit.padEnd(8)} ${ms.toFixed(0).padStart(7)} ms ` +
    `${(ms / count).toFixed(2).padStart(9)} ms each`);
  return value;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'daxfleet-bench-dax-'));
  const sysfsRoot = path.join(FIXTURE, 'sys');
  const inventory: Inventory = {
    ...(await scanInventory({ sysfsRoot, health: false })),
    filesystems: await readDaxFilesystems({ mountinfo: path.join(FIXTURE, 'mounts.txt'), sysfsRoot }),
  };
  console.log(`fixture two-dimm-all-modes: ${JSON.stringify(inventory).length} bytes of inventory JSON; ${HOSTS} hosts, ` +
    `${CHANGES} changes, ${FILES} files; node ${process.version}`);
  let commandKey: string | undefined;
  const daxChanges = createDaxChangeService({ fsdax: { policy: fsDaxPolicyHandler, inspect: inspectFsDax } });
  const server = await buildServer({
    config: {
      role: 'all', localHostId: 'host-0', version: 'bench', databaseFile: path.join(dir, 'daxfleet.db'),
      migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: dir,
    },
    agentCommands: { commandKey: () => commandKey, run: async () => {}, daxChanges },
  });
  try {
    const prisma = server.prisma;
    for (let i = 0; i < HOSTS; i++) await ingestReport(prisma, report(inventory, `host-${i}`));
    commandKey = (await issueAgentCredential(prisma, 'host-0')).command_key;
    const viewer = (await createApiToken(prisma, { name: 'bench-viewer', scope: 'viewer', createdBy: 'bench' })).token;
    const operator = (await createApiToken(prisma, { name: 'bench-operator', scope: 'operator', createdBy: 'bench' })).token;
    const get = async <T>(url: string, token = viewer): Promise<T> => {
      const res = await server.inject({ url, headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.body}`);
      return res.json<T>();
    };

    const runs = 5;
    await timed(`GET /api/v1/fleet/capacity (${HOSTS} hosts)`, runs, 'requests', async () => {
      for (let i = 0; i < runs; i++) await get('/api/v1/fleet/capacity');
    });

    // stored changes as the planner leaves them: spread over the hosts, one plan each
    const plan = JSON.stringify({
      kind: 'fs-dax-policy', request: { kind: 'fs-dax-policy', path: '/mnt/fsdax-mem/db', dax: true, existing: 'none' },
      steps: [], data_loss: [], checks: [], executable: true, digest: '0'.repeat(64), planned_at: new Date().toISOString(),
    });
    const base = Date.now() - CHANGES * 1000;
    await prisma.daxChange.createMany({
      data: Array.from({ length: CHANGES }, (_, i) => ({
        id: newChangeId(), hostId: `host-${i % HOSTS}`, kind: 'fs-dax-policy', status: i % 3 === 0 ? 'verified' : 'planned',
        createdAt: new Date(base + i * 1000), createdBy: 'token:bench', expiresAt: new Date(base + i * 1000 + 600_000),
        plan, updatedAt: new Date(base + i * 1000),
      })),
    });
    await timed(`GET /api/v1/dax/changes first page of 50 (${CHANGES} stored)`, runs, 'requests', async () => {
      for (let i = 0; i < runs; i++) await get('/api/v1/dax/changes');
    });
    await timed(`GET /api/v1/dax/changes?status=expired first page (${CHANGES})`, runs, 'requests', async () => {
      for (let i = 0; i < runs; i++) await get('/api/v1/dax/changes?status=expired');
    });
    const pages = await timed(`GET /api/v1/dax/changes pages of 500 to the end (${CHANGES})`, Math.ceil(CHANGES / 500), 'pages', async () => {
      let before: string | undefined;
      let n = 0;
      do {
        const page: DaxChangeList = await get(`/api/v1/dax/changes?limit=500${before !== undefined ? `&before=${before}` : ''}`);
        before = page.next_before;
        n++;
      } while (before !== undefined);
      return n;
    });
    if (pages !== Math.ceil(CHANGES / 500)) throw new Error(`paged ${pages} pages, expected ${Math.ceil(CHANGES / 500)}`);
    // most stored planned changes are past their expiry: the hub's sweeper marks them expired one transaction each,
    // on the event loop every request shares (better-sqlite3 is synchronous). Swept here, as a figure of its own, so
    // the plan figures below are not the sweep's (a first round measured a 131 s plan while the sweep ran under load)
    const due = await prisma.daxChange.count({ where: { status: 'planned', expiresAt: { lte: new Date() } } });
    const swept = await timed(`expiry sweep (${due} planned changes past their expiry)`, Math.max(due, 1), 'changes', () => expireDueChanges(server));
    console.log(`swept: ${swept} expired now (the hub's own sweeper may have taken the others)`);

    // a tree of FILES files in directories of 100
    const root = path.join(dir, 'tree');
    for (let i = 0; i < FILES; i++) {
      const sub = path.join(root, `d${Math.floor(i / 100)}`);
      if (i % 100 === 0) mkdirSync(sub, { recursive: true });
      writeFileSync(path.join(sub, `f${i}.dat`), '');
    }
    const planThroughHub = async (): Promise<DaxChange> => {
      const res = await server.inject({
        method: 'POST', url: '/api/v1/hosts/host-0/dax/changes', headers: { authorization: `Bearer ${operator}` },
        payload: { request: { kind: 'fs-dax-policy', path: root, dax: true, existing: 'all' } },
      });
      if (res.statusCode !== 201) throw new Error(res.body);
      return res.json<DaxChange>();
    };
    const direct = createDaxChangeService({ fsdax: { policy: fsDaxPolicyHandler, inspect: inspectFsDax } });
    await timed(`fs-dax-policy plan called directly (${FILES} files)`, 1, 'plans', () => direct.plan({ kind: 'fs-dax-policy', path: root, dax: true, existing: 'all' }));
    // the first request of a route compiles its response serializer (fast-json-stringify + ajv for the unions of a
    // DaxChange, ~1 s of CPU): the cold figure includes it, the warm one is what each later plan costs
    await timed(`POST /hosts/:id/dax/changes fs-dax-policy existing=all, cold (${FILES} files)`, 1, 'plans', planThroughHub);
    const change = await timed(`POST /hosts/:id/dax/changes fs-dax-policy existing=all, warm (${FILES} files)`, 1, 'plans', planThroughHub);
    if (!change.plan.executable) throw new Error(`not executable: ${change.plan.refusal ?? ''}`);
    const done = await timed(`POST /dax/changes/:id/execute (${change.plan.changes_total ?? 0} flag changes)`, 1, 'executes', async () => {
      const res = await server.inject({
        method: 'POST', url: `/api/v1/dax/changes/${change.id}/execute`, headers: { authorization: `Bearer ${operator}` },
        payload: { digest: change.plan.digest },
      });
      if (res.statusCode !== 200) throw new Error(res.body);
      return res.json<DaxChange>();
    });
    console.log(`execute: ${done.status}, ${done.result?.changed ?? 0} flags changed`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
