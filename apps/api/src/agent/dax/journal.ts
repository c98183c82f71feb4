/**
 * The agent's DAX change journal, DATA-DIR/dax-journal.json (mode 0600): the change ids this agent has started to
 * execute, with the result once there is one. The dispatcher's one-at-a-time guard lives in memory, and a signed
 * command can be replayed (its nonce cache is in memory too), so without this a restart or a replay could run a
 * change twice. Written atomically (media/journal.ts writeAtomically: temporary file, fsync, rename, fsync of the
 * folder) before the first step ("started") and after the last (the result), so a change whose agent stopped
 * half-way stays started, never runnable again. The newest MAX_DAX_JOURNAL_ENTRIES are kept: far more than a
 * signed command lives (a replay of an older one is refused by its timestamp).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DaxChangeKind, DaxChangeResult } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { readJournalFile, writeAtomically } from '../media/journal.js';

export const DAX_JOURNAL_FILE = 'dax-journal.json';
export const MAX_DAX_JOURNAL_ENTRIES = 1000;

export interface DaxJournalEntry {
  change_id: string;
  kind: DaxChangeKind;
  /** ISO time the execution started (recorded before its first step) */
  started_at: string;
  /** the result, once the change finished (absent: it was running when the agent stopped, or still runs) */
  result?: DaxChangeResult;
}

interface JournalFile {
  version: 1;
  changes: DaxJournalEntry[];
}

type Log = Pick<FastifyBaseLogger, 'error'>;

export class DaxJournal {
  readonly file: string;
  private changes: DaxJournalEntry[];

  private constructor(file: string, changes: DaxJournalEntry[]) {
    this.file = file;
    this.changes = changes;
  }

  /** Reads DATA-DIR/dax-journal.json (absent: empty; damaged: moved aside with an error in the log, empty). */
  static open(dataDir: string, log: Log): DaxJournal {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, DAX_JOURNAL_FILE);
    const journal = readJournalFile(file, checkJournal, (problem, aside) => {
      log.error({ file, movedTo: aside }, `DAX change journal ${file} is damaged (${problem}): moved to ${aside}; ` +
        'changes executed before are no longer known, so a replayed execute of one of them would not be refused');
    });
    return new DaxJournal(file, journal?.changes ?? []);
  }

  get(changeId: string): DaxJournalEntry | undefined {
    return this.changes.find((c) => c.change_id === changeId);
  }

  /** Durably records that the change starts now (before its first step). */
  started(changeId: string, kind: DaxChangeKind, startedAt: string): void {
    this.write([...this.changes.filter((c) => c.change_id !== changeId), { change_id: changeId, kind, started_at: startedAt }]);
  }

  /** Durably records the change's result. */
  finished(changeId: string, result: DaxChangeResult): void {
    this.write(this.changes.map((c) => (c.change_id === changeId ? { ...c, result } : c)));
  }

  private write(changes: DaxJournalEntry[]): void {
    const kept = changes.slice(-MAX_DAX_JOURNAL_ENTRIES);
    writeAtomically(this.file, `${JSON.stringify({ version: 1, changes: kept } satisfies JournalFile)}\n`);
    this.changes = kept;
  }
}

function checkJournal(parsed: { version: 1 }): JournalFile | string {
  const j = parsed as Partial<JournalFile>;
  if (!Array.isArray(j.changes)) return 'no list of changes';
  for (const c of j.changes as unknown[]) {
    const entry = c as Partial<DaxJournalEntry> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.change_id !== 'string' || typeof entry.kind !== 'string'
      || typeof entry.started_at !== 'string' || (entry.result !== undefined && (typeof entry.result !== 'object' || entry.result === null))) {
      return 'a change entry is malformed';
    }
  }
  return j as JournalFile;
}
