/**
 * Verification of a recovery run: never trust a return code, read the bad blocks again. A fresh scan through the
 * RecoveryHost (regionN/badblocks and /sys/block/pmemX/badblocks, combined by badRangesOf) says which sectors of
 * the range are still listed; together with the checks the steps made (range-not-in-file, file-readable, ...)
 * that gives the verdict:
 * - cleared: nothing of the range is listed any more and every check passed;
 * - still-present: something is still listed, every other check passed (the detail says why it stays listed);
 * - failed: a step or a check failed.
 */
import { badRangesOf, type BadRange, type RangeRef, type RecoveryAgentPlan, type RecoveryCheck, type RecoveryVerification } from '@daxfleet/shared';
import type { RecoveryHost } from './plan.js';

export interface VerifyInput {
  plan: RecoveryAgentPlan;
  /** the checks the steps made, in order */
  checks: readonly RecoveryCheck[];
  /** a step failed: what happened */
  failure?: string;
}

/**
 * Checks that may fail while the range stays listed and still give still-present: they say why it stays listed
 * (the platform refused to clear the poison), they are not a fault of the run.
 */
const EXPLAINS_REMAINING = new Set(['sectors-written', 'bus-cleared']);

/** The sectors of `range` that `listed` still names, merged, in region order. */
export function remainingSectors(listed: readonly Pick<BadRange, 'region' | 'region_offset' | 'length'>[], range: RangeRef):
  { region_offset: number; length: number }[] {
  const start = range.region_offset;
  const end = range.region_offset + range.length;
  const pieces = listed
    .filter((r) => r.region === range.region && r.region_offset < end && r.region_offset + r.length > start)
    .map((r) => [Math.max(start, r.region_offset), Math.min(end, r.region_offset + r.length)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of pieces) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged.map(([s, e]) => ({ region_offset: s, length: e - s }));
}

export function sectorCount(pieces: readonly { length: number }[]): number {
  return pieces.reduce((n, p) => n + p.length, 0);
}

function describeRange(range: RangeRef): string {
  return `${range.region} sectors ${range.region_offset}+${range.length}`;
}

/** Why a range is still listed after the action, in the operator's words. */
function stillPresentDetail(plan: RecoveryAgentPlan, remaining: number, checks: readonly RecoveryCheck[]): string {
  const what = `${remaining} of ${plan.request.range.length} sectors of ${describeRange(plan.request.range)} are still listed bad.`;
  switch (plan.action) {
    case 'punch-hole':
    case 'truncate':
    case 'delete-restore':
      return `${what} The file no longer uses them; the freed blocks stay listed until the filesystem allocates them ` +
        'again and zeroes them through the driver, which clears the poison on a platform that can clear it.';
    case 'clear-errors': {
      const failed = checks.find((c) => EXPLAINS_REMAINING.has(c.id) && !c.ok);
      if (failed !== undefined) {
        return `${what} The platform did not clear the poison (no clear-error support, e.g. QEMU's emulated NVDIMM): ${failed.detail}`;
      }
      return `${what} The sectors were written, but the platform did not clear the poison: run scrub-recheck, or ` +
        'replace the DIMM if the range keeps coming back.';
    }
    case 'scrub-recheck':
      return `${what} The scrub finished and still finds them: the media error is real. Recover the data on it ` +
        '(punch-hole, truncate or delete-restore of the file, or clear-errors on an unused device).';
  }
}

function clearedDetail(plan: RecoveryAgentPlan): string {
  const range = describeRange(plan.request.range);
  return plan.action === 'scrub-recheck'
    ? `The scrub finished and no longer lists ${range}.`
    : `No sector of ${range} is listed bad any more (regionN/badblocks and the block device re-read).`;
}

export async function verifyRecovery(host: RecoveryHost, input: VerifyInput): Promise<RecoveryVerification> {
  const now = host.now ?? (() => new Date());
  const { plan } = input;
  const checks: RecoveryCheck[] = [];
  let remaining: { region_offset: number; length: number }[] = [];
  let rereadFailed: string | undefined;
  try {
    remaining = remainingSectors(badRangesOf(await host.scan()), plan.request.range);
    checks.push({
      id: 'range-reread', ok: remaining.length === 0,
      detail: remaining.length === 0
        ? `re-read the bad blocks: no sector of ${describeRange(plan.request.range)} is listed`
        : `re-read the bad blocks: ${sectorCount(remaining)} sectors still listed (${remaining.map((r) => `${r.region_offset}+${r.length}`).join(', ')})`,
    });
  } catch (err) {
    rereadFailed = `the bad blocks could not be re-read: ${(err as Error).message}`;
    checks.push({ id: 'range-reread', ok: false, detail: rereadFailed });
  }
  checks.push(...input.checks);

  const failedCheck = input.checks.find((c) => !c.ok && !(remaining.length > 0 && EXPLAINS_REMAINING.has(c.id)));
  let verdict: RecoveryVerification['verdict'];
  let detail: string;
  if (input.failure !== undefined || rereadFailed !== undefined || failedCheck !== undefined) {
    verdict = 'failed';
    detail = input.failure ?? rereadFailed ?? (failedCheck as RecoveryCheck).detail;
    if (remaining.length > 0) detail += ` ${sectorCount(remaining)} sectors of the range are still listed bad.`;
  } else if (remaining.length > 0) {
    verdict = 'still-present';
    detail = stillPresentDetail(plan, sectorCount(remaining), input.checks);
  } else {
    verdict = 'cleared';
    detail = clearedDetail(plan);
  }
  return { verdict, remaining, checks, detail, verified_at: now().toISOString() };
}
