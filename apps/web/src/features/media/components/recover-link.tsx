import type { LedgerEntry } from '@daxfleet/shared';
import { Link } from 'react-router';
import { paths } from '@/config/paths';

/**
 * Step 1: "Recover…" from an open bad range of the ledger (clear-errors, scrub-recheck, and file actions once a file
 * is chosen) or from one file the range hits (file actions). Accessible names: "Recover range region2+131072" and
 * "Recover /mnt/pmem/orders.tbl on region2+131072".
 */
export function RecoverLink({ entry, path }: { entry: LedgerEntry; path?: string | undefined }) {
  if (entry.state !== 'open') return null;
  const name = `${entry.range.region}+${entry.range.region_offset}`;
  const href = paths.recovery.new.getHref({
    host: entry.host_id, region: entry.range.region, offset: entry.range.region_offset, length: entry.range.length, path,
  });
  return (
    <Link to={href} className="button recover-link" aria-label={path === undefined ? `Recover range ${name}` : `Recover ${path} on ${name}`}>
      Recover…
    </Link>
  );
}
