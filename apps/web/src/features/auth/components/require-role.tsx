import type { Role } from '@daxfleet/shared';
import type { ReactNode } from 'react';
import { Notice } from '@/components/ui/notice';
import { useMe } from '../api/get-me';
import { hasRole } from '../utils/roles';

/** Renders its children only for this role or a higher one (the hub refuses the API calls anyway). */
export function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const me = useMe();
  if (me.data === undefined) return null;
  if (!hasRole(me.data, role)) {
    return (
      <Notice title={`You need the ${role} role`}>
        <p>
          You are logged in as <strong>{me.data.name}</strong> with the {me.data.role} role. This page needs the {role} role:
          ask an admin to change your role.
        </p>
      </Notice>
    );
  }
  return <>{children}</>;
}

/** Renders its children for this role or a higher one, and nothing otherwise (actions a role cannot run). */
export function IfRole({ role, children }: { role: Role; children: ReactNode }) {
  const me = useMe();
  return hasRole(me.data, role) ? <>{children}</> : null;
}
