import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { paths } from '@/config/paths';
import { isUnauthenticated } from '@/lib/api-client';
import { useMe } from '../api/get-me';

/**
 * The pages behind a login. Nobody logged in (401) → /login?next=<this page>; a one-time password not yet
 * replaced → /change-password. Any later 401 from the API refetches "me" (see app/provider.tsx), which lands here.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  if (me.isPending) return <Loading label="Checking your session" />;
  if (me.isError && isUnauthenticated(me.error)) return <Navigate to={paths.login.getHref(here)} replace />;
  // any other failure (hub unreachable) after a good answer keeps the pages, which say their data is stale
  if (me.data === undefined) {
    return <ErrorMessage title="Could not check your session" error={me.error} onRetry={() => void me.refetch()} />;
  }
  if (me.data.must_change_password === true && location.pathname !== paths.changePassword.path) {
    return <Navigate to={paths.changePassword.getHref()} replace />;
  }
  return <>{children}</>;
}
