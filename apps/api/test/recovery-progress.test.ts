/**
 * The agent's recovery progress poster against answers of the hub: a transient refusal is retried until the hub
 * takes the report; a refusal that can never change (the plan is unknown to the hub: 404, another host's: 403) drops
 * the report from the journal instead of retrying it forever.
 */
import type { RecoveryProgressReport } from '@daxfleet/shared';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECOVERY_JOURNAL_FILE, RecoveryJournal } from '../src/agent/recovery/journal.js';
import { PROGRESS_SEQ_BLOCK, RecoveryProgressPoster, type RecoveryProgressSender } from '../src/agent/recovery/progress.js';
import { HubRefusal } from '../src/agent/senders.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('daxfleet-recovery-progress-');
const quiet = (): void => {};
/** the agent's logger, silent: the tests assert on what was sent and journaled */
const log = { info: quiet, warn: quiet, error: quiet } as never;
afterAll(() => tmp.remove());
let dirs = 0;
const newDir = (): string => mkdtempSync(path.join(tmp.dir, `agent${dirs++}-`));

function report(seq: number, status: RecoveryProgressReport['status']): RecoveryProgressReport {
  return {
    host_id: 'h1', plan_id: 'plan1', seq, status,
    execution: { executed_by: 'user:op', started_at: new Date(0).toISOString(), steps: [] },
  };
}

