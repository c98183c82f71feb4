import { ROLE_RANK, type Principal, type Role } from '@daxfleet/shared';

/** True when this principal's role is at least `role` (admin ⊃ operator ⊃ viewer), as the hub decides. */
export function hasRole(principal: Pick<Principal, 'role'> | undefined, role: Role): boolean {
  return principal !== undefined && ROLE_RANK[principal.role] >= ROLE_RANK[role];
}

export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  viewer: 'reads the fleet, hosts and history',
  operator: 'also runs actions on hosts (rescan)',
  admin: 'also manages users, API tokens, agents and reads the audit log',
};

/** "2 minutes", "1 hour 5 minutes", "45 seconds": a wait in words. */
export function formatWait(seconds: number): string {
  const total = Math.max(1, Math.ceil(seconds));
  const plural = (value: number, unit: string) => `${value} ${unit}${value === 1 ? '' : 's'}`;
  if (total < 60) return plural(total, 'second');
  const minutes = Math.ceil(total / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}
