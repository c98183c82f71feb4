/**
 * The agent's recovery journal, DATA-DIR/recovery-journal.json (mode 0600): every recovery run that is executing,
 * or that ended with a report the hub has not acknowledged yet. Each entry holds the run's latest progress report
 * (which carries the whole execution, so it is all the hub needs) and the highest seq the hub acknowledged.
 * Rewritten atomically (temporary file, fsync, rename, fsync of the folder: media/journal.ts writeAtomically)
 * before each step or status change is posted (byte/sector/second progress is not journaled: only a block of seqs
 * is reserved for it now and then, so a report after a restart numbers above it), so:
 * - a restart during a run finds it "executing": the agent reports it interrupted (it cannot know how far the
 *   running step got) instead of leaving the hub waiting forever;
 * - a final report the hub never acknowledged is posted again after a restart.
 * An entry leaves the journal when the hub acknowledged its final report.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RecoveryProgressReport } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { readJournalFile, writeAtomically } from '../media/journal.js';

export const RECOVERY_JOURNAL_FILE = 'recovery-journal.json';

export interface RecoveryJournalRun {
  plan_id: string;
  /** what the run works on (pmemX, daxX.Y, ndbusN): one run per device at a time */
  device: string;
  /** the latest report of the run (status executing while it runs) */
  report: RecoveryProgressReport;
  /** the highest seq the hub acknowledged (0: none yet; kept on disk only when a report is journaled) */
  acked_seq: number;
  /**
   * the highest seq the run may have posted: byte/sector/second progress reports are posted without being journaled,
   * so the agent reserves their seqs in blocks here; a report after a restart (interrupted) numbers above it
   */
  seq_limit?: number;
}

interface JournalFile {
  version: 1;
  runs: RecoveryJournalRun[];
}

type Log = Pick<FastifyBaseLogger, 'error'>;

export class RecoveryJournal {
  readonly file: string;
  private runs: RecoveryJournalRun[];

  private constructor(file: string, runs: RecoveryJournalRun[]) {
    this.file = file;
    this.runs = runs;
  }

  /** Reads DATA-DIR/recovery-journal.json (absent: empty; damaged: moved aside with an error in the log, empty). */
  static open(dataDir: string, log: Log): RecoveryJournal {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, RECOVERY_JOURNAL_FILE);
    return new RecoveryJournal(file, readRuns(file, log));
  }

  list(): readonly RecoveryJournalRun[] {
    return this.runs;
  }

  get(planId: string): RecoveryJournalRun | undefined {
    return this.runs.find((r) => r.plan_id === planId);
  }

  /** Records a run's newest report (a step or status change), durably, before it is posted. */
  record(device: string, report: RecoveryProgressReport): void {
    const old = this.get(report.plan_id);
    const entry: RecoveryJournalRun = {
      plan_id: report.plan_id, device, report, acked_seq: old?.acked_seq ?? 0, seq_limit: Math.max(old?.seq_limit ?? 0, report.seq),
    };
    this.write([...this.runs.filter((r) => r.plan_id !== report.plan_id), entry]);
  }

  /** The highest seq a run may have posted (its journaled report's, or a reservation above it). */
  seqLimit(planId: string): number {
    const run = this.get(planId);
    return run === undefined ? 0 : Math.max(run.report.seq, run.seq_limit ?? 0);
  }

  /** Reserves seqs up to `upTo` for reports posted without being journaled (one write per block of them). */
  reserve(planId: string, upTo: number): void {
    const run = this.get(planId);
    if (run === undefined || upTo <= this.seqLimit(planId)) return;
    this.write(this.runs.map((r) => (r === run ? { ...r, seq_limit: upTo } : r)));
  }

  /**
   * The hub acknowledged `seq` of a run: a run whose final report is acknowledged leaves the journal (a write);
   * an acknowledgement of an earlier report is only remembered (nothing after a restart depends on it).
   */
  acknowledge(planId: string, seq: number): void {
    const run = this.get(planId);
    if (run === undefined || seq <= run.acked_seq) return;
    const done = run.report.status !== 'executing' && seq >= run.report.seq;
    if (done) this.write(this.runs.filter((r) => r !== run));
    else this.runs = this.runs.map((r) => (r === run ? { ...r, acked_seq: seq } : r));
  }

  private write(runs: RecoveryJournalRun[]): void {
    writeAtomically(this.file, `${JSON.stringify({ version: 1, runs } satisfies JournalFile)}\n`);
    this.runs = runs;
  }
}

function readRuns(file: string, log: Log): RecoveryJournalRun[] {
  const journal = readJournalFile(file, checkJournal, (problem, aside) => {
    log.error({ file, movedTo: aside }, `recovery journal ${file} is damaged (${problem}): moved to ${aside}; a recovery ` +
      'that ran when the agent stopped is not reported as interrupted: check the hub\'s recovery plans still executing');
  });
  return journal?.runs ?? [];
}

function checkJournal(parsed: { version: 1 }): JournalFile | string {
  const j = parsed as Partial<JournalFile>;
  if (!Array.isArray(j.runs)) return 'no list of runs';
  for (const r of j.runs as unknown[]) {
    const run = r as Partial<RecoveryJournalRun> | null;
    if (typeof run !== 'object' || run === null || typeof run.plan_id !== 'string' || typeof run.device !== 'string'
      || typeof run.acked_seq !== 'number' || typeof run.report !== 'object' || run.report === null
      || typeof run.report.seq !== 'number' || typeof run.report.status !== 'string'
      || (run.seq_limit !== undefined && typeof run.seq_limit !== 'number')) return 'a run is malformed';
  }
  return j as JournalFile;
}