describe('RecoveryProgressPoster', () => {
  it('retries a transient refusal (503) until the hub acknowledges, then forgets the run', async () => {
    const dir = newDir();
    const journal = RecoveryJournal.open(dir, log);
    let refusals = 2;
    const sent: number[] = [];
    const send: RecoveryProgressSender = async (r) => {
      sent.push(r.seq);
      if (refusals-- > 0) throw new HubRefusal(503, 'DAXFLEET_ERR_SERVER_CLOSING', 'closing');
      return { plan_id: r.plan_id, seq: r.seq };
    };
    const poster = new RecoveryProgressPoster({ send, journal, log, retryFirstMs: 5, retryMaxMs: 10 });
    poster.post('pmem0', report(1, 'verified'));
    await poster.idle();
    expect(sent).toEqual([1, 1, 1]);
    expect(RecoveryJournal.open(dir, log).get('plan1')).toBeUndefined();
  });

  it.each([404, 403, 400, 409])('drops a report the hub refuses for good (%i) instead of retrying it forever', async (status) => {
    const dir = newDir();
    const journal = RecoveryJournal.open(dir, log);
    const sent: number[] = [];
    const send: RecoveryProgressSender = async (r) => {
      sent.push(r.seq);
      throw new HubRefusal(status, 'DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND', 'no such plan');
    };
    const poster = new RecoveryProgressPoster({ send, journal, log, retryFirstMs: 5, retryMaxMs: 10 });
    poster.post('pmem0', report(1, 'executing'));
    poster.post('pmem0', report(2, 'failed'));
    await poster.idle();
    expect(sent).toEqual([1, 2]);
    expect(RecoveryJournal.open(dir, log).get('plan1')).toBeUndefined();
  });

  it('a journal that cannot record the acknowledgement is logged, and posting carries on (no unhandled rejection)', async () => {
    const dir = newDir();
    const journal = RecoveryJournal.open(dir, log);
    const errors: string[] = [];
    const sent: number[] = [];
    const send: RecoveryProgressSender = async (r) => {
      sent.push(r.seq);
      // the agent's data folder disappears while the report is on its way: acknowledging the final report fails
      if (r.seq === 2) rmSync(dir, { recursive: true, force: true });
      return { plan_id: r.plan_id, seq: r.seq };
    };
    const errorLog = { info: quiet, warn: quiet, error: (_o: unknown, message: string) => errors.push(message) } as never;
    const poster = new RecoveryProgressPoster({ send, journal, log: errorLog, retryFirstMs: 5, retryMaxMs: 10 });
    poster.post('pmem0', report(1, 'executing'));
    poster.post('pmem0', report(2, 'failed'));
    await expect(poster.idle()).resolves.toBeUndefined();
    expect(sent).toEqual([1, 2]);
    expect(errors).toEqual([expect.stringContaining("could not record the hub's acknowledgement")]);
    // the run stays in the agent's journal: its final report is posted again at the next start
    expect(journal.get('plan1')?.report.seq).toBe(2);
  });

  it('posts byte progress without journaling it: the journal keeps the step change and reserves seqs above the progress', async () => {
    const dir = newDir();
    const journal = RecoveryJournal.open(dir, log);
    const sent: number[] = [];
    let writes = 0;
    const send: RecoveryProgressSender = async (r) => {
      sent.push(r.seq);
      return { plan_id: r.plan_id, seq: r.seq };
    };
    const poster = new RecoveryProgressPoster({ send, journal, log, retryFirstMs: 5, retryMaxMs: 10 });
    poster.post('pmem0', report(1, 'executing'));
    const journalText = (): string => readFileSync(path.join(dir, RECOVERY_JOURNAL_FILE), 'utf8');
    let last = journalText();
    for (let seq = 2; seq <= PROGRESS_SEQ_BLOCK + 5; seq++) {
      poster.postProgress(report(seq, 'executing'));
      const now = journalText();
      if (now !== last) writes++;
      last = now;
    }
    await poster.idle();
    // every report reached the hub, in order (a later one may replace a queued one only after a failure)
    expect(sent).toEqual(Array.from({ length: PROGRESS_SEQ_BLOCK + 5 }, (_, i) => i + 1));
    // on disk: the step change (seq 1), and a reservation above every progress seq posted, written twice in all
    const onDisk = RecoveryJournal.open(dir, log).get('plan1');
    expect(onDisk?.report.seq).toBe(1);
    expect(onDisk?.seq_limit).toBeGreaterThanOrEqual(PROGRESS_SEQ_BLOCK + 5);
    expect(writes).toBe(2);
  });

  it.each([
    ['not JSON', '{"version": 1, "runs": ['],
    ['an unknown version', '{"version": 2, "runs": []}'],
    ['no list of runs', '{"version": 1}'],
  ])('a damaged journal (%s) is set aside for a person to look at, and the agent starts with none', (_what, text) => {
    const dir = newDir();
    writeFileSync(path.join(dir, RECOVERY_JOURNAL_FILE), text);
    const errors: string[] = [];
    const journal = RecoveryJournal.open(dir, { error: (_obj: unknown, message: string) => errors.push(message) } as never);
    expect(journal.get('plan1')).toBeUndefined();
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${RECOVERY_JOURNAL_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!), 'utf8')).toBe(text);
    expect(errors).toEqual([expect.stringContaining(`moved to ${path.join(dir, aside[0]!)}`)]);
    // and it journals again from there
    journal.record('pmem0', report(1, 'executing'));
    expect(RecoveryJournal.open(dir, log).get('plan1')?.report.seq).toBe(1);
  });

  it('a report enqueued just as the previous one was acknowledged is still sent (the run\'s final report)', async () => {
    // the second report arrives a few microtasks after the first was acknowledged: at some depth this is after the
    // drain loop decided to stop and before its promise settled; every depth must still deliver it
    for (let depth = 0; depth < 12; depth++) {
      const journal = RecoveryJournal.open(newDir(), log);
      const sent: number[] = [];
      let poster: RecoveryProgressPoster | undefined;
      const send: RecoveryProgressSender = async (r) => {
        sent.push(r.seq);
        if (r.seq === 1) {
          let p = Promise.resolve();
          for (let i = 0; i < depth; i++) p = p.then(() => undefined);
          void p.then(() => poster!.post('pmem0', report(2, 'verified')));
        }
        return { plan_id: r.plan_id, seq: r.seq };
      };
      poster = new RecoveryProgressPoster({ send, journal, log, retryFirstMs: 5, retryMaxMs: 10 });
      poster.post('pmem0', report(1, 'executing'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await poster.idle();
      expect(sent, `depth ${depth}`).toEqual([1, 2]);
    }
  });
});
