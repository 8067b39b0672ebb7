/**
 * Every page is its own chunk, loaded when its route is first visited (route-level code
 * splitting): the shell's initial JavaScript stays small however many pages there are.
 */
import { createBrowserRouter, Navigate, RouterProvider, type RouteObject, useLocation } from 'react-router';
import { MembershipGate } from '../features/auth/components/user-menu';
import { prefetchFlagsPage } from '../api/queries';
import { authorization, useSession } from '../lib/auth';
import { HomeRoute } from './home';
import { NotFound } from './not-found';
import { queryClient } from './provider';
import { Shell } from './shell';

function RequireSession({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return children;
}

const page = (load: () => Promise<{ default: React.ComponentType }>): Pick<RouteObject, 'lazy'> => ({
  lazy: async () => ({ Component: (await load()).default }),
});

const scopedRoutes: RouteObject[] = [
  { index: true, element: <Navigate to="flags" replace /> },
  {
    path: 'flags',
    // A loader declared here (not in the lazy module) runs while the page's chunk downloads.
    loader: ({ params }) => {
      if (params.projectId && authorization()) prefetchFlagsPage(queryClient, params.projectId);
      return null;
    },
    ...page(() => import('../features/flags/routes/flags')),
  },
  { path: 'flags/:featureName', ...page(() => import('../features/flags/routes/feature')) },
  { path: 'segments', ...page(() => import('../features/segments/routes/segments')) },
  { path: 'segments/new', ...page(() => import('../features/segments/routes/segment')) },
  { path: 'segments/:segmentId', ...page(() => import('../features/segments/routes/segment')) },
  { path: 'identities', ...page(() => import('../features/identities/routes/identities')) },
  { path: 'identities/:identifier', ...page(() => import('../features/identities/routes/identity')) },
  { path: 'change-requests', ...page(() => import('../features/change-requests/routes/change-requests')) },
  { path: 'change-requests/:changeRequestId', ...page(() => import('../features/change-requests/routes/change-request')) },
  { path: 'scheduled-changes', ...page(() => import('../features/scheduled-changes/routes/scheduled-changes')) },
  { path: 'rollouts', ...page(() => import('../features/rollouts/routes/rollouts')) },
  { path: 'tenants', ...page(() => import('../features/tenants/routes/tenants')) },
  { path: 'tenants/:tenantKey', ...page(() => import('../features/tenants/routes/tenant')) },
  { path: 'audit', ...page(() => import('../features/audit/routes/audit')) },
  { path: 'webhooks', ...page(() => import('../features/webhooks/routes/webhooks')) },
  { path: 'webhooks/:webhookId', ...page(() => import('../features/webhooks/routes/webhook')) },
  { path: 'stale-flags', ...page(() => import('../features/stale-flags/routes/stale-flags')) },
  { path: 'keys', ...page(() => import('../features/keys/routes/keys')) },
  { path: 'analytics', ...page(() => import('../features/analytics/routes/analytics')) },
  { path: 'members', ...page(() => import('../features/members/routes/members')) },
  { path: '*', element: <NotFound /> },
];

const router = createBrowserRouter([
  { path: '/sign-in', ...page(() => import('../features/auth/routes/sign-in')) },
  // DASHBOARD_CALLBACK_PATH (functions/domain/sign-in.ts): registered with the identity provider.
  { path: '/auth/callback', ...page(() => import('../features/auth/routes/callback')) },
  {
    path: '/',
    element: (
      <RequireSession>
        <HomeRoute />
      </RequireSession>
    ),
  },
  {
    path: '/o/:orgId/p/:projectId/e/:envId',
    element: (
      <RequireSession>
        <MembershipGate>
          <Shell />
        </MembershipGate>
      </RequireSession>
    ),
    children: scopedRoutes,
  },
  { path: '*', element: <NotFound /> },
]);

export function AppRouter() {
  return <RouterProvider router={router} />;
}
