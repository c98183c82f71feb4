import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { paths } from '@/config/paths';

/** Last-resort boundary: a render error in a page, shown instead of a blank screen. */
export function RouteErrorBoundary() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error ? error.message : String(error);
  return (
    <section className="error-message" role="alert">
      <h1>Something went wrong</h1>
      <p>{message}</p>
      <p><Link to={paths.fleet.getHref()}>Back to the fleet</Link></p>
    </section>
  );
}
