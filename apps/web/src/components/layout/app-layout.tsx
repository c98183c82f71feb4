import type { ReactNode } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { paths } from '@/config/paths';
import { LiveIndicator } from '@/features/media/components/live-indicator';

/**
 * The frame of every page: brand, main navigation, and (when someone is logged in) who it is.
 * `showAdmin`: the Admin link, for admins only (the admin pages and the API refuse everyone else anyway).
 */
export function AppLayout({ userMenu, showAdmin = false, children }: { userMenu?: ReactNode; showAdmin?: boolean; children?: ReactNode }) {
  return (
    <div className="app">
      <header className="app-header">
        <Link to={paths.fleet.getHref()} className="app-header__brand">daxfleet</Link>
        <nav aria-label="Main">
          <NavLink to={paths.fleet.getHref()} end className="app-header__link">Fleet</NavLink>
          <NavLink to={paths.media.path} className="app-header__link">Media errors</NavLink>
          <NavLink to={paths.recovery.list.path} className="app-header__link">Recovery</NavLink>
          <NavLink to={paths.capacity.path} className="app-header__link">Capacity</NavLink>
          {showAdmin && <NavLink to={paths.admin.root.path} className="app-header__link">Admin</NavLink>}
        </nav>
        <span className="app-header__tagline">persistent memory across the fleet</span>
        {userMenu !== undefined && <LiveIndicator />}
        {userMenu}
      </header>
      <main className="app-main">
        {children ?? <Outlet />}
      </main>
    </div>
  );
}
