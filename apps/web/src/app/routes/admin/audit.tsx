import { useSearchParams } from 'react-router';
import type { AuditFilter } from '@/features/audit/api/get-audit';
import { AuditLog } from '@/features/audit/components/audit-log';

/** The audit filter a link carries (/admin/audit?action=&actor=&target=&result=&since=&until=), e.g. a recovery plan's entries (target=plan:<id>). */
function filterFromParams(params: URLSearchParams): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of ['actor', 'action', 'target', 'since', 'until'] as const) {
    const value = params.get(key);
    if (value !== null && value !== '') filter[key] = value;
  }
  const result = params.get('result');
  if (result === 'success' || result === 'failure') filter.result = result;
  return filter;
}

export function AdminAuditRoute() {
  const [searchParams] = useSearchParams();
  return (
    <>
      <title>Audit · daxfleet</title>
      <h2>Audit log</h2>
      <AuditLog initialFilter={filterFromParams(searchParams)} />
    </>
  );
}
