import type { InventoryVersion } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { useInventoryHistory } from '../api/get-inventory-history';
import { describeChange } from '../utils/describe-change';

function VersionEntry({ version, current }: { version: InventoryVersion; current: boolean }) {
  return (
    <li className="history__version">
      <div className="history__head">
        <h3 className="history__title">Version {version.version}</h3>
        {current && <Badge tone="info">current</Badge>}
        <span className="muted">
          first seen <RelativeTime iso={version.first_seen} />, last seen <RelativeTime iso={version.last_seen} />
        </span>
        <span className="muted">
          · <Bytes value={version.summary.total_capacity} />, {version.summary.namespace_count} namespaces,{' '}
          {version.summary.badblock_count} bad blocks
        </span>
      </div>
      {version.changes.length === 0 ? (
        <p className="muted">{version.version === 1 ? 'First inventory reported by this host.' : 'No recorded changes.'}</p>
      ) : (
        <ul className="history__changes" aria-label={`Changes in version ${version.version}`}>
          {version.changes.map((change, index) => (
            <li key={`${change.object}:${change.field ?? change.kind}:${index}`} className={`history__change history__change--${change.kind}`}>
              {describeChange(change)}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** Inventory versions of a host, newest first, with what changed in each. */
export function InventoryHistory({ hostId }: { hostId: string }) {
  const history = useInventoryHistory(hostId);
  return (
    <section className="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {history.isPending && <Loading label="Loading inventory history" />}
      {history.isError && (
        <ErrorMessage title="Could not load the inventory history" error={history.error} onRetry={() => void history.refetch()} />
      )}
      {history.isSuccess && (
        <>
          <ol className="history__list">
            {history.data.pages.flatMap((page) => page.versions).map((version, index) => (
              <VersionEntry key={version.version} version={version} current={index === 0} />
            ))}
          </ol>
          {history.hasNextPage && (
            <button type="button" className="button" disabled={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
              {history.isFetchingNextPage ? 'Loading older versions…' : 'Show older versions'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
