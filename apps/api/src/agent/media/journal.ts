/**
 * The agent's media journal, DATA-DIR/media-journal.json (mode 0600): the known media state (open bad ranges,
 * last DIMM health, bus scrub) and the outbox of events the hub has not acknowledged yet, in ONE file so they
 * can never disagree. It is rewritten atomically (temporary file, fsync, rename, fsync of the folder) before a
 * report carrying new events is sent, and again when the hub acknowledges events:
 * - a crash after the write and before the send: the restarted agent finds the events in the outbox and sends
 *   them with the same ids (the hub stores an id once), and its known state already includes their ranges, so
 *   nothing is raised twice;
 * - a crash before the write: nothing was sent, the next scan derives the same changes again.
 * A file that cannot be parsed is moved aside (media-journal.json.corrupt-<time>) with an error in the log, and
 * the agent starts fresh (it then reports the ranges it sees as new: the hub keeps one ledger row per range).
 * The outbox is capped (MAX_OUTBOX events): past it the oldest events are dropped with a warning, so a hub that
 * stays away for weeks cannot fill the disk.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { MEDIA_EVENT_TYPES, type MediaEvent } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { MediaState } from './derive.js';

export const MEDIA_JOURNAL_FILE = 'media-journal.json';
export const MAX_OUTBOX = 10_000;

interface JournalFile {
  version: 1;
  /** absent until the first scan was recorded */
  state?: MediaState;
  /** unacknowledged events, oldest first */
  outbox: MediaEvent[];
}

type Log = Pick<FastifyBaseLogger, 'warn' | 'error'>;

export class MediaJournal {
  readonly file: string;
  private data: JournalFile;
  private readonly log: Log;
  private readonly maxOutbox: number;

  private constructor(file: string, data: JournalFile, log: Log, maxOutbox: number) {
    this.file = file;
    this.data = data;
    this.log = log;
    this.maxOutbox = maxOutbox;
  }

  /** Reads DATA-DIR/media-journal.json (absent: empty; corrupt: set aside, empty). */
  static open(dataDir: string, log: Log, opts: { maxOutbox?: number } = {}): MediaJournal {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, MEDIA_JOURNAL_FILE);
    return new MediaJournal(file, readJournal(file, log), log, opts.maxOutbox ?? MAX_OUTBOX);
  }

  /** the known state; undefined before the first recorded scan (a fresh install) */
  get state(): MediaState | undefined {
    return this.data.state;
  }

  /** unacknowledged events, oldest first */
  get outbox(): readonly MediaEvent[] {
    return this.data.outbox;
  }

  /**
   * Records a scan's new state and events, durably, before they are sent. Writes only when something changed
   * (a state equal to the stored one and no events: nothing to do).
   */
  record(state: MediaState, events: readonly MediaEvent[]): void {
    if (events.length === 0 && this.data.state !== undefined && JSON.stringify(state) === JSON.stringify(this.data.state)) return;
    let outbox = [...this.data.outbox, ...events];
    if (outbox.length > this.maxOutbox) {
      const dropped = outbox.length - this.maxOutbox;
      outbox = outbox.slice(dropped);
      this.log.warn({ dropped, kept: outbox.length, file: this.file },
        `media outbox full (${this.maxOutbox} events the hub has not acknowledged): dropped the ${dropped} oldest; ` +
        'check that the agent reaches its hub');
    }
    this.write({ version: 1, state, outbox });
  }

  /** Drops events the hub acknowledged; returns how many were removed. */
  acknowledge(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    const acked = new Set(ids);
    const outbox = this.data.outbox.filter((e) => !acked.has(e.id));
    const removed = this.data.outbox.length - outbox.length;
    if (removed > 0) this.write({ ...this.data, outbox });
    return removed;
  }

  private write(data: JournalFile): void {
    writeAtomically(this.file, `${JSON.stringify(data)}\n`);
    this.data = data;
  }
}

/** temporary file in the same folder, fsync, rename over the file, fsync the folder (so the rename is durable) */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function readJournal(file: string, log: Log): JournalFile {
  return readJournalFile(file, checkJournal, (problem, aside) => {
    log.error({ file, movedTo: aside }, `media journal ${file} is damaged (${problem}): moved to ${aside}; starting ` +
      'fresh (ranges on this host are reported again as new; events not yet acknowledged by the hub in the old file are lost)');
  }) ?? { version: 1, outbox: [] };
}

/**
 * The version-1 JSON journal in `file` as `check` accepts it, or undefined when there is none. A file that is not
 * JSON, not a version-1 object, or that `check` refuses (it returns what is wrong) is moved aside
 * (FILE.corrupt-<time>, kept for a person to look at) and `damaged` is told why and where: one damaged file never
 * stops the agent.
 */
export function readJournalFile<T extends object>(file: string, check: (journal: { version: 1 }) => T | string,
  damaged: (problem: string, movedTo: string) => void): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const problem = parseJournal(text, check);
  if (typeof problem !== 'string') return problem;
  const aside = `${file}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;
  renameSync(file, aside);
  damaged(problem, aside);
  return undefined;
}

/** The journal `check` makes of the text, or what is wrong with it. */
function parseJournal<T>(text: string, check: (journal: { version: 1 }) => T | string): T | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof parsed !== 'object' || parsed === null) return 'not an object';
  const j = parsed as Record<string, unknown>;
  if (j.version !== 1) return `unknown version ${JSON.stringify(j.version)}`;
  return check(j as { version: 1 });
}

/** The version-1 journal as this file's shape, or what is wrong with it. */
function checkJournal(parsed: { version: 1 }): JournalFile | string {
  const j = parsed as Partial<JournalFile>;
  if (!Array.isArray(j.outbox)) return 'no outbox list';
  const types = new Set<string>(MEDIA_EVENT_TYPES);
  for (const e of j.outbox as unknown[]) {
    const ev = e as Partial<MediaEvent> | null;
    if (typeof ev !== 'object' || ev === null || typeof ev.id !== 'string' || typeof ev.type !== 'string' || !types.has(ev.type)) {
      return 'an outbox entry is not an event';
    }
  }
  if (j.state !== undefined) {
    const s = j.state as Partial<MediaState> | null;
    if (typeof s !== 'object' || s === null || !Array.isArray(s.ranges) || typeof s.dimms !== 'object' || s.dimms === null ||
      typeof s.scrub !== 'object' || s.scrub === null) return 'malformed known state';
  }
  return j as JournalFile;
}
