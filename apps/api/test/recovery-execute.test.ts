/**
 * The agent's recovery executor (agent/recovery/execute.ts) on a real filesystem: an ext4 image loop-mounted here
 * with a known file, and an inventory that names the loop device as the bad range's block device (data handed to
 * the planner, as scanInventory would give it for a pmem device: recovery-fixtures.ts). The steps really run:
 * holes are punched, files truncated and restored, and what they did is read back with e2fsprogs and node:fs.
 * Progress reports go over HTTP to a real Fastify route in this test (the hub's path and schema). The range stays
 * in the inventory's list, as it does on a pmem device whose freed blocks are not written yet, so verification
 * truthfully says still-present; the lab tests (recovery.lab.test.ts) cover ranges that really clear.
 * Needs root (mount) and the native addon: skipped with the reason otherwise.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync, chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync,
  utimesSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { clearErrorsOnBus, deviceInUse, isAvailable, loadError, punchHole, writeZeros } from '@daxfleet/dax-native';
import {
  RecoveryProgressReportSchema, type Inventory, type RecoveryAgentPlan, type RecoveryProgressReport, type RecoveryRequest,
} from '@daxfleet/shared';
import Fastify, { type FastifyInstance } from 'fastify';
import { Value } from 'typebox/value';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostChangeLock } from '../src/agent/dax/change-lock.js';
import { RecoveryExecutor } from '../src/agent/recovery/execute.js';
import { planRecovery } from '../src/agent/recovery/plan.js';
import { RecoveryJournal, RECOVERY_JOURNAL_FILE } from '../src/agent/recovery/journal.js';
import { RECOVERY_PROGRESS_PATH, recoveryProgressSender } from '../src/agent/recovery/progress.js';
import { remainingSectors, verifyRecovery } from '../src/agent/recovery/verify.js';
import { hubPoster } from '../src/agent/senders.js';
import {
  FILE_SIZE, fileBlocksOf, inodeOf, loopHost, loopInventory, makeLoopFs, recordedHost, setAttribute, type LoopFs,
} from './recovery-fixtures.js';
import { tempDir } from './helpers.js';

const silent = (() => {
  const log = {
    info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined,
    trace: () => undefined, fatal: () => undefined, child: () => log, level: 'silent', silent: () => undefined,
  };
  return log as unknown as import('fastify').FastifyBaseLogger;
})();

const root = process.getuid?.() === 0;
let skipReason: string | undefined;
let fs: LoopFs | undefined;

/** The hub's side, as a real route: validates each report against the schema, records it, can refuse. */
let hub: FastifyInstance;
let hubUrl: string;
const received: RecoveryProgressReport[] = [];
let refuseNext = 0;
/** the test's hook on each report the hub route received */
let onReport: ((report: RecoveryProgressReport) => void) | undefined;
const tmp = tempDir('daxfleet-recovery-exec-');
let dataDirs = 0;

beforeAll(async () => {
  hub = Fastify();
  hub.post(RECOVERY_PROGRESS_PATH, async (request, reply) => {
    expect(request.headers.authorization).toBe('Bearer agent-credential');
    if (refuseNext > 0) {
      refuseNext--;
      return reply.code(503).send({ statusCode: 503, code: 'DAXFLEET_ERR_SERVER_CLOSING', error: 'Service Unavailable', message: 'closing' });
    }
    const report = request.body as RecoveryProgressReport;
    expect(Value.Errors(RecoveryProgressReportSchema, report)).toEqual([]);
    received.push(report);
    onReport?.(report);
    return { plan_id: report.plan_id, seq: report.seq };
  });
  hubUrl = await hub.listen({ host: '127.0.0.1', port: 0 });
  if (!root) { skipReason = 'needs root to mount a loop device'; return; }
  if (!isAvailable()) { skipReason = `the native addon is not loaded: ${loadError()?.message}`; return; }
  const made = makeLoopFs('ext4');
  if (typeof made === 'string') skipReason = made;
  else fs = made;
});
afterAll(async () => {
  fs?.remove();
  await hub.close();
  tmp.remove();
});

/** the bad range: the file's third 4 KiB block (file bytes 8192-12287), as device sectors */
let sector = 0;
let inventory: Inventory;
const executors: RecoveryExecutor[] = [];
let rescans = 0;

