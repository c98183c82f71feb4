/**
 * What the recovery calls cost on this host, on a loop device over a temporary image (root, losetup) and a
 * temporary file; nothing else is touched:
 *
 *   node dist/bench/recover.bench.js [--mib N] [--runs N]
 *
 * writeZeros of the whole device (throughput) and of one 512 B sector (what clearing one bad sector costs),
 * deviceInUse, and punchHole of 4 KiB (fallocate + fsync). A loop device is not pmem: the figures bound the
 * addon's own overhead (worker hop, O_DIRECT|O_SYNC writes, per-call open/close), not a pmem driver's speed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceInUse, punchHole, writeZeros } from '../files/recover.js';

function parseArgs(argv: string[]): { mib: number; runs: number } {
  let mib = 256;
  let runs = 500;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') continue; // pnpm run passes its separator through
    if (argv[i] === '--mib') mib = Number(argv[++i]);
    else if (argv[i] === '--runs') runs = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(mib) || mib < 2 || !Number.isInteger(runs) || runs < 1) throw new Error('--mib >= 2 and --runs >= 1, integers');
  return { mib, runs };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function timed(runs: number, call: (i: number) => Promise<unknown>): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await call(i);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return `p50 ${quantile(times, 0.5).toFixed(0)} µs p99 ${quantile(times, 0.99).toFixed(0)} µs (${runs} calls)`;
}

const { mib, runs } = parseArgs(process.argv.slice(2));
if (process.getuid?.() !== 0) throw new Error('needs root (loop devices)');
const work = mkdtempSync('/var/tmp/dax-recover-bench-');
let loop: string | undefined;
try {
  const image = join(work, 'device.img');
  writeFileSync(image, '');
  execFileSync('truncate', ['-s', `${mib}M`, image]);
  loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  const bytes = mib << 20;

  await writeZeros(loop, 0, bytes); // warm-up: allocates the image's blocks
  const passes = 3;
  const start = process.hrtime.bigint();
  for (let i = 0; i < passes; i++) {
    const r = await writeZeros(loop, 0, bytes);
    if (r.written !== bytes || r.failed.length > 0) throw new Error(`writeZeros wrote ${r.written} of ${bytes}`);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`writeZeros ${mib} MiB on ${loop}: ${((mib * passes) / seconds).toFixed(0)} MiB/s (${passes} passes, O_DIRECT|O_SYNC, 1 MiB chunks)`);

  const sectors = bytes / 512;
  console.log(`writeZeros 512 B: ${await timed(runs, (i) => writeZeros(loop!, ((i * 7919) % sectors) * 512, 512))}`);
  console.log(`deviceInUse: ${await timed(runs, () => deviceInUse(loop!))}`);

  const file = join(work, 'file');
  writeFileSync(file, Buffer.alloc(runs * 8192, 1));
  console.log(`punchHole 4 KiB (+ fsync) on ${work}: ${await timed(runs, (i) => punchHole(file, i * 8192, 4096))}`);
} finally {
  if (loop !== undefined) execFileSync('losetup', ['-d', loop]);
  rmSync(work, { recursive: true, force: true });
}
