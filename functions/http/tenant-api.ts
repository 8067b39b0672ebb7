/**
 * The tenant-api Lambda: /tenant/v1, tenant admins' self-service with a tenant token. API Gateway
 * matches the route; this verifies the token (tenant-token-verifier.ts), refuses browser origins
 * the token's key does not list, validates, and calls the tenant use cases, which act on the
 * token's environment and tenant only.
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { Project } from '../domain/entities.js';
import { Forbidden, Invalid, NotFound, Unauthenticated } from '../domain/errors.js';
import { pathParameterProblems } from '../domain/schemas.js';
import type * as tenantSchemas from '../domain/tenant-schemas.js';
import type { Deps } from '../domain/use-cases/support.js';
import * as tenants from '../domain/use-cases/tenant-self-service.js';
import { DynamoStore } from '../data/dynamo-store.js';
import { documentClient } from '../shared/dynamodb.js';
import { requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';
import type { HttpHandler } from './admin-api.js';
import { errorResponse, json } from './errors.js';
import { originVerify } from './origin-verify.js';
import { headersOf, parseBody, parseQuery, rawBody } from './request.js';
import { routeKey, routes } from './routes.js';
import { createTenantVerifier, type TenantCaller, type TenantVerifier, type TenantVerifierOptions } from './tenant-token-verifier.js';

const BEARER = /^Bearer\s+(\S+)$/i;

interface TenantContext {
  deps: Deps;
  user: tenants.TenantUser;
  params: Record<string, string>;
  body: unknown;
  query: unknown;
}

type TenantHandler = (context: TenantContext) => Promise<unknown>;

const featureName = (context: TenantContext) => context.params.featureName ?? '';

/** Handlers by operation name, as the route table names them. */
const handlers: Record<string, TenantHandler> = {
  listTenantFeatures: ({ deps, user }) => tenants.listTenantFeatures(deps, user),
  getTenantFeature: (context) => tenants.getTenantFeature(context.deps, context.user, featureName(context)),
  setTenantFeatureValue: (context) => tenants.setTenantValue(context.deps, context.user, featureName(context), context.body as z.infer<typeof tenantSchemas.putTenantValueBody>),
  resetTenantFeatureValue: (context) => tenants.resetTenantValue(context.deps, context.user, featureName(context)),
  listTenantHistory: (context) => tenants.listTenantHistory(context.deps, context.user, context.query as z.infer<typeof tenantSchemas.tenantHistoryQuery>),
  listTenantSegments: async (c) => tenants.listTenantSegments(c.deps, c.user, await projectOf(c), c.query as z.infer<typeof tenantSchemas.tenantHistoryQuery>),
  createTenantSegment: async (c) => tenants.createTenantSegment(c.deps, c.user, await projectOf(c), c.body as z.infer<typeof tenantSchemas.tenantSegmentBody>),
  updateTenantSegment: async (c) => tenants.updateTenantSegment(c.deps, c.user, await projectOf(c), c.params.segmentId ?? '', c.body as z.infer<typeof tenantSchemas.tenantSegmentPatchBody>),
  deleteTenantSegment: async (c) => tenants.deleteTenantSegment(c.deps, c.user, await projectOf(c), c.params.segmentId ?? ''),
};

/** The project of the token's environment (segments are the project's). */
async function projectOf(context: TenantContext): Promise<Project> {
  const project = await context.deps.store.get({ type: 'project', id: context.user.environment.projectId });
  if (!project) throw new NotFound('No such project.');
  return project;
}

/**
 * A browser sends its page's origin: only the origins registered with the token's key may use
 * it (the settings panel runs on the customer's pages). Callers without an Origin (the
 * customer's servers) are not browsers, and CORS does not concern them.
 */
function corsHeaders(caller: TenantCaller, origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  if (!caller.key.allowedOrigins.includes(origin)) throw new Forbidden(`This tenant token may not be used from ${origin}: register the origin with the environment's tenant token key.`);
  return { 'access-control-allow-origin': origin, vary: 'origin' };
}

export function createTenantApi(deps: Deps, options: TenantVerifierOptions = {}): HttpHandler {
  const byKey = new Map(routes.filter((route) => route.function === 'tenant-api').map((route) => [routeKey(route), route]));
  const verify: TenantVerifier = createTenantVerifier(deps, options);
  // Tenant answers are one tenant's own: never cached by anyone.
  const noStore = { 'cache-control': 'no-store' };

  return async (event) => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    try {
      const route = byKey.get(event.routeKey);
      const handler = route && handlers[route.operation];
      if (!route || !handler || route.access.credential !== 'tenant-token') throw new NotFound('No such route.');
      const headers = headersOf(event);
      const token = BEARER.exec(headers.authorization ?? '')?.[1];
      if (!token) throw new Unauthenticated('Send a tenant token: Authorization: Bearer <JWT>.');
      const caller = await verify(token);
      const cors = corsHeaders(caller, headers.origin);
      const params = (event.pathParameters ?? {}) as Record<string, string>;
      const problems = pathParameterProblems(params);
      if (problems.length) throw new Invalid('The path is not valid.', problems);
      const body = route.body ? parseBody(event, route.body, route.maxBodyBytes) : rawBody(event) && undefined;
      const query = route.query ? parseQuery(event, route.query) : undefined;
      const user: tenants.TenantUser = { environment: caller.environment, tenant: caller.tenant, subject: caller.subject, ...(caller.name ? { name: caller.name } : {}) };
      const result = await handler({ deps, user, params, body, query });
      return json(route.status ?? 200, result, { ...noStore, ...cors });
    } catch (error) {
      const response = errorResponse(error, requestId, (cause) => logger.error('Unhandled error', { requestId, error: cause as Error }));
      return { ...response, headers: { ...response.headers, ...noStore } };
    }
  };
}

let instance: HttpHandler | undefined;

/** The Lambda entry: dependencies (and the tenant key cache) once per process. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(originVerify())
  .handler(async (event) => {
    instance ??= createTenantApi({ store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')), clock: () => new Date() });
    return instance(event);
  });
