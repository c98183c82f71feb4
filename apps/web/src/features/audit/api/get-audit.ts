import type { AuditEntry } from '@daxfleet/shared';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

export const AUDIT_PAGE_SIZE = 50;

/** The filters of AuditQuerySchema (since/until as ISO date-times). */
export type AuditFilter = { actor?: string; action?: string; target?: string; result?: 'success' | 'failure'; since?: string; until?: string };
export type AuditPage = { entries: AuditEntry[]; next_before?: number };

export function getAudit({ filter, before, signal }: { filter: AuditFilter; before?: number; signal?: AbortSignal }): Promise<AuditPage> {
  return apiGet<AuditPage>('/audit', { query: { ...filter, limit: AUDIT_PAGE_SIZE, before }, signal });
}

export function getAuditQueryOptions(filter: AuditFilter) {
  return infiniteQueryOptions({
    queryKey: ['audit', filter] as const,
    queryFn: ({ pageParam, signal }) => getAudit({ filter, before: pageParam, signal }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (lastPage) => lastPage.next_before,
  });
}

/** GET /audit (admin): newest first, a page at a time ("Show older" asks for ids before the last one). */
export function useAudit(filter: AuditFilter) {
  return useInfiniteQuery(getAuditQueryOptions(filter));
}
