import type { Principal } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { useLogout } from '../api/logout';

/** The header's "who am I": name, role and a Log out button. */
export function UserMenu({ principal, onLoggedOut }: { principal: Principal; onLoggedOut: () => void }) {
  const logoutMutation = useLogout({ onSettled: onLoggedOut });
  return (
    <div className="user-menu" aria-label="Logged in user" role="group">
      <span className="user-menu__name">{principal.name}</span>
      <Badge tone={principal.role === 'admin' ? 'warning' : principal.role === 'operator' ? 'info' : 'muted'}>{principal.role}</Badge>
      {principal.kind === 'user' && (
        <button type="button" className="button button--header" disabled={logoutMutation.isPending} onClick={() => logoutMutation.mutate()}>
          {logoutMutation.isPending ? 'Logging out…' : 'Log out'}
        </button>
      )}
    </div>
  );
}
