/**
 * The sdk-api's routes, part of the route table (./routes.ts builds `routes` from them), in a
 * module of their own so the sdk-api imports them without the management API's routes and body
 * schemas: built at every cold start, they were most of its init time.
 */
import { cachedRouteOf, edgeOperationOf, edgeRoutePathOf } from '../edge/cache-rules.js';
import type { Access, Route } from './routes.js';

const clientKey: Access = { credential: 'environment-key', server: false };
const serverKey: Access = { credential: 'environment-key', server: true };

/** The hot path: Flagsmith's SDK API and OpenFeature's OFREP, served by the sdk-api function. */
export const sdkRoutes: Omit<Route, 'function'>[] = [
  { method: 'GET', path: '/api/v1/flags', operation: 'getEnvironmentFlags', access: clientKey, summary: 'Environment flags (Flagsmith)' },
  { method: 'GET', path: '/api/v1/identities', operation: 'getIdentityFlags', access: clientKey, summary: "An identity's flags and traits (Flagsmith)" },
  { method: 'POST', path: '/api/v1/identities', operation: 'postIdentityFlags', access: clientKey, summary: "Set traits and get an identity's flags (Flagsmith)" },
  { method: 'GET', path: '/api/v1/environment-document', operation: 'getEnvironmentDocument', access: serverKey, summary: 'The environment document for local evaluation (Flagsmith; server keys only)' },
  { method: 'POST', path: '/api/v1/analytics/flags', operation: 'postAnalytics', access: clientKey, summary: 'Flag evaluation counts (Flagsmith)' },
  { method: 'POST', path: '/ofrep/v1/evaluate/flags/{key}', operation: 'ofrepEvaluateFlag', access: clientKey, summary: 'Evaluate one flag (OFREP)' },
  { method: 'POST', path: '/ofrep/v1/evaluate/flags', operation: 'ofrepEvaluateFlags', access: clientKey, summary: 'Evaluate every flag (OFREP; ETag / If-None-Match)' },
];

/**
 * The cached SDK routes once more, as CloudFront's viewer-request function forwards them: under a
 * hash of the caller's environment key (functions/edge/cache-rules.ts). Same handler as the route's.
 */
export const edgeRoutes: Omit<Route, 'function'>[] = sdkRoutes.flatMap((route) => {
  const cached = cachedRouteOf(route.operation);
  return cached ? [{ ...route, path: edgeRoutePathOf(cached), operation: edgeOperationOf(cached), summary: `${route.summary}, as the edge forwards it` }] : [];
});

/** The routes the sdk-api function serves. */
export const sdkApiRoutes: Route[] = [...sdkRoutes, ...edgeRoutes].map((route): Route => ({ ...route, function: 'sdk-api' }));

/** API Gateway's route key for a route: `GET /admin/v1/projects/{projectId}`. */
export const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
