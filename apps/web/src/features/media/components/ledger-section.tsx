import '@/features/media/media.css';
import { Bytes } from '@/components/ui/bytes';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { formatInteger } from '@/lib/format';
import { useLedger } from '../api/ledger';
import type { MediaFilter } from '../utils/filters';
import { LedgerTable } from './ledger-table';
import { NoMediaErrors } from './no-media-errors';

/** The open-range summary of the filter, and the ledger a page at a time. */
export function LedgerSection({ filter }: { filter: MediaFilter }) {
  const ledger = useLedger(filter);
  const entries = ledger.data?.pages.flatMap((page) => page.entries) ?? [];
  const first = ledger.data?.pages[0];
  const filtered = Object.values(filter).some((value) => value !== undefined);
  return (
    <section aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">Bad-block ledger</h2>
      {first !== undefined && (
        <p className="media-summary" aria-label="Open bad ranges">
          <strong className={first.open_count > 0 ? 'media-summary__open' : undefined}>{formatInteger(first.open_count)} open {first.open_count === 1 ? 'range' : 'ranges'}</strong>
          {', '}{formatInteger(first.open_sectors)} sectors (<Bytes value={first.open_sectors * 512} />){filtered ? ' matching the filters' : ''}
        </p>
      )}
      {ledger.isPending && <Loading label="Loading the ledger" />}
      {ledger.isError && <ErrorMessage title="Could not load the ledger" error={ledger.error} onRetry={() => void ledger.refetch()} />}
      {ledger.isSuccess && entries.length === 0 && <NoMediaErrors filtered={filtered} />}
      {entries.length > 0 && <LedgerTable entries={entries} showHost={filter.host === undefined} />}
      {ledger.hasNextPage && (
        <button type="button" className="button" disabled={ledger.isFetchingNextPage} onClick={() => void ledger.fetchNextPage()}>
          {ledger.isFetchingNextPage ? 'Loading older ranges…' : 'Show older ranges'}
        </button>
      )}
    </section>
  );
}
