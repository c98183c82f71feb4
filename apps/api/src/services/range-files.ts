/**
 * The files each open bad range hits (issue 6), as the agents mapped them: table range_file_maps, one row per host
 * and range (region + region-relative offset + length, the ledger's identity of a range), holding the agent's
 * RangeFiles as JSON.
 *
 * Written only inside the report's transaction (services/ingest.ts): an agent sends range_files only when its
 * mapping changed since the last acknowledged report, and always as the COMPLETE set for the host, so the hub
 * replaces the host's rows with the report's set (delete, then insert). A range the set leaves out hits nothing
 * mapped (no filesystem over it, or a filesystem the agent cannot map). Reports without range_files leave the
 * rows alone (the steady state: nothing to write).
 *
 * Read by the ledger (services/ledger.ts): LedgerEntry.files for OPEN rows only. A cleared range's files are
 * history the agent no longer maps; its row here goes with the next set the agent sends (the cleared range is
 * not in it).
 */
import { badRangeKey, type RangeFiles } from '@daxfleet/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';

/**
 * Replaces the host's mapped ranges with `set` (the report's complete range_files), inside the report's
 * transaction. A set that names one range twice is refused with a 400 before anything is written (the caller
 * checks with checkRangeFiles first; this repeats it so no path writes a half set).
 */
export async function replaceRangeFiles(
  tx: Prisma.TransactionClient, hostId: string, set: readonly RangeFiles[], receivedAt: Date,
): Promise<void> {
  checkRangeFiles(set);
  await tx.rangeFileMap.deleteMany({ where: { hostId } });
  if (set.length === 0) return;
  await tx.rangeFileMap.createMany({
    data: set.map((files) => ({
      hostId,
      region: files.region,
      regionOffset: files.region_offset,
      length: files.length,
      files: JSON.stringify(files),
      mappedAt: new Date(files.mapped_at),
      receivedAt,
    })),
  });
}

/**
 * A report's range_files must name each range once (it is the host's complete set, keyed like the ledger).
 * Throws a 400 DAXFLEET_ERR_REQUEST_VALIDATION naming the first repeated range and its two positions.
 */
export function checkRangeFiles(set: readonly RangeFiles[]): void {
  const seen = new Map<string, number>();
  set.forEach((files, index) => {
    const key = badRangeKey(files);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', `body/range_files/${index} maps range ${files.region} ` +
        `offset ${files.region_offset} length ${files.length} again (already at body/range_files/${first}): send ` +
        'each bad range once, with all the hits of its filesystem');
    }
    seen.set(key, index);
  });
}

export interface RangeRef {
  hostId: string;
  region: string;
  regionOffset: number;
  length: number;
}

/** `${hostId} ${badRangeKey}`: the key rangeFilesOf answers by. */
export function rangeRefKey(ref: RangeRef): string {
  return `${ref.hostId} ${badRangeKey({ region: ref.region, region_offset: ref.regionOffset, length: ref.length })}`;
}

/**
 * The stored mappings of these ranges, by rangeRefKey. One query per call: every row of the ranges' hosts (a
 * host's set is as large as its open ranges under a filesystem, a handful), matched to the ranges here.
 */
export async function rangeFilesOf(
  prisma: PrismaClient | Prisma.TransactionClient, refs: readonly RangeRef[],
): Promise<Map<string, RangeFiles>> {
  const out = new Map<string, RangeFiles>();
  if (refs.length === 0) return out;
  const wanted = new Set(refs.map(rangeRefKey));
  const rows = await prisma.rangeFileMap.findMany({
    where: { hostId: { in: [...new Set(refs.map((r) => r.hostId))] } },
    select: { hostId: true, region: true, regionOffset: true, length: true, files: true },
  });
  for (const row of rows) {
    const key = rangeRefKey(row);
    if (wanted.has(key)) out.set(key, JSON.parse(row.files) as RangeFiles);
  }
  return out;
}
