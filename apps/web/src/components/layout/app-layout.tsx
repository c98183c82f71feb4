import { Link, NavLink, Outlet } from 'react-router';
import { paths } from '@/config/paths';

export function AppLayout() {
  return (
    <div className="app">
      <header className="app-header">
        <Link to={paths.fleet.getHref()} className="app-header__brand">daxfleet</Link>
        <nav aria-label="Main">
          <NavLink to={paths.fleet.getHref()} end className="app-header__link">Fleet</NavLink>
        </nav>
        <span className="app-header__tagline">persistent memory across the fleet</span>
      </header>
      <main className="app-main">
        <Outlet />
      </main>
    </div>
  );
}
