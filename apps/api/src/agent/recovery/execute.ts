/**
 * The agent runs a recovery plan the operator reviewed (the protocol: plan.ts and the hub's recovery-plans.ts).
 * execute() plans the request again and starts only when the fresh plan is executable and has the digest the
 * operator saw (the host has not changed since); one run at a time per device. It answers at once and runs the
 * steps in the background, in order, reporting each step change to the hub (progress.ts; byte progress at most
 * every 250 ms). After a failed step the rest are skipped, and the bad blocks are re-read all the same
 * (verify.ts) so the operator sees the state the host is in; then the agent rescans so the hub's ledger follows.
 *
 * Each run is journaled (journal.ts): a run found executing at start was cut off by a restart and is reported
 * interrupted (resume). close() stops a run between two chunks of I/O or two steps and reports it interrupted.
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  badRangesOf, type RecoveryAgentPlan, type RecoveryCheck, type RecoveryExecuteAgentCommand, type RecoveryExecuteCommandAck,
  type RecoveryExecution, type RecoveryProgress, type RecoveryProgressReport, type RecoveryRequest, type RecoveryStep,
  type RecoveryStepResult,
} from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { parseScrubText, scrubAttributePath, startScrub } from '../scrub.js';
import { RecoveryJournal } from './journal.js';
import { describeOpeners, openersOf } from './openers.js';
import type { HostChangeLock } from '../dax/change-lock.js';
import { planRecovery, type RecoveryHost } from './plan.js';
import { RecoveryProgressPoster, type RecoveryProgressSender } from './progress.js';
import { remainingSectors, sectorCount, verifyRecovery } from './verify.js';

const SECTOR = 512;
const CHUNK = 1 << 20;
export const PROGRESS_INTERVAL_MS = 250;
export const SCRUB_POLL_MS = 1000;
export const SCRUB_TIMEOUT_MS = 30 * 60_000;
const MAX_REMEMBERED_PLANS = 1000;

/** The native calls a run makes (@daxfleet/dax-native files/recover.ts). */
export interface RecoveryNative {
  /** expect: the inode the descriptor must be (checked on the opened file, which is opened O_NOFOLLOW) */
  punchHole(path: string, offset: number, length: number, expect?: { ino: number }): Promise<void>;
  writeZeros(devicePath: string, offset: number, length: number): Promise<{
    written: number; failed: { offset: number; length: number; code: string; errno: number }[];
  }>;
  /** exact: clear nothing when the platform's clear unit would widen the range (widenRequired) */
  clearErrorsOnBus(args: { bus: string; address: bigint; length: number; exact?: boolean }): Promise<{
    supported: boolean; cleared: number; detail: string; widenRequired?: boolean;
  }>;
}

export interface RecoveryExecutorOptions {
  hostId: string;
  /** shared with the DAX change dispatcher (serve.ts): a recovery never starts while a DAX change runs */
  changeLock?: HostChangeLock;
  host: RecoveryHost;
  native: RecoveryNative;
  /** where recovery-journal.json lives (the agent's data folder) */
  dataDir: string;
  send: RecoveryProgressSender;
  /** after verification: scan and report, so the hub's ledger follows */
  rescan: () => Promise<void>;
  log: FastifyBaseLogger;
  /** where block and dax devices are (default /dev) */
  devRoot?: string;
  progressIntervalMs?: number;
  scrubPollMs?: number;
  scrubTimeoutMs?: number;
  retryFirstMs?: number;
  retryMaxMs?: number;
}

/** close() stopped the run. */
class RunStopped extends Error {
  override name = 'RunStopped';
}

/** What one run knows while it runs. */
interface RunState {
  plan: RecoveryAgentPlan;
  planId: string;
  device: string;
  seq: number;
  execution: RecoveryExecution;
  /** the checks the steps made, by id (a later one of the same id replaces an earlier one) */
  checks: Map<string, RecoveryCheck>;
  lastProgressPost: number;
  /** delete-restore: sha256 of the backup as it was copied */
  backupSha256?: string;
  /**
   * delete-restore: the temp file this run created (O_EXCL), kept open until the run ends: its metadata, fsync and
   * read-back go through this descriptor, never the path (the folder may be writable by others)
   */
  temp?: OwnTemp;
  /** the planned file's st_dev when a step first looked at it: later steps compare dev and inode */
  fileDev?: number;
  /** delete-restore: the damaged file's mtime when the copy began (a write to it during the copy would be lost) */
  fileMtimeMsAtCopy?: number;
  scrubCountBefore?: number;
}

interface OwnTemp {
  path: string;
  handle: FileHandle;
  dev: number;
  ino: number;
}

