/*
 * /recovery/new?host=&region=&offset=&length=&path=: the bad range (as the ledger shows it), the files it hits, and
 * the form that asks the agent for a plan. Accessible names the e2e walk relies on are listed in ../README.md.
 */
import type { RangeRef } from '@daxfleet/shared';
import { Link } from 'react-router';
import { Bytes } from '@/components/ui/bytes';
import { DescriptionList } from '@/components/ui/description-list';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { paths } from '@/config/paths';
import { formatInteger } from '@/lib/format';
import { useOpenRange } from '../api/open-range';
import '../recovery.css';
import { RecoveryRequestForm } from './recovery-request-form';

export function NewRecoveryPage({ hostId, range, path }: { hostId: string; range: RangeRef; path?: string | undefined }) {
  const entry = useOpenRange(hostId, range);
  const name = `${range.region}+${range.region_offset}`;
  const found = entry.data ?? undefined;
  return (
    <>
      <title>{`Recover ${name} · daxfleet`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.media.getHref(hostId)}>Media errors</Link> <span aria-hidden="true">/</span> <span>Recover {name}</span>
      </nav>
      <h1>Recover a bad range</h1>
      <section aria-label="Bad range" className="panel">
        <DescriptionList items={[
          { term: 'Host', value: <Link to={paths.host.getHref(hostId)}>{found?.hostname ?? hostId}</Link> },
          { term: 'Range', value: <><code>{name}</code> ({formatInteger(range.length)} {range.length === 1 ? 'sector' : 'sectors'}, <Bytes value={range.length * 512} />)</> },
          { term: 'Namespace', value: found?.range.namespace === undefined ? undefined : `${found.range.namespace}${found.range.namespace_mode === undefined ? '' : ` (${found.range.namespace_mode})`}` },
          { term: 'Device', value: found?.range.blockdev ?? found?.range.chardev },
          { term: 'SPA', value: found?.range.spa === undefined ? undefined : <code>{found.range.spa}</code> },
          { term: 'Filesystem', value: found?.files === undefined ? undefined : <><code>{found.files.mountpoint}</code> ({found.files.fstype})</> },
        ]} />
        {entry.isPending && <Loading label="Looking the range up in the ledger" />}
        {entry.isError && <ErrorMessage title="Could not look the range up in the ledger" error={entry.error} />}
        {entry.data === null && (
          <p className="text-warning" role="note">
            The ledger has no open range {name} on this host (cleared since, or not reported yet). The hub plans only open ranges of
            its ledger: it says so if you ask for a plan.
          </p>
        )}
      </section>
      <p>
        Choose how to recover. Every action is first planned on the host as a dry run that changes nothing: you then review the exact
        steps and the data they lose before an operator executes it. See the kernel&apos;s DAX documentation, &quot;Handling Media Errors&quot;.
      </p>
      {!entry.isPending && <RecoveryRequestForm hostId={hostId} range={range} initialPath={path} entry={entry.data} />}
    </>
  );
}
