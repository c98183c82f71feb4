import { createBrowserRouter, RouterProvider } from 'react-router';
import { useState } from 'react';
import { AppLayout } from '@/components/layout/app-layout';
import { paths } from '@/config/paths';
import { FleetRoute } from './routes/fleet';
import { HostRoute } from './routes/host';
import { NotFoundRoute } from './routes/not-found';
import { RouteErrorBoundary } from './routes/route-error';

export const routes = [
  {
    element: <AppLayout />,
    errorElement: <RouteErrorBoundary />,
    children: [
      { path: paths.fleet.path, element: <FleetRoute /> },
      { path: paths.host.path, element: <HostRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export function AppRouter() {
  const [router] = useState(() => createBrowserRouter(routes));
  return <RouterProvider router={router} />;
}