function onLoopFs(ctx: { skip(note?: string): void }): void {
  if (skipReason !== undefined || fs === undefined) { ctx.skip(skipReason); return; }
  // each test starts from the known file: 64 KiB of 0xa5
  writeFileSync(fs.file, Buffer.alloc(FILE_SIZE, 0xa5));
  execFileSync('sync');
  const blocks = fileBlocksOf(fs.file);
  sector = (blocks[2] as number) * 8;
  inventory = loopInventory(fs.blockdev, sector, 8);
  received.length = 0;
  refuseNext = 0;
  rescans = 0;
}
afterEach(async () => {
  for (const e of executors.splice(0)) await e.close();
});

function executor(dataDir = path.join(tmp.dir, `data-${++dataDirs}`), changeLock?: HostChangeLock): RecoveryExecutor {
  const e = new RecoveryExecutor({
    hostId: 'host-loop',
    ...(changeLock !== undefined ? { changeLock } : {}),
    host: loopHost(() => inventory),
    native: { punchHole, writeZeros, clearErrorsOnBus },
    dataDir,
    send: recoveryProgressSender(hubPoster({ hubUrl }, () => 'agent-credential')),
    rescan: async () => { rescans++; },
    log: silent,
    retryFirstMs: 20,
    retryMaxMs: 100,
  });
  executors.push(e);
  return e;
}

function request(over: Partial<RecoveryRequest> & Pick<RecoveryRequest, 'action'>): RecoveryRequest {
  return { range: { region: 'region0', region_offset: sector, length: 8 }, path: fs!.file, ...over };
}

let planIds = 0;
async function run(e: RecoveryExecutor, plan: RecoveryAgentPlan): Promise<RecoveryProgressReport[]> {
  expect(plan.executable, plan.refusal).toBe(true);
  const planId = `plan-${++planIds}`;
  const ack = await e.execute({ type: 'recovery-execute', id: `cmd-${planIds}`, plan_id: planId, request: plan.request, digest: plan.digest, executed_by: 'tester' });
  expect(ack).toEqual({ accepted: true, id: `cmd-${planIds}`, started: true });
  await e.idle();
  return received.filter((r) => r.plan_id === planId);
}