/** One run per device: pmemX, daxX.Y, or the bus of a scrub. */
export function deviceOf(plan: RecoveryAgentPlan): string {
  const t = plan.target;
  return t.blockdev ?? t.chardev ?? t.bus ?? plan.request.range.region;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
}

export class RecoveryExecutor {
  private readonly opts: RecoveryExecutorOptions;
  private readonly journal: RecoveryJournal;
  private readonly poster: RecoveryProgressPoster;
  /** device -> plan id of the run on it */
  private readonly busy = new Map<string, string>();
  private readonly runs = new Map<string, Promise<void>>();
  /** plan ids this agent started since it started (the hub lets a plan run once; this guards a resent command) */
  private readonly started = new Set<string>();
  private stopping = false;

  constructor(opts: RecoveryExecutorOptions) {
    this.opts = opts;
    this.journal = RecoveryJournal.open(opts.dataDir, opts.log);
    this.poster = new RecoveryProgressPoster({
      send: opts.send, journal: this.journal, log: opts.log,
      ...(opts.retryFirstMs !== undefined ? { retryFirstMs: opts.retryFirstMs } : {}),
      ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
    });
  }

  /** The dry run: changes nothing. */
  plan(request: RecoveryRequest): Promise<RecoveryAgentPlan> {
    return planRecovery(this.opts.host, request);
  }

  async execute(cmd: RecoveryExecuteAgentCommand): Promise<RecoveryExecuteCommandAck> {
    type Because = NonNullable<RecoveryExecuteCommandAck['refused_because']>;
    const refuse = (because: Because, refusal: string, plan?: RecoveryAgentPlan): RecoveryExecuteCommandAck =>
      ({ accepted: true, id: cmd.id, started: false, refusal, refused_because: because, ...(plan ? { plan } : {}) });
    if (this.stopping) return refuse('stopping', 'the agent is stopping: execute the plan again when it is back');
    if (this.started.has(cmd.plan_id) || this.journal.get(cmd.plan_id) !== undefined) {
      return refuse('already-executed', `plan ${cmd.plan_id} was already executed on this host: plan again`);
    }
    let plan: RecoveryAgentPlan;
    try {
      plan = await this.plan(cmd.request);
    } catch (err) {
      return refuse('replan-failed', `planning again failed (${errText(err)}): nothing was changed; try again`);
    }
    if (!plan.executable) return refuse('not-executable', `the plan cannot be executed now: ${plan.refusal ?? 'a precondition failed'}`, plan);
    if (plan.digest !== cmd.digest) {
      return refuse('host-changed', 'the host changed since the plan was made (its digest differs): review the fresh plan and execute that one', plan);
    }
    // checked again after the await above: two commands for one device may have planned at the same time
    const device = deviceOf(plan);
    const other = this.busy.get(device);
    if (other !== undefined) return refuse('device-busy', `another recovery (plan ${other}) is running on ${device}: one at a time per device; wait for it to finish`);
    if (this.stopping) return refuse('stopping', 'the agent is stopping: execute the plan again when it is back');
    const daxChanges = this.opts.changeLock?.take('recovery', cmd.plan_id) ?? [];
    if (daxChanges.length > 0) {
      return refuse('device-busy', `a DAX change (${daxChanges.join(', ')}) is running on this host and may be reconfiguring ` +
        'the device under the recovery: execute the plan again when it has finished');
    }

    this.busy.set(device, cmd.plan_id);
    this.started.add(cmd.plan_id);
    if (this.started.size > MAX_REMEMBERED_PLANS) this.started.delete(this.started.values().next().value as string);
    let state: RunState;
    try {
      state = this.newRun(plan, cmd, device);
      // journaled before the run starts: if the journal cannot be written, nothing runs (a restart could not tell)
      this.report(state, 'executing');
    } catch (err) {
      this.busy.delete(device);
      this.opts.changeLock?.release(cmd.plan_id);
      this.started.delete(cmd.plan_id);
      this.opts.log.error({ planId: cmd.plan_id, err: errText(err) }, 'recovery not started: its journal could not be written');
      return refuse('replan-failed', `the agent could not record the run in its journal (${errText(err)}): nothing was changed; ` +
        'fix the agent\'s data folder and try again');
    }
    this.opts.log.info({ planId: cmd.plan_id, action: plan.action, device, by: cmd.executed_by }, 'recovery started');
    const run = this.runSteps(state)
      .catch((err: unknown) => {
        this.opts.log.error({ planId: cmd.plan_id, err }, 'recovery run failed unexpectedly');
        // the hub must not wait for a run that ended: a final report, if it can still be written
        try {
          state.execution.error = `the agent failed while running the plan: ${errText(err)}; check the file/device and plan again`;
          state.execution.finished_at ??= new Date().toISOString();
          delete state.execution.progress;
          this.report(state, 'failed');
        } catch (again) {
          this.opts.log.error({ planId: cmd.plan_id, err: again }, 'could not report the failed recovery run');
        }
      })
      .finally(() => {
        this.busy.delete(device);
        this.opts.changeLock?.release(cmd.plan_id);
        this.runs.delete(cmd.plan_id);
      });
    this.runs.set(cmd.plan_id, run);
    return { accepted: true, id: cmd.id, started: true };
  }

