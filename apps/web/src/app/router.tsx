import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { useState } from 'react';
import { paths } from '@/config/paths';
import { AdminLayout } from './routes/admin/admin-layout';
import { AdminAgentsRoute } from './routes/admin/agents';
import { AdminAuditRoute } from './routes/admin/audit';
import { AdminTokensRoute } from './routes/admin/tokens';
import { AdminUsersRoute } from './routes/admin/users';
import { AppRoot } from './routes/app-root';
import { ChangePasswordRoute } from './routes/change-password';
import { CapacityRoute } from './routes/dax/capacity';
import { DaxChangeRoute } from './routes/dax/dax-change';
import { HostDaxRoute } from './routes/dax/host-dax';
import { FleetRoute } from './routes/fleet';
import { HostRoute } from './routes/host';
import { MediaRoute } from './routes/media';
import { RecoveryListRoute } from './routes/recovery/recovery-list';
import { RecoveryNewRoute } from './routes/recovery/recovery-new';
import { RecoveryPlanRoute } from './routes/recovery/recovery-plan';
import { AdminWebhooksRoute } from './routes/admin/webhooks';
import { LoginRoute } from './routes/login';
import { NotFoundRoute } from './routes/not-found';
import { RouteErrorBoundary } from './routes/route-error';

export const routes = [
  { path: paths.login.path, element: <LoginRoute />, errorElement: <RouteErrorBoundary /> },
  {
    element: <AppRoot />,
    errorElement: <RouteErrorBoundary />,
    children: [
      { path: paths.fleet.path, element: <FleetRoute /> },
      { path: paths.host.path, element: <HostRoute /> },
      { path: paths.hostDax.path, element: <HostDaxRoute /> },
      { path: paths.daxChange.path, element: <DaxChangeRoute /> },
      { path: paths.capacity.path, element: <CapacityRoute /> },
      { path: paths.media.path, element: <MediaRoute /> },
      { path: paths.recovery.list.path, element: <RecoveryListRoute /> },
      { path: paths.recovery.new.path, element: <RecoveryNewRoute /> },
      { path: paths.recovery.plan.path, element: <RecoveryPlanRoute /> },
      { path: paths.changePassword.path, element: <ChangePasswordRoute /> },
      {
        path: paths.admin.root.path,
        element: <AdminLayout />,
        children: [
          { index: true, element: <Navigate to={paths.admin.users.getHref()} replace /> },
          { path: paths.admin.users.path, element: <AdminUsersRoute /> },
          { path: paths.admin.tokens.path, element: <AdminTokensRoute /> },
          { path: paths.admin.agents.path, element: <AdminAgentsRoute /> },
          { path: paths.admin.audit.path, element: <AdminAuditRoute /> },
          { path: paths.admin.webhooks.path, element: <AdminWebhooksRoute /> },
        ],
      },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
];

export function AppRouter() {
  const [router] = useState(() => createBrowserRouter(routes));
  return <RouterProvider router={router} />;
}
