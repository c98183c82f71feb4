import { useNavigate } from 'react-router';
import { AppLayout } from '@/components/layout/app-layout';
import { paths } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { RequireSession } from '@/features/auth/components/require-session';
import { UserMenu } from '@/features/auth/components/user-menu';
import { hasRole } from '@/features/auth/utils/roles';

/** Every page behind the login: the layout with who is logged in, their role, and Log out. */
export function AppRoot() {
  const me = useMe();
  const navigate = useNavigate();
  const userMenu = me.data === undefined
    ? undefined
    : <UserMenu principal={me.data} onLoggedOut={() => void navigate(paths.login.getHref(), { replace: true })} />;
  return (
    <RequireSession>
      <AppLayout userMenu={userMenu} showAdmin={hasRole(me.data, 'admin')} />
    </RequireSession>
  );
}