  /**
   * At agent start: a run the journal shows executing was cut off by a restart, reported interrupted; final reports
   * the hub has not acknowledged are posted again.
   */
  resume(): void {
    for (const run of this.journal.list()) {
      if (run.report.status !== 'executing') {
        this.poster.repost(run.report);
        continue;
      }
      const execution = structuredClone(run.report.execution);
      const cut = execution.steps.find((s) => s.status === 'running') ?? execution.steps.find((s) => s.status === 'pending');
      const now = new Date().toISOString();
      execution.steps = execution.steps.map((s) => {
        if (s.status === 'running') return { ...s, status: 'failed', detail: 'interrupted: the agent restarted during this step', finished_at: now };
        if (s.status === 'pending') return { ...s, status: 'skipped', detail: 'not run: the agent restarted before it' };
        return s;
      });
      delete execution.progress;
      execution.finished_at = now;
      execution.error = cut === undefined
        ? 'the agent restarted during verification: check the file/device and plan again'
        : `the agent restarted during step ${cut.n} (${cut.op}): check the file/device and plan again`;
      this.opts.log.warn({ planId: run.plan_id, device: run.device }, `recovery ${run.plan_id} was interrupted: ${execution.error}`);
      // above every seq the run may have posted, progress reports (not journaled) included
      const seq = Math.max(run.report.seq, run.seq_limit ?? 0) + 1;
      this.poster.post(run.device, { ...run.report, seq, status: 'interrupted', execution });
    }
  }

  /** Resolves when no run is going and every report was acknowledged (or the poster was closed). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs.values()]);
    await this.poster.idle();
  }

  /** Stops runs at their next chunk or step (reported interrupted) and stops posting; the journal keeps the rest. */
  async close(): Promise<void> {
    this.stopping = true;
    while (this.runs.size > 0) await Promise.all([...this.runs.values()]);
    this.poster.close();
  }

  private newRun(plan: RecoveryAgentPlan, cmd: RecoveryExecuteAgentCommand, device: string): RunState {
    const steps: RecoveryStepResult[] = plan.steps.map((s) => ({ n: s.n, op: s.op, status: 'pending' }));
    return {
      plan, planId: cmd.plan_id, device, seq: 0, checks: new Map(), lastProgressPost: 0,
      execution: { executed_by: cmd.executed_by, started_at: new Date().toISOString(), steps },
    };
  }

  /**
   * Posts the run's state to the hub. A step or status change is journaled first; byte/sector/second progress
   * (progressOnly) is only posted: the journal keeps the latest step change, a restart reports the run interrupted.
   */
  private report(state: RunState, status: RecoveryProgressReport['status'], progressOnly = false): void {
    state.seq++;
    state.lastProgressPost = Date.now();
    const report: RecoveryProgressReport = {
      host_id: this.opts.hostId, plan_id: state.planId, seq: state.seq, status, execution: structuredClone(state.execution),
    };
    if (progressOnly) this.poster.postProgress(report);
    else this.poster.post(state.device, report);
  }

  /** Byte, sector or second progress of the running step: posted at most every progressIntervalMs, and at the end. */
  private progress(state: RunState, done: number, total: number, unit: NonNullable<RecoveryProgress['unit']>): void {
    if (this.stopping) throw new RunStopped('the agent is stopping');
    const p = state.execution.progress;
    if (p === undefined) return;
    state.execution.progress = { ...p, done, total, unit };
    if (done >= total || Date.now() - state.lastProgressPost >= (this.opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS)) {
      this.report(state, 'executing', true);
    }
  }

  private check(state: RunState, id: string, ok: boolean, detail: string): void {
    state.checks.set(id, { id, ok, detail });
  }

