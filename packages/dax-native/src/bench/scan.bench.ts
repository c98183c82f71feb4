/**
 * Warm scan time per host: scanInventory() over each recorded lab kernel (and the live /sys), timed
 * after a warm-up, with the process's resident memory afterwards.
 *
 *   pnpm --filter @daxfleet/dax-native bench                 # every lab/fixtures/* tree, then /sys
 *   node dist/bench/scan.bench.js [--scans N] [ROOT ...]     # chosen sysfs roots
 *
 * Each tree is timed twice: as the agent scans it, and with `idle` (also the unconfigured seed
 * namespaces, as `ndctl list -i` shows them).
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '../sysfs/scan.js';
import { toNdctlList } from '../ndctl/ndctl-list.js';
import { stringifyNdctl } from '../ndctl/json-c.js';

const FIXTURES = fileURLToPath(new URL('../../../../lab/fixtures/', import.meta.url));
const WARMUP = 300;

function parseArgs(argv: string[]): { scans: number; roots: { name: string; root: string }[] } {
  let scans = 2000;
  const roots: { name: string; root: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--scans') scans = Number(argv[++i]);
    else roots.push({ name: arg, root: arg });
  }
  if (roots.length === 0) {
    const names = existsSync(FIXTURES) ? readdirSync(FIXTURES).sort() : [];
    for (const name of names) if (existsSync(`${FIXTURES}${name}/sys`)) roots.push({ name, root: `${FIXTURES}${name}/sys` });
    roots.push({ name: 'host /sys', root: '/sys' });
  }
  if (!Number.isInteger(scans) || scans < 1) throw new Error('--scans needs a positive integer');
  return { scans, roots };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const ms = (ns: number): string => (ns / 1e6).toFixed(3);

async function benchRoot(name: string, root: string, scans: number, idle: boolean): Promise<void> {
  const options = { sysfsRoot: root, health: false, idle };
  const first = await scanInventory(options);
  const namespaces = first.buses.reduce((n, b) => n + b.regions.reduce((m, r) => m + r.namespaces.length, 0), 0);
  const dimms = first.buses.reduce((n, b) => n + b.dimms.length, 0);
  for (let i = 0; i < WARMUP; i++) await scanInventory(options);

  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < scans; i++) {
    const start = process.hrtime.bigint();
    await scanInventory(options);
    times.push(Number(process.hrtime.bigint() - start));
  }
  // CPU time (user + system) per scan: what a scan costs, apart from waiting on a busy machine
  const cpu = process.cpuUsage(cpuBefore);
  const cpuNsPerScan = ((cpu.user + cpu.system) * 1000) / scans;
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, t) => s + t, 0) / times.length;

  const formatStart = process.hrtime.bigint();
  for (let i = 0; i < scans; i++) stringifyNdctl(toNdctlList(first, { idle }));
  const formatNs = Number(process.hrtime.bigint() - formatStart) / scans;

  const rssMiB = process.memoryUsage().rss / (1024 * 1024);
  console.log(
    `scan ${name}${idle ? ' --idle' : ''} (${dimms} DIMMs, ${namespaces} namespaces): p50 ${ms(quantile(times, 0.5))} ms p99 ${ms(quantile(times, 0.99))} ms ` +
      `mean ${ms(mean)} ms (${scans} scans); cpu ${ms(cpuNsPerScan)} ms/scan; ndctl text ${ms(formatNs)} ms; rss ${rssMiB.toFixed(1)} MiB`,
  );
}

const { scans, roots } = parseArgs(process.argv.slice(2));
for (const { name, root } of roots) {
  await benchRoot(name, root, scans, false);
  if (root !== '/sys') await benchRoot(name, root, scans, true);
}
