/**
 * Guest side of recovery.lab.test.ts, shared by the QEMU and the nfit_test drivers: the agent's recovery code as
 * the agent wires it (planRecovery through a RecoveryExecutor over the live /sys and /proc, the native calls of
 * @daxfleet/dax-native), and the independent oracles (sysfs read directly, filefrag / xfs_bmap, sha256 of what
 * a plain read returns). Runs under the host's node, which the guest shares with its root filesystem; the
 * repository is mounted at the same path, so the imports below resolve to the host's built dist/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, realpathSync } from 'node:fs';

const { RecoveryExecutor } = await import('../dist/agent/recovery/execute.js');
const native = await import('@daxfleet/dax-native');
// load the addon now, as the agent does at its first scan: the run then keeps the one it loaded, and a missing
// build fails here, with the paths tried, rather than as a failed step in the middle
if (!native.isAvailable()) throw native.loadError();

export { native };

/** Runs a command, answers its stdout; stderr goes to the console. */
export function sh(cmd, ...args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * Plans `request` (with `plan`) while another process holds `path` open (a sleep with it as its stdin), then ends
 * that process: the plan made while it was held, and the holder's pid.
 */
export async function planWhileOpen(plan, request, path) {
  const fd = openSync(path, 'r');
  const child = spawn('sleep', ['600'], { stdio: [fd, 'ignore', 'ignore'] });
  closeSync(fd);
  await new Promise((resolve) => child.once('spawn', resolve));
  const held = await plan(request);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return { pid: child.pid, held };
}

/** A file's content read with plain read(2) (through DAX on a dax mount), or the errno code it fails with. */
export function readWhole(path) {
  try {
    return { buf: readFileSync(path) };
  } catch (err) {
    return { error: err.code ?? String(err) };
  }
}

/** regionN/badblocks or /sys/block/pmemX/badblocks as [{ offset, length }] (512 B sectors). */
export function badblocksAt(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [offset, length] = l.trim().split(/\s+/).map(Number);
    return { offset, length };
  });
}

export function hexAttr(path) {
  return Number.parseInt(readFileSync(path, 'utf8').trim(), 16);
}

/**
 * Independent placement of a block device's sector in its region: the device is a namespace (raw) or a pfn
 * device (fsdax) under regionN; its first byte is that device's `resource`, the region's first byte the region's.
 */
export function regionOffsetOfBlockdevSector(blockdev, sector) {
  const dev = realpathSync(`/sys/block/${blockdev}/device`);
  const regionDir = dev.replace(/\/[^/]+$/, '');
  const region = regionDir.split('/').pop();
  const byte = hexAttr(`${dev}/resource`) + sector * 512 - hexAttr(`${regionDir}/resource`);
  return { region, region_offset: byte / 512 };
}

/** Wall-clock milliseconds of each phase of a driver, for the figures in the test's output. */
export function phases() {
  const timings = {};
  let last = Date.now();
  return {
    timings,
    mark(name) {
      const now = Date.now();
      timings[name] = now - last;
      last = now;
    },
  };
}

/** Console logger with the shape the agent's code logs through (fastify's pino): warnings and errors only. */
function makeLog() {
  const log = {
    level: 'warn',
    fatal: (...a) => console.error('[fatal]', ...a.map(fmt)),
    error: (...a) => console.error('[error]', ...a.map(fmt)),
    warn: (...a) => console.error('[warn]', ...a.map(fmt)),
    info: () => {}, debug: () => {}, trace: () => {}, silent: () => {},
    child: () => log,
  };
  return log;
}
function fmt(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The agent's recovery executor on this guest: RecoveryHost over '/sys' and '/proc' with scanInventory,
 * mapDeviceRange and deviceInUse; the native calls punchHole, writeZeros, clearErrorsOnBus; progress reports
 * collected in memory (the hub's side is tested elsewhere); no rescan.
 */
export function makeExecutor() {
  const reports = [];
  const host = {
    sysfsRoot: '/sys',
    procRoot: '/proc',
    scan: () => native.scanInventory({ sysfsRoot: '/sys', health: false }),
    map: native.mapDeviceRange,
    deviceInUse: native.deviceInUse,
  };
  const executor = new RecoveryExecutor({
    hostId: 'labtest',
    host,
    native: { punchHole: native.punchHole, writeZeros: native.writeZeros, clearErrorsOnBus: native.clearErrorsOnBus },
    dataDir: mkdtempSync('/tmp/daxfleet-recovery-'),
    send: async (report) => {
      reports.push(structuredClone(report));
      return { plan_id: report.plan_id, seq: report.seq };
    },
    rescan: async () => {},
    log: makeLog(),
    scrubPollMs: 250,
  });
  let n = 0;

  /** Plans (dry run) the request. */
  const plan = (request) => executor.plan(request);

  /**
   * Executes a reviewed plan the way the hub's command does, waits for the run to finish, and answers the
   * command's ack plus the run's reports (the last one is final). `between` runs after planning, before executing.
   */
  async function execute(request, reviewed) {
    n++;
    const planId = `labplan${n}`;
    const ack = await executor.execute({
      type: 'recovery-execute', id: `labcmd${n}`, plan_id: planId, request, digest: reviewed.digest, executed_by: 'labtest',
    });
    await executor.idle();
    const mine = reports.filter((r) => r.plan_id === planId);
    const final = mine.at(-1);
    return {
      ack,
      final,
      statuses: mine.map((r) => r.status),
      seqs: mine.map((r) => r.seq),
      /** every progress the run reported, without the step descriptions */
      progress: mine.map((r) => r.execution.progress).filter((p) => p !== undefined)
        .map(({ step, op, done, total, unit }) => ({ step, op, done, total, unit })),
    };
  }

  return { executor, plan, execute, close: () => executor.close() };
}