  private async runSteps(state: RunState): Promise<void> {
    const { steps } = state.plan;
    let failure: string | undefined;
    let stopped: { step: RecoveryStep; before: boolean } | undefined;
    try {
      for (const step of steps) {
        const result = state.execution.steps.find((s) => s.n === step.n) as RecoveryStepResult;
        if (failure === undefined && stopped === undefined && this.stopping) stopped = { step, before: true };
        if (failure !== undefined || stopped !== undefined) {
          result.status = 'skipped';
          result.detail = stopped !== undefined ? 'not run: the agent stopped' : `not run: step ${failedStepOf(state)} failed`;
          continue;
        }
        result.status = 'running';
        result.started_at = new Date().toISOString();
        state.execution.progress = { step: step.n, of: steps.length, op: step.op, message: step.description };
        this.report(state, 'executing');
        try {
          result.detail = await this.runStep(state, step);
          result.status = 'done';
        } catch (err) {
          result.status = 'failed';
          if (err instanceof RunStopped) {
            result.detail = 'interrupted: the agent stopped during this step';
            stopped = { step, before: false };
          } else {
            result.detail = errText(err);
            failure = `step ${step.n} (${step.op}) failed: ${result.detail}`;
          }
        }
        result.finished_at = new Date().toISOString();
        delete state.execution.progress;
        this.report(state, 'executing');
      }
    } finally {
      // the restore copy's descriptor is closed (and the copy removed) however the steps ended
      if (state.temp !== undefined) await this.releaseTemp(state);
    }

    if (stopped !== undefined) {
      const { step, before } = stopped;
      state.execution.error = `the agent stopped ${before ? 'before' : 'during'} step ${step.n} (${step.op}): check the file/device and plan again`;
      state.execution.finished_at = new Date().toISOString();
      this.report(state, 'interrupted');
      return;
    }
    if (failure !== undefined) state.execution.error = failure;
    const verification = await verifyRecovery(this.opts.host, {
      plan: state.plan, checks: [...state.checks.values()], ...(failure !== undefined ? { failure } : {}),
    });
    state.execution.verification = verification;
    state.execution.finished_at = new Date().toISOString();
    const status = verification.verdict === 'cleared' ? 'verified' : verification.verdict;
    this.report(state, status);
    this.opts.log.info({ planId: state.planId, status, remaining: verification.remaining }, `recovery ${status}: ${verification.detail}`);
    try {
      await this.opts.rescan();
    } catch (err) {
      this.opts.log.warn({ err: errText(err) }, 'rescan after recovery failed');
    }
  }

  /**
   * delete-restore, right before the rename replaces the damaged file: nobody has it open or mapped now (the plan
   * checked that before the copy, which can take minutes); that process's data would be lost at the rename.
   * (Nobody wrote it during the copy: its mtime, compared by assertSameFile right before the rename.)
   */
  private async assertNoOpeners(state: RunState, file: string): Promise<void> {
    const ino = need(state.plan.target.inode, 'inode');
    const dev = state.fileDev ?? Number((await stat(file)).dev);
    const openers = await openersOf(this.opts.host.procRoot, { dev, ino }, this.opts.host.selfPid);
    if (openers.length > 0) {
      throw new Error(`${file} was opened during the copy by ${describeOpeners(openers)}: it was not replaced; stop ` +
        'them and plan again');
    }
  }

  /**
   * Right before a step changes the file: it is still the device, inode and size the re-checked plan named (and,
   * for the rename, the mtime it had when the copy began). The plan was re-made and its digest compared moments
   * before, so this narrows the window in which another process could have replaced or changed the file to one
   * stat(). The first call records the file's st_dev, which later calls compare.
   */
  private async assertSameFile(state: RunState, also: { mtimeMs?: number | undefined } = {}): Promise<void> {
    const file = need(state.plan.target.path, 'path');
    checkSameFile(state, file, await stat(file), also);
  }

