import { NavLink, Outlet } from 'react-router';
import { paths } from '@/config/paths';
import { RequireRole } from '@/features/auth/components/require-role';

/** The admin area: its own tabs, and "You need the admin role" for anyone else who opens its URLs. */
export function AdminLayout() {
  return (
    <RequireRole role="admin">
      <div className="page-title"><h1>Admin</h1></div>
      <nav aria-label="Admin" className="tabs">
        <NavLink to={paths.admin.users.getHref()} className="tabs__link">Users</NavLink>
        <NavLink to={paths.admin.tokens.getHref()} className="tabs__link">API tokens</NavLink>
        <NavLink to={paths.admin.agents.getHref()} className="tabs__link">Agents</NavLink>
        <NavLink to={paths.admin.audit.getHref()} className="tabs__link">Audit</NavLink>
        <NavLink to={paths.admin.webhooks.getHref()} className="tabs__link">Webhooks</NavLink>
      </nav>
      <Outlet />
    </RequireRole>
  );
}
