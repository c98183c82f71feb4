import { Link } from 'react-router';
import { paths } from '@/config/paths';

export function NotFoundRoute() {
  return (
    <section>
      <title>Page not found · daxfleet</title>
      <h1>Page not found</h1>
      <p>There is no page at this address. <Link to={paths.fleet.getHref()}>Back to the fleet</Link></p>
    </section>
  );
}