  /**
   * The end of a run: the temp file's descriptor is closed; the file is removed only while the name is still the
   * file this run created (a failed run never leaves the backup's copy behind, and never removes another's file).
   */
  private async releaseTemp(state: RunState): Promise<void> {
    const own = ownTemp(state);
    state.temp = undefined;
    try {
      await own.handle.close();
    } catch (err) {
      this.opts.log.warn({ temp: own.path, err: errText(err) }, 'could not close the restore copy');
    }
    try {
      const st = await lstat(own.path);
      if (Number(st.dev) !== own.dev || Number(st.ino) !== own.ino) {
        this.opts.log.warn({ temp: own.path }, `${own.path} is no longer the restore copy this run made: left in place`);
        return;
      }
      await rm(own.path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.opts.log.warn({ temp: own.path, err: errText(err) }, 'could not remove the restore copy');
    }
  }

  /** Runs one step; answers its detail sentence or throws what went wrong. */
  private async runStep(state: RunState, step: RecoveryStep): Promise<string> {
    const { plan } = state;
    const t = plan.target;
    switch (step.op) {
      case 'punch-hole': {
        const file = need(t.path, 'path');
        await this.assertSameFile(state);
        const ranges = t.file_ranges ?? [];
        // the native call opens the path O_NOFOLLOW and checks the descriptor's inode: the file stat()ed above
        const expect = t.inode !== undefined ? { ino: t.inode } : undefined;
        for (const r of ranges) await this.opts.native.punchHole(file, r.offset, r.length, expect);
        return `fallocate(PUNCH_HOLE|KEEP_SIZE) ${file}: ${ranges.map((r) => `bytes ${r.offset}-${r.offset + r.length - 1}`).join(', ')}`;
      }
      case 'truncate': {
        const file = need(t.path, 'path');
        const size = need(t.new_size, 'new_size');
        // truncated through a descriptor checked to be the planned file (no symlink followed, same dev/inode/size)
        const handle = await open(file, constants.O_WRONLY | constants.O_NOFOLLOW);
        try {
          checkSameFile(state, file, await handle.stat(), {});
          await handle.truncate(size);
        } finally {
          await handle.close();
        }
        return `ftruncate(${file}, ${size})`;
      }
      case 'fsync':
        if (plan.action === 'delete-restore') {
          const own = ownTemp(state);
          await own.handle.sync();
          await fsyncPath(path.dirname(own.path));
          return `fsync ${own.path} and ${path.dirname(own.path)}`;
        }
        await fsyncPath(need(t.path, 'path'));
        return `fsync ${t.path}`;
      case 'reread-badblocks': {
        const remaining = remainingSectors(badRangesOf(await this.opts.host.scan()), plan.request.range);
        const n = sectorCount(remaining);
        return n === 0 ? 'no sector of the range is listed bad now' : `${n} of ${plan.request.range.length} sectors of the range are still listed bad`;
      }
      case 'remap-range':
        return this.remapRange(state);
      case 'read-file':
        return this.readFile(state);
      case 'copy':
        return this.copyBackup(state);
      case 'copy-metadata':
        return this.copyMetadata(state);
      case 'verify-checksum': {
        const temp = need(t.temp_path, 'temp_path');
        const sha = await this.hashHandle(state, ownTemp(state).handle);
        const ok = sha === state.backupSha256;
        this.check(state, 'checksum-match', ok, ok ? `sha256 of ${temp} read back matches the backup's (${sha})`
          : `sha256 of ${temp} read back is ${sha}, the backup read ${state.backupSha256 ?? 'nothing'}`);
        if (!ok) throw new Error(`the copy does not match the backup (sha256 ${sha} != ${state.backupSha256 ?? '-'}): the damaged file was left in place`);
        return `sha256 ${sha} matches the backup`;
      }
      case 'rename': {
        const temp = need(t.temp_path, 'temp_path');
        const file = need(t.path, 'path');
        // the slow checks first, the stats last: the smallest window before the rename
        await this.assertNoOpeners(state, file);
        await assertTempIsOurs(ownTemp(state));
        await this.assertSameFile(state, { mtimeMs: state.fileMtimeMsAtCopy });
        await rename(temp, file);
        // the rename succeeded: the name is the restored file now, not a temp file to remove
        const own = ownTemp(state);
        state.temp = undefined;
        await own.handle.close();
        await fsyncPath(path.dirname(file));
        return `rename(${temp}, ${file}): the damaged file's blocks are freed`;
      }
      case 'write-zeros':
        return this.writeZeros(state);
      case 'bus-clear-error':
        return this.busClearError(state);
      case 'start-scrub': {
        const bus = need(t.bus, 'bus');
        const [result] = await startScrub(this.opts.host.sysfsRoot, bus);
        if (result === undefined || !result.started) throw new Error(result?.reason ?? `no answer from ${bus}`);
        state.scrubCountBefore = result.scrub_count;
        return `wrote 1 to ${bus}/nfit/scrub (scrub count was ${result.scrub_count ?? 'unknown'})`;
      }
      case 'wait-scrub':
        return this.waitScrub(state);
      default:
        throw new Error(`this agent does not know the step ${step.op}`);
    }
  }

  private async remapRange(state: RunState): Promise<string> {
    const t = state.plan.target;
    const file = need(t.path, 'path');
    const ino = (await stat(file)).ino;
    const mapped = await this.opts.host.map({
      mountpoint: need(t.mountpoint, 'mountpoint'), deviceOffset: need(t.sector, 'sector') * SECTOR, length: need(t.sectors, 'sectors') * SECTOR,
    });
    const inFile = mapped.hits.filter((h) => h.kind === 'file' && h.inode === ino);
    const bytes = inFile.reduce((n, h) => n + h.length, 0);
    const owners = summarizeHits(mapped.hits);
    const ok = inFile.length === 0;
    this.check(state, 'range-not-in-file', ok, ok
      ? `the range no longer lies in ${file} (inode ${ino}); it is now ${owners}${mapped.error ? ` (mapping partial: ${mapped.error})` : ''}`
      : `${bytes} bytes of the range are still in ${file} (inode ${ino})`);
    if (!ok) throw new Error(`the range still lies in ${file}: ${bytes} bytes of inode ${ino}`);
    return `the range now holds ${owners}, none of ${file}`;
  }

  /** Reads the whole file: it must read without error; punched ranges read zeros; the sizes and hashes fit. */
  private async readFile(state: RunState): Promise<string> {
    const { plan } = state;
    const t = plan.target;
    const file = need(t.path, 'path');
    const zeroRanges = plan.action === 'punch-hole' ? t.file_ranges ?? [] : [];
    const hash = createHash('sha256');
    let size = 0;
    let nonZero: number | undefined;
    try {
      const handle = await open(file, constants.O_RDONLY);
      try {
        size = (await handle.stat()).size;
        const buf = Buffer.allocUnsafe(CHUNK);
        let pos = 0;
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          const chunk = buf.subarray(0, bytesRead);
          hash.update(chunk);
          for (const r of zeroRanges) {
            const s = Math.max(r.offset, pos);
            const e = Math.min(r.offset + r.length, pos + bytesRead);
            for (let i = s; i < e && nonZero === undefined; i++) if (chunk[i - pos] !== 0) nonZero = i;
          }
          pos += bytesRead;
          this.progress(state, pos, size, 'bytes');
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (err instanceof RunStopped) throw err;
      this.check(state, 'file-readable', false, `reading ${file} failed: ${errText(err)}`);
      throw new Error(`reading ${file} failed: ${errText(err)}`);
    }
    this.check(state, 'file-readable', true, `read all ${size} bytes of ${file} without error`);
    const sha = hash.digest('hex');
    const found: string[] = [`${size} bytes read`];
    if (plan.action === 'punch-hole') {
      const ok = nonZero === undefined;
      this.check(state, 'hole-zeroed', ok, ok ? `the punched bytes of ${file} read as zeros` : `byte ${nonZero} of ${file} in a punched range is not zero`);
      if (!ok) throw new Error(`byte ${nonZero} of ${file} in a punched range is not zero`);
      found.push('punched ranges read zeros');
    }
    if (plan.action === 'truncate') {
      const want = need(t.new_size, 'new_size');
      const ok = size === want;
      this.check(state, 'size-after', ok, `${file} is ${size} bytes${ok ? '' : `, not ${want}`}`);
      if (!ok) throw new Error(`${file} is ${size} bytes after truncate, not ${want}`);
    }
    if (plan.action === 'delete-restore') {
      const ok = sha === state.backupSha256;
      this.check(state, 'checksum-match', ok, ok ? `the restored ${file} reads back with the backup's sha256 (${sha})`
        : `the restored ${file} reads back with sha256 ${sha}, the backup's was ${state.backupSha256 ?? 'unknown'}`);
      await this.checkMetadata(state, file);
      if (!ok) throw new Error(`the restored file's sha256 ${sha} differs from the backup's`);
      found.push(`sha256 ${sha}`);
    }
    return found.join('; ');
  }

  private async checkMetadata(state: RunState, file: string): Promise<void> {
    const backup = state.plan.target.backup;
    if (backup === undefined) return;
    const st = await stat(file);
    const wantMode = Number.parseInt(backup.mode, 8) & 0o7777;
    const problems: string[] = [];
    if ((st.mode & 0o7777) !== wantMode) problems.push(`mode ${(st.mode & 0o7777).toString(8)} not ${wantMode.toString(8)}`);
    if (st.uid !== backup.uid || st.gid !== backup.gid) problems.push(`owner ${st.uid}:${st.gid} not ${backup.uid}:${backup.gid}`);
    // utimes goes through a double of seconds: equal to the millisecond is what can be asked
    if (Math.abs(st.mtimeMs - Date.parse(backup.mtime)) >= 1) problems.push(`mtime ${st.mtime.toISOString()} not ${backup.mtime}`);
    this.check(state, 'metadata-restored', problems.length === 0, problems.length === 0
      ? `mode ${wantMode.toString(8)}, owner ${backup.uid}:${backup.gid} and mtime ${backup.mtime} as the backup's (extended attributes are not copied)`
      : `${file}: ${problems.join(', ')}`);
  }

  private async copyBackup(state: RunState): Promise<string> {
    const t = state.plan.target;
    const file = need(t.path, 'path');
    const before = await stat(file);
    checkSameFile(state, file, before, {});
    state.fileMtimeMsAtCopy = before.mtimeMs;
    const backup = need(t.backup, 'backup').path;
    const temp = need(t.temp_path, 'temp_path');
    const hash = createHash('sha256');
    const src = await open(backup, constants.O_RDONLY);
    let copied = 0;
    try {
      const size = (await src.stat()).size;
      // O_EXCL: never overwrite anything, not even a leftover of an earlier run (its name is in the plan);
      // read/write: the checksum is read back through this descriptor
      let dst: FileHandle;
      try {
        dst = await open(temp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        throw new Error(`${temp} already exists (left by an interrupted restore?): check it, remove it and plan again`);
      }
      // kept open until the run ends (releaseTemp closes it on every path)
      state.temp = { path: temp, handle: dst, dev: 0, ino: 0 };
      const own = await dst.stat();
      state.temp.dev = Number(own.dev);
      state.temp.ino = Number(own.ino);
      const buf = Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, CHUNK, copied);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        let off = 0;
        while (off < bytesRead) off += (await dst.write(chunk, off, bytesRead - off, copied + off)).bytesWritten;
        copied += bytesRead;
        this.progress(state, copied, size, 'bytes');
      }
    } finally {
      await src.close();
    }
    state.backupSha256 = hash.digest('hex');
    return `copied ${copied} bytes of ${backup} to ${temp} (sha256 ${state.backupSha256})`;
  }

  private async copyMetadata(state: RunState): Promise<string> {
    const t = state.plan.target;
    const backup = need(t.backup, 'backup').path;
    const temp = need(t.temp_path, 'temp_path');
    const { handle } = ownTemp(state);
    const st = await stat(backup);
    // through the descriptor, never the path; chown first: it clears set-user-id bits that chmod then sets
    await handle.chown(st.uid, st.gid);
    await handle.chmod(st.mode & 0o7777);
    await handle.utimes(st.atimeMs / 1000, st.mtimeMs / 1000);
    return `${temp}: owner ${st.uid}:${st.gid}, mode ${(st.mode & 0o7777).toString(8)}, mtime ${st.mtime.toISOString()} from the backup ` +
      '(extended attributes are not copied)';
  }

  /** sha256 of what an open descriptor reads (positional reads: the descriptor's offset does not matter). */
  private async hashHandle(state: RunState, handle: FileHandle): Promise<string> {
    const hash = createHash('sha256');
    const size = (await handle.stat()).size;
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      this.progress(state, pos, size, 'bytes');
    }
    return hash.digest('hex');
  }