function expectInOrder(reports: RecoveryProgressReport[]): RecoveryProgressReport {
  expect(reports.length).toBeGreaterThan(2);
  expect(reports.map((r) => r.seq)).toEqual(reports.map((_, i) => i + 1));
  expect(reports.slice(0, -1).every((r) => r.status === 'executing')).toBe(true);
  return reports[reports.length - 1]!;
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

describe('punch-hole', () => {
  beforeEach(onLoopFs);
  it('punches the bad block out of the file (zeros there, the rest intact, size kept), reports each step and verifies by re-reading', async () => {
    const e = executor();
    const inodeBefore = inodeOf(fs!.file);
    const plan = await e.plan(request({ action: 'punch-hole' }));
    expect(plan.target.file_ranges).toEqual([{ offset: 8192, length: 4096 }]);
    const reports = await run(e, plan);
    const last = expectInOrder(reports);

    const content = readFileSync(fs!.file);
    expect(content.length).toBe(FILE_SIZE);
    expect(content.subarray(8192, 12288).equals(Buffer.alloc(4096))).toBe(true);
    expect(content.subarray(0, 8192).equals(Buffer.alloc(8192, 0xa5))).toBe(true);
    expect(content.subarray(12288).equals(Buffer.alloc(FILE_SIZE - 12288, 0xa5))).toBe(true);
    // e2fsprogs: block 2 of the file is a hole now, the inode is the same
    const blocks = fileBlocksOf(fs!.file);
    expect(blocks[2]).toBeUndefined();
    expect(blocks[1]).toBeDefined();
    expect(blocks[3]).toBeDefined();
    expect(inodeOf(fs!.file)).toBe(inodeBefore);

    expect(last.status).toBe('still-present');
    expect(last.execution.steps.map((s) => [s.op, s.status])).toEqual([
      ['punch-hole', 'done'], ['fsync', 'done'], ['reread-badblocks', 'done'], ['remap-range', 'done'], ['read-file', 'done'],
    ]);
    expect(last.execution.executed_by).toBe('tester');
    expect(last.execution.finished_at).toBeDefined();
    expect(last.execution.progress).toBeUndefined();
    const v = last.execution.verification!;
    expect(v.verdict).toBe('still-present');
    expect(v.remaining).toEqual([{ region_offset: sector, length: 8 }]);
    expect(v.detail).toContain('freed blocks stay listed');
    const checks = Object.fromEntries(v.checks.map((c) => [c.id, c.ok]));
    expect(checks).toEqual({ 'range-reread': false, 'range-not-in-file': true, 'file-readable': true, 'hole-zeroed': true });
    // every step went running -> done in its own reports
    for (const n of [1, 2, 3, 4, 5]) {
      expect(reports.some((r) => r.execution.steps[n - 1]?.status === 'running' && r.execution.progress?.step === n)).toBe(true);
    }
    expect(rescans).toBe(1);
    // acknowledged: the journal is empty again
    expect(JSON.parse(readFileSync(path.join(tmp.dir, `data-${dataDirs}`, RECOVERY_JOURNAL_FILE), 'utf8'))).toEqual({ version: 1, runs: [] });
  });
});

describe('a step that fails', () => {
  beforeEach(onLoopFs);
  it('skips the rest, still re-reads the bad blocks, and ends failed with the step\'s error', async () => {
    const e = executor();
    const plan = await e.plan(request({ action: 'punch-hole' }));
    // immutable after planning (no planned field changes): fallocate answers EPERM
    execFileSync('chattr', ['+i', fs!.file]);
    try {
      const last = expectInOrder(await run(e, plan));
      expect(last.status).toBe('failed');
      expect(last.execution.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped']);
      expect(last.execution.steps[0]!.detail).toContain('EPERM');
      expect(last.execution.steps[1]!.detail).toBe('not run: step 1 (punch-hole) failed');
      expect(last.execution.error).toMatch(/^step 1 \(punch-hole\) failed: .*EPERM/);
      const v = last.execution.verification!;
      expect(v.verdict).toBe('failed');
      expect(v.remaining).toEqual([{ region_offset: sector, length: 8 }]);
      expect(v.checks.map((c) => c.id)).toEqual(['range-reread']);
      expect(readFileSync(fs!.file).equals(Buffer.alloc(FILE_SIZE, 0xa5))).toBe(true);
      expect(rescans).toBe(1);
    } finally {
      execFileSync('chattr', ['-i', fs!.file]);
    }
  });
});

describe('truncate', () => {
  beforeEach(onLoopFs);
  it('cuts the file at the start of the filesystem block holding the first bad byte and checks the size', async () => {
    const e = executor();
    const plan = await e.plan(request({ action: 'truncate' }));
    expect(plan.target.new_size).toBe(8192);
    const last = expectInOrder(await run(e, plan));
    expect(statSync(fs!.file).size).toBe(8192);
    expect(readFileSync(fs!.file).equals(Buffer.alloc(8192, 0xa5))).toBe(true);
    expect(last.status).toBe('still-present');
    expect(last.execution.steps.every((s) => s.status === 'done')).toBe(true);
    const v = last.execution.verification!;
    expect(v.checks.find((c) => c.id === 'size-after')).toMatchObject({ ok: true });
    expect(v.checks.find((c) => c.id === 'range-not-in-file')).toMatchObject({ ok: true });
  });
});

describe('delete-restore', () => {
  beforeEach(onLoopFs);
  it('replaces the damaged file with the backup: content and sha256, mode, owner and mtime; no temp file left', async () => {
    const backup = path.join(tmp.dir, 'known.bin.backup');
    const content = Buffer.alloc(40 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
    writeFileSync(backup, content);
    chmodSync(backup, 0o640);
    const mtime = new Date('2024-03-01T10:20:30.456Z');
    utimesSync(backup, mtime, mtime);
    const inodeBefore = inodeOf(fs!.file);

    const e = executor();
    const plan = await e.plan(request({ action: 'delete-restore', backup_path: backup }));
    const reports = await run(e, plan);
    const last = expectInOrder(reports);
    expect(last.execution.steps.map((s) => [s.op, s.status])).toEqual([
      ['copy', 'done'], ['copy-metadata', 'done'], ['fsync', 'done'], ['verify-checksum', 'done'], ['rename', 'done'],
      ['reread-badblocks', 'done'], ['remap-range', 'done'], ['read-file', 'done'],
    ]);
    const restored = readFileSync(fs!.file);
    expect(sha256(restored)).toBe(sha256(content));
    const st = statSync(fs!.file);
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtime.toISOString()).toBe(mtime.toISOString());
    expect(st.ino).not.toBe(inodeBefore);
    expect(existsSync(plan.target.temp_path!)).toBe(false);
    expect(last.execution.steps[0]!.detail).toContain(sha256(content));
    const checks = Object.fromEntries(last.execution.verification!.checks.map((c) => [c.id, c.ok]));
    expect(checks).toMatchObject({ 'checksum-match': true, 'metadata-restored': true, 'file-readable': true, 'range-not-in-file': true });
    expect(last.status).toBe('still-present');
    // the copy reported byte progress
    expect(reports.some((r) => r.execution.progress?.unit === 'bytes' && r.execution.progress.total === content.length)).toBe(true);
  });

  it('does not replace a file someone wrote during the copy: the run fails before the rename, the file is kept', async () => {
    const backup = path.join(tmp.dir, 'big.backup');
    writeFileSync(backup, Buffer.alloc(32 << 20, 0x5a));
    const before = readFileSync(fs!.file);
    const inodeBefore = inodeOf(fs!.file);
    // when the hub hears that the copy started, another program writes the damaged file (a new mtime, same size)
    let touched = false;
    onReport = (r) => {
      if (!touched && r.execution.steps[0]?.op === 'copy' && r.execution.steps[0].status === 'running') {
        touched = true;
        const later = new Date(Date.now() + 60_000);
        utimesSync(fs!.file, later, later);
      }
    };
    try {
      const e = executor();
      const plan = await e.plan(request({ action: 'delete-restore', backup_path: backup }));
      const last = expectInOrder(await run(e, plan));
      expect(touched).toBe(true);
      expect(last.status).toBe('failed');
      const rename = last.execution.steps.find((s) => s.op === 'rename');
      expect(rename?.status).toBe('failed');
      expect(rename?.detail).toContain('was written during the copy');
      expect(inodeOf(fs!.file)).toBe(inodeBefore);
      expect(readFileSync(fs!.file).equals(before)).toBe(true);
      expect(existsSync(plan.target.temp_path!)).toBe(false);
    } finally {
      onReport = undefined;
      rmSync(backup, { force: true });
    }
  });

  it('refuses to rename a temp file someone replaced with a symlink, and changes nothing through the link', async () => {
    const backup = path.join(tmp.dir, 'big.backup');
    writeFileSync(backup, Buffer.alloc(32 << 20, 0x5a));
    chmodSync(backup, 0o644);
    // what the symlink points at: its mode, mtime and content must stay as they are
    const victim = path.join(tmp.dir, 'victim');
    writeFileSync(victim, 'not yours');
    chmodSync(victim, 0o600);
    const victimTime = new Date('2020-01-02T03:04:05.000Z');
    utimesSync(victim, victimTime, victimTime);
    const before = readFileSync(fs!.file);
    const inodeBefore = inodeOf(fs!.file);
    const e = executor();
    const plan = await e.plan(request({ action: 'delete-restore', backup_path: backup }));
    const temp = plan.target.temp_path!;
    // when the hub hears that the copy started, another program swaps the temp file for a symlink
    let swapped = false;
    onReport = (r) => {
      if (!swapped && r.execution.steps[0]?.op === 'copy' && r.execution.steps[0].status === 'running' && existsSync(temp)) {
        swapped = true;
        rmSync(temp);
        symlinkSync(victim, temp);
      }
    };
    try {
      const last = expectInOrder(await run(e, plan));
      expect(swapped).toBe(true);
      expect(last.status).toBe('failed');
      expect(last.execution.steps.map((s) => [s.op, s.status])).toEqual([
        ['copy', 'done'], ['copy-metadata', 'done'], ['fsync', 'done'], ['verify-checksum', 'done'], ['rename', 'failed'],
        ['reread-badblocks', 'skipped'], ['remap-range', 'skipped'], ['read-file', 'skipped'],
      ]);
      expect(last.execution.steps[4]!.detail).toContain('temp file was replaced');
      expect(last.execution.steps[4]!.detail).toContain('symbolic link');
      // the damaged file is kept; the link's target was not chmod-ed, chown-ed, touched or renamed into place
      expect(inodeOf(fs!.file)).toBe(inodeBefore);
      expect(readFileSync(fs!.file).equals(before)).toBe(true);
      const v = statSync(victim);
      expect(v.mode & 0o7777).toBe(0o600);
      expect(v.mtime.toISOString()).toBe(victimTime.toISOString());
      expect(readFileSync(victim, 'utf8')).toBe('not yours');
      // the link is not this run's file: it is left for a person to look at, not removed
      expect(lstatSync(temp).isSymbolicLink()).toBe(true);
    } finally {
      onReport = undefined;
      rmSync(temp, { force: true });
      rmSync(backup, { force: true });
    }
  });
});

describe('refusals', () => {
  beforeEach(onLoopFs);
  it('refuses when the file changed between plan and execute, with the fresh plan, and changes nothing', async () => {
    const e = executor();
    const plan = await e.plan(request({ action: 'punch-hole' }));
    appendFileSync(fs!.file, Buffer.alloc(4096, 0x11));
    const before = readFileSync(fs!.file);
    const ack = await e.execute({ type: 'recovery-execute', id: 'c1', plan_id: 'p-changed', request: plan.request, digest: plan.digest, executed_by: 'tester' });
    expect(ack.started).toBe(false);
    expect(ack.refusal).toContain('host changed');
    expect(ack.refused_because).toBe('host-changed');
    expect(ack.plan?.target.file_size).toBe(FILE_SIZE + 4096);
    expect(ack.plan?.digest).not.toBe(plan.digest);
    await e.idle();
    expect(received).toEqual([]);
    expect(readFileSync(fs!.file).equals(before)).toBe(true);
  });

  it('does not start when the journal cannot be written, and leaves the device free for the next execute', async () => {
    const dataDir = path.join(tmp.dir, 'journal-gone');
    const e = executor(dataDir);
    const plan = await e.plan(request({ action: 'truncate' }));
    const cmd = { type: 'recovery-execute' as const, id: 'c-j', plan_id: 'p-journal', request: plan.request, digest: plan.digest, executed_by: 'tester' };
    // the agent's data folder is gone (root ignores a read-only mode, so it is removed): the journal write fails
    rmSync(dataDir, { recursive: true, force: true });
    const refused = await e.execute(cmd);
    expect(refused).toMatchObject({ started: false, refused_because: 'replan-failed' });
    expect(refused.refusal).toContain('could not record the run in its journal');
    expect(refused.refusal).toContain('ENOENT');
    await e.idle();
    expect(received).toEqual([]);
    expect(statSync(fs!.file).size).toBe(FILE_SIZE);
    // with the folder back, the same plan runs: the device is not left busy, the plan not marked executed
    mkdirSync(dataDir);
    const ack = await e.execute(cmd);
    expect(ack.started).toBe(true);
    await e.idle();
    expect(received.at(-1)).toMatchObject({ plan_id: 'p-journal', status: 'still-present' });
    expect(statSync(fs!.file).size).toBe(8192);
  });

  it('does not start while a DAX change runs on the host (the lock shared with the DAX dispatcher), and holds it while it runs', async () => {
    const lock = new HostChangeLock();
    const e = executor(undefined, lock);
    const plan = await e.plan(request({ action: 'punch-hole' }));
    const cmd = (planId: string) => ({ type: 'recovery-execute' as const, id: `c-${planId}`, plan_id: planId, request: plan.request, digest: plan.digest, executed_by: 'tester' });
    expect(lock.take('dax', 'dc_running')).toEqual([]);
    const refused = await e.execute(cmd('p-lock-1'));
    expect(refused).toMatchObject({ started: false, refused_because: 'device-busy' });
    expect(refused.refusal).toMatch(/a DAX change \(dc_running\) is running on this host/);
    lock.release('dc_running');
    expect(await e.execute(cmd('p-lock-2'))).toMatchObject({ started: true });
    expect(lock.take('dax', 'dc_next')).toEqual(['p-lock-2']);
    await e.idle();
    expect(lock.take('dax', 'dc_next')).toEqual([]);
  });

  it('runs one recovery at a time per device, and a plan only once', async () => {
    const e = executor();
    const plan = await e.plan(request({ action: 'punch-hole' }));
    const cmd = (planId: string) => ({ type: 'recovery-execute' as const, id: `c-${planId}`, plan_id: planId, request: plan.request, digest: plan.digest, executed_by: 'tester' });
    const acks = await Promise.all([e.execute(cmd('p-a')), e.execute(cmd('p-b'))]);
    expect(acks.filter((a) => a.started)).toHaveLength(1);
    const refused = acks.find((a) => !a.started);
    expect(refused?.refusal).toMatch(/another recovery \(plan p-[ab]\) is running on loop\d+: one at a time per device/);
    expect(refused?.refused_because).toBe('device-busy');
    await e.idle();
    const again = await e.execute(cmd(acks[0]!.started ? 'p-a' : 'p-b'));
    expect(again).toMatchObject({ started: false, refused_because: 'already-executed' });
    expect(again.refusal).toContain('already executed');
  });
});

describe('journal and restarts', () => {
  beforeEach(onLoopFs);
  it('a run the journal shows executing at start is reported interrupted, with the step it was in', async () => {
    const dataDir = path.join(tmp.dir, 'restarted');
    // what an agent killed during step 2 leaves behind: the report it journaled before posting "step 2 running"
    const journal = RecoveryJournal.open(dataDir, silent);
    journal.record(fs!.blockdev, {
      host_id: 'host-loop', plan_id: 'p-cut', seq: 3, status: 'executing',
      execution: {
        executed_by: 'tester', started_at: '2026-11-27T12:00:00.000Z',
        progress: { step: 2, of: 5, op: 'fsync', message: 'fsync' },
        steps: [
          { n: 1, op: 'punch-hole', status: 'done', started_at: '2026-11-27T12:00:00.000Z', finished_at: '2026-11-27T12:00:00.100Z' },
          { n: 2, op: 'fsync', status: 'running', started_at: '2026-11-27T12:00:00.100Z' },
          { n: 3, op: 'reread-badblocks', status: 'pending' },
          { n: 4, op: 'remap-range', status: 'pending' },
          { n: 5, op: 'read-file', status: 'pending' },
        ],
      },
    });
    // byte progress up to seq 1002 may have been posted (not journaled): the journal reserved those seqs
    journal.reserve('p-cut', 1002);
    const e = executor(dataDir);
    e.resume();
    await e.idle();
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r).toMatchObject({ plan_id: 'p-cut', seq: 1003, status: 'interrupted' });
    expect(r.execution.error).toBe('the agent restarted during step 2 (fsync): check the file/device and plan again');
    expect(r.execution.steps.map((s) => s.status)).toEqual(['done', 'failed', 'skipped', 'skipped', 'skipped']);
    expect(r.execution.progress).toBeUndefined();
    expect(r.execution.finished_at).toBeDefined();
    expect(RecoveryJournal.open(dataDir, silent).list()).toEqual([]);
  });

  it('a final report the hub did not acknowledge is posted again at the next start, and retried while the hub refuses', async () => {
    const dataDir = path.join(tmp.dir, 'unacked');
    const first = executor(dataDir);
    refuseNext = 1_000_000; // the hub refuses everything
    const plan = await first.plan(request({ action: 'truncate' }));
    const ack = await first.execute({ type: 'recovery-execute', id: 'c', plan_id: 'p-unacked', request: plan.request, digest: plan.digest, executed_by: 'tester' });
    expect(ack.started).toBe(true);
    // wait for the run itself to end (its final report is journaled), then stop the agent
    for (let i = 0; i < 200 && RecoveryJournal.open(dataDir, silent).get('p-unacked')?.report.status === 'executing'; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await first.close();
    expect(received).toEqual([]);
    const journaled = RecoveryJournal.open(dataDir, silent).get('p-unacked');
    expect(journaled?.report.status).toBe('still-present');

    refuseNext = 2; // the restarted agent finds the hub refusing twice more, then answering
    const second = executor(dataDir);
    second.resume();
    await second.idle();
    expect(received.map((r) => [r.plan_id, r.seq, r.status])).toEqual([['p-unacked', journaled!.report.seq, 'still-present']]);
    expect(RecoveryJournal.open(dataDir, silent).list()).toEqual([]);
  });

  it('close() stops a run at its next chunk and reports it interrupted', async () => {
    const backup = path.join(tmp.dir, 'big.backup');
    writeFileSync(backup, Buffer.alloc(32 * 1024 * 1024, 0x5a));
    const e = executor();
    const plan = await e.plan(request({ action: 'delete-restore', backup_path: backup }));
    const ack = await e.execute({ type: 'recovery-execute', id: 'c', plan_id: 'p-stopped', request: plan.request, digest: plan.digest, executed_by: 'tester' });
    expect(ack.started).toBe(true);
    await e.close();
    // the final report reached the hub before posting stopped, or the journal holds it for the next start
    const dataDir = path.join(tmp.dir, `data-${dataDirs}`);
    const final = RecoveryJournal.open(dataDir, silent).get('p-stopped')?.report ?? received.filter((r) => r.plan_id === 'p-stopped').at(-1);
    expect(final?.status).toBe('interrupted');
    expect(final?.execution.error).toMatch(/^the agent stopped (during|before) step \d \([a-z-]+\): check the file\/device and plan again$/);
    // the damaged file is untouched and no copy is left behind
    expect(readFileSync(fs!.file).equals(Buffer.alloc(FILE_SIZE, 0xa5))).toBe(true);
    expect(existsSync(plan.target.temp_path!)).toBe(false);
  });
});

describe('clear-errors on an unused block device', () => {
  it('writes zeros over the range\'s sectors through /dev/loopN (O_DIRECT), reports sector progress, and verifies', async (ctx) => {
    onLoopFs(ctx);
    // a raw "namespace" whose block device is an unmounted loop device over an image of 0xa5 bytes
    const image = path.join(tmp.dir, 'raw.img');
    writeFileSync(image, Buffer.alloc(4 * 1024 * 1024, 0xa5));
    const loopdev = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    try {
      const blockdev = path.basename(loopdev);
      const raw = loopInventory(blockdev, 2048, 8);
      const ns = raw.buses[0]!.regions[0]!.namespaces[0]!;
      ns.mode = 'raw';
      delete ns.data_offset;
      inventory = raw;
      const e = new RecoveryExecutor({
        hostId: 'host-loop', host: loopHost(() => inventory, deviceInUse), native: { punchHole, writeZeros, clearErrorsOnBus },
        dataDir: path.join(tmp.dir, 'data-raw'), send: recoveryProgressSender(hubPoster({ hubUrl }, () => 'agent-credential')),
        rescan: async () => { rescans++; }, log: silent,
      });
      executors.push(e);
      const plan = await e.plan({ action: 'clear-errors', range: { region: 'region0', region_offset: 2048, length: 8 } });
      expect(plan.target).toMatchObject({ mode: 'raw', blockdev, sector: 2048, sectors: 8 });
      const reports = await run(e, plan);
      const last = expectInOrder(reports);
      expect(last.execution.steps.map((s) => [s.op, s.status])).toEqual([['write-zeros', 'done'], ['reread-badblocks', 'done']]);
      expect(reports.some((r) => r.execution.progress?.unit === 'sectors' && r.execution.progress.done === 8 && r.execution.progress.total === 8)).toBe(true);
      // read back through the image: exactly the 8 sectors are zeros
      const fd = openSync(image, 'r');
      const buf = Buffer.alloc(3 * 4096);
      readSync(fd, buf, 0, buf.length, 2048 * 512 - 4096);
      closeSync(fd);
      expect(buf.subarray(0, 4096).equals(Buffer.alloc(4096, 0xa5))).toBe(true);
      expect(buf.subarray(4096, 8192).equals(Buffer.alloc(4096))).toBe(true);
      expect(buf.subarray(8192).equals(Buffer.alloc(4096, 0xa5))).toBe(true);
      // the inventory still lists the range: written, yet not cleared, and the verification says so
      const v = last.execution.verification!;
      expect(last.status).toBe('still-present');
      expect(v.checks.find((c) => c.id === 'sectors-written')).toMatchObject({ ok: true });
      expect(v.detail).toContain('The sectors were written, but the platform did not clear the poison');
    } finally {
      execFileSync('losetup', ['-d', loopdev]);
    }
  });
});

describe('clear-errors on a device-DAX namespace', () => {
  it('asks libndctl to clear through the bus; on a machine without that bus the step fails with its answer', async (ctx) => {
    if (!isAvailable()) { ctx.skip(`the native addon is not loaded: ${loadError()?.message}`); return; }
    // the recorded QEMU guest, its bus made to list clear_error (as nfit_test and ACPI platforms with the DSM do);
    // the call itself goes to this machine's libndctl, which has no ndbus0
    const h = recordedHost('four-dimm-mixed', { copy: true });
    try {
      setAttribute(h.sysfsRoot, 'bus/nd/devices/ndbus0/commands', 'ars_cap ars_start ars_status clear_error call_dimm\n');
      received.length = 0;
      const e = new RecoveryExecutor({
        hostId: 'host-recorded', host: h.host({ procRoot: '/proc' }), native: { punchHole, writeZeros, clearErrorsOnBus },
        dataDir: path.join(tmp.dir, 'data-devdax'), send: recoveryProgressSender(hubPoster({ hubUrl }, () => 'agent-credential')),
        rescan: async () => undefined, log: silent,
      });
      executors.push(e);
      const plan = await e.plan({ action: 'clear-errors', range: { region: 'region2', region_offset: 327680, length: 8 } });
      expect(plan.target).toMatchObject({ mode: 'devdax', chardev: 'dax2.1', bus: 'ndbus0', spa: '0x10a000000' });
      const last = expectInOrder(await run(e, plan));
      expect(last.status).toBe('failed');
      expect(last.execution.steps.map((s) => [s.op, s.status])).toEqual([['bus-clear-error', 'failed'], ['reread-badblocks', 'skipped']]);
      expect(last.execution.steps[0]!.detail).toMatch(/ndbus0/);
      // the recorded tree still lists the range: the re-read says so
      expect(last.execution.verification).toMatchObject({ verdict: 'failed', remaining: [{ region_offset: 327680, length: 8 }] });
    } finally {
      h.remove();
    }
  });
});

describe('verification', () => {
  it('remainingSectors: the listed sectors of the range, clipped and merged', () => {
    const range = { region: 'region0', region_offset: 100, length: 16 };
    expect(remainingSectors([], range)).toEqual([]);
    expect(remainingSectors([{ region: 'region1', region_offset: 100, length: 16 }], range)).toEqual([]);
    expect(remainingSectors([
      { region: 'region0', region_offset: 90, length: 14 }, { region: 'region0', region_offset: 103, length: 2 },
      { region: 'region0', region_offset: 112, length: 100 }, { region: 'region0', region_offset: 116, length: 1 },
    ], range)).toEqual([{ region_offset: 100, length: 5 }, { region_offset: 112, length: 4 }]);
  });

  it('after write-zeros that failed EIO: still-present because the platform did not clear the poison', async () => {
    const h = recordedHost('four-dimm-mixed');
    try {
      const host = h.host();
      const plan = await planRecovery(host, { action: 'clear-errors', range: { region: 'region2', region_offset: 131072, length: 8 } });
      const eio = { id: 'sectors-written', ok: false, detail: '/dev/pmem2: 0 of 8 sectors written; the writes of sectors 131072+8 (EIO) failed' };
      const v = await verifyRecovery(host, { plan, checks: [eio] });
      expect(v.verdict).toBe('still-present');
      expect(v.remaining).toEqual([{ region_offset: 131072, length: 8 }]);
      expect(v.detail).toContain('The platform did not clear the poison (no clear-error support, e.g. QEMU\'s emulated NVDIMM)');
      expect(v.checks.map((c) => [c.id, c.ok])).toEqual([['range-reread', false], ['sectors-written', false]]);
      // the same failed writes with the range gone from the list are no success
      const gone = await verifyRecovery({ ...host, scan: async () => ({ ...(await host.scan()), buses: [] }) }, { plan, checks: [eio] });
      expect(gone.verdict).toBe('failed');
    } finally {
      h.remove();
    }
  });

  it('says cleared when the re-read no longer lists the range, failed when a step failed', async (ctx) => {
    onLoopFs(ctx);
    const plan = await executor().plan(request({ action: 'punch-hole' }));
    const cleared = loopHost(() => loopInventory(fs!.blockdev, sector + 64, 8));
    const ok = await verifyRecovery(cleared, { plan, checks: [{ id: 'file-readable', ok: true, detail: 'read' }] });
    expect(ok).toMatchObject({ verdict: 'cleared', remaining: [] });
    expect(ok.checks[0]).toMatchObject({ id: 'range-reread', ok: true });
    const failed = await verifyRecovery(loopHost(() => inventory), { plan, checks: [], failure: 'step 1 (punch-hole) failed: EIO' });
    expect(failed.verdict).toBe('failed');
    expect(failed.detail).toBe('step 1 (punch-hole) failed: EIO 8 sectors of the range are still listed bad.');
  });
});