  private async writeZeros(state: RunState): Promise<string> {
    const t = state.plan.target;
    const device = path.join(this.opts.devRoot ?? '/dev', need(t.blockdev, 'blockdev'));
    const sectors = need(t.sectors, 'sectors');
    const offset = need(t.sector, 'sector') * SECTOR;
    this.progress(state, 0, sectors, 'sectors');
    const result = await this.opts.native.writeZeros(device, offset, sectors * SECTOR);
    this.progress(state, result.written / SECTOR, sectors, 'sectors');
    const failedSectors = result.failed.map((f) => `${f.offset / SECTOR}+${f.length / SECTOR} (${f.code})`);
    const ok = result.failed.length === 0;
    this.check(state, 'sectors-written', ok, ok
      ? `wrote zeros over all ${sectors} sectors of ${device} from sector ${offset / SECTOR}`
      : `${device}: ${result.written / SECTOR} of ${sectors} sectors written; the writes of sectors ${failedSectors.join(', ')} failed`);
    // EIO is the driver's answer where the platform cannot clear the poison: the verification says so
    const other = result.failed.filter((f) => f.code !== 'EIO');
    if (other.length > 0) throw new Error(`writing ${device} failed: ${other.map((f) => `sector ${f.offset / SECTOR} ${f.code}`).join(', ')}`);
    return ok ? `wrote ${sectors} sectors of zeros to ${device} at sector ${offset / SECTOR}`
      : `${result.written / SECTOR} of ${sectors} sectors written; EIO on ${failedSectors.join(', ')}`;
  }

  private async busClearError(state: RunState): Promise<string> {
    const t = state.plan.target;
    const bus = need(t.bus, 'bus');
    const spa = need(t.spa, 'spa');
    const address = BigInt(spa.startsWith('0x') ? spa : `0x${spa}`);
    const length = need(t.sectors, 'sectors') * SECTOR;
    // exact: the plan's data loss covers only the planned bytes; a clear the platform would widen is refused
    const result = await this.opts.native.clearErrorsOnBus({ bus, address, length, exact: true });
    if (!result.supported) throw new Error(`${bus} cannot clear errors: ${result.detail}`);
    if (result.widenRequired === true) {
      this.check(state, 'bus-cleared', false, `${bus} cleared nothing at ${t.spa}: ${result.detail}`);
      throw new Error(`${bus} would clear more than the planned ${length} bytes at ${t.spa}, so nothing was cleared: ${result.detail}`);
    }
    const ok = result.cleared >= length;
    this.check(state, 'bus-cleared', ok, `${bus} cleared ${result.cleared} of ${length} bytes at ${t.spa}: ${result.detail}`);
    return `clear-error on ${bus} at ${t.spa}+${length}: ${result.cleared} bytes cleared (${result.detail})`;
  }

  private async waitScrub(state: RunState): Promise<string> {
    const bus = need(state.plan.target.bus, 'bus');
    const file = scrubAttributePath(this.opts.host.sysfsRoot, bus);
    const timeoutMs = this.opts.scrubTimeoutMs ?? SCRUB_TIMEOUT_MS;
    const started = Date.now();
    const before = state.scrubCountBefore;
    for (;;) {
      const now = parseScrubText(await readFile(file, 'utf8'));
      const elapsed = Math.round((Date.now() - started) / 1000);
      if (now !== undefined && now.scrub_state === 'idle' && (before === undefined || now.scrub_count > before)) {
        this.check(state, 'scrub-completed', true, `the scrub on ${bus} finished after ${elapsed} s (count ${now.scrub_count})`);
        return `the scrub finished (count ${before ?? '?'} -> ${now.scrub_count}) after ${elapsed} s`;
      }
      if (Date.now() - started >= timeoutMs) {
        this.check(state, 'scrub-completed', false, `the scrub on ${bus} did not finish within ${Math.round(timeoutMs / 1000)} s`);
        throw new Error(`the scrub on ${bus} did not finish within ${Math.round(timeoutMs / 1000)} s: gave up waiting (it may still run)`);
      }
      this.progress(state, elapsed, Math.round(timeoutMs / 1000), 'seconds');
      await delay(this.opts.scrubPollMs ?? SCRUB_POLL_MS);
    }
  }
}

function failedStepOf(state: RunState): string {
  const failed = state.execution.steps.find((s) => s.status === 'failed');
  return failed === undefined ? 'an earlier' : `${failed.n} (${failed.op})`;
}

function need<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`the plan's target has no ${field}`);
  return value;
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The planned file as stat() or fstat() saw it: same device (recorded at the first look), inode, size (and mtime). */
function checkSameFile(state: RunState, file: string, st: Stats, also: { mtimeMs?: number | undefined }): void {
  const t = state.plan.target;
  const dev = Number(st.dev);
  state.fileDev ??= dev;
  if (dev !== state.fileDev) {
    throw new Error(`${file} is now on device ${dev}, not ${state.fileDev}: it was replaced during the run; it was not changed, plan again`);
  }
  if (t.inode !== undefined && st.ino !== t.inode) {
    throw new Error(`${file} is now inode ${st.ino}, not the planned inode ${t.inode}: it was replaced since the plan; nothing was changed, plan again`);
  }
  if (t.file_size !== undefined && st.size !== t.file_size) {
    throw new Error(`${file} is now ${st.size} bytes, not the planned ${t.file_size}: it changed since the plan; nothing was changed, plan again`);
  }
  if (also.mtimeMs !== undefined && st.mtimeMs !== also.mtimeMs) {
    throw new Error(`${file} was written during the copy (its mtime changed): it was not replaced; check it and plan again`);
  }
}

function ownTemp(state: RunState): OwnTemp {
  if (state.temp === undefined) throw new Error('the restore copy is not open: the copy step did not run');
  return state.temp;
}

/** The temp path still names the regular file this run created (not a symlink or a file put there since). */
async function assertTempIsOurs(own: OwnTemp): Promise<void> {
  const st = await lstat(own.path);
  if (!st.isFile() || Number(st.dev) !== own.dev || Number(st.ino) !== own.ino) {
    throw new Error(`the temp file was replaced: ${own.path} is no longer the restore copy this run made ` +
      `(${st.isSymbolicLink() ? 'a symbolic link' : st.isFile() ? `inode ${st.ino}` : 'not a regular file'}); the damaged file was left in place`);
  }
}

/** "free 4096 B, metadata (inode table) 512 B" */
function summarizeHits(hits: readonly { kind: string; length: number; metadata?: string; path?: string }[]): string {
  if (hits.length === 0) return 'not named by the filesystem';
  const byOwner = new Map<string, number>();
  for (const h of hits) {
    const owner = h.kind === 'metadata' ? `metadata (${h.metadata ?? 'unknown'})` : h.kind === 'file' ? `file ${h.path ?? '(no path)'}` : h.kind;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + h.length);
  }
  return [...byOwner].map(([owner, bytes]) => `${owner} ${bytes} B`).join(', ');
}
