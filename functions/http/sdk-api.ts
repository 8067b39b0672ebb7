/**
 * The sdk-api Lambda: the hot path that SDKs call. Flagsmith's SDK API under /api/v1 and OFREP
 * under /ofrep/v1, authenticated by environment keys and served from in-memory snapshots.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { BadRequest, Forbidden, Invalid, NotFound, Unauthenticated } from '../domain/errors.js';
import type { Deps } from '../domain/use-cases/support.js';
import { leanDocumentTable } from '../data/lean-dynamodb.js';
import { TableStore } from '../data/table-store.js';
import { type CachedRoute, cachedRouteOf, ENVIRONMENT_KEY_HEADER, edgeKeyOf, uncachedCacheControl } from '../edge/cache-rules.js';
import { identityIdleSecondsFromEnv, requiredEnv } from '../shared/env.js';
import type { HttpHandler } from './admin-api.js';
import { originRejection } from './origin-verify.js';
import { errorResponse } from './errors.js';
import { headersOf } from './request.js';
import { routeKey, sdkApiRoutes } from './sdk-routes.js';
import type { SdkHandler } from './sdk/context.js';
import { EnvironmentCache, type EnvironmentCacheOptions } from './sdk/environment-cache.js';
import * as flagsmith from './sdk/flagsmith.js';
import * as ofrep from './sdk/ofrep.js';

const handlers: Record<string, SdkHandler> = {
  getEnvironmentFlags: flagsmith.getEnvironmentFlags,
  getIdentityFlags: flagsmith.getIdentityFlags,
  postIdentityFlags: flagsmith.postIdentityFlags,
  getEnvironmentDocument: flagsmith.getEnvironmentDocument,
  postAnalytics: flagsmith.postAnalytics,
  ofrepEvaluateFlag: ofrep.ofrepEvaluateFlag,
  ofrepEvaluateFlags: ofrep.ofrepEvaluateFlags,
};

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Flagsmith SDKs send X-Environment-Key; OFREP clients send a bearer token or X-API-Key. A cached
 * route reads X-Environment-Key alone: it is the edge's cache key, and the only credential
 * CloudFront forwards there, so an answer is only ever served to a caller presenting the key
 * that fetched it (functions/edge/cache-rules.ts).
 */
function secretOf(headers: Record<string, string>, cached: CachedRoute | undefined): string | undefined {
  const environmentKey = headers[ENVIRONMENT_KEY_HEADER.toLowerCase()];
  if (cached) return environmentKey;
  return environmentKey ?? BEARER.exec(headers.authorization ?? '')?.[1] ?? headers['x-api-key'];
}

/** Any answer of a cached route but a cacheable one is kept by no cache, under no key. */
function uncachedUnlessOk(result: APIGatewayProxyStructuredResultV2, cached: CachedRoute | undefined): APIGatewayProxyStructuredResultV2 {
  const status = result.statusCode ?? 200;
  if (!cached || status === 200 || status === 304) return result;
  return { ...result, headers: { ...result.headers, 'cache-control': uncachedCacheControl } };
}

/** The Lambda context of the invocation being served, for the error log's fields. */
let lambdaContext: Context | undefined;

/**
 * Logs an unhandled error with the Powertools logger (the same fields as every function's logs),
 * loaded with the first error: a cold start, and every request that succeeds, never load it.
 */
async function logUnhandled(requestId: string, error: unknown): Promise<void> {
  const { logger } = await import('../shared/logger.js');
  if (lambdaContext) logger.addContext(lambdaContext);
  logger.error('Unhandled error', { requestId, error: error as Error });
}

/** `cache`: a cache the caller keeps, to forget snapshots when it publishes (the local stack). */
export function createSdkApi(deps: Deps, options: EnvironmentCacheOptions & { cache?: EnvironmentCache } = {}): HttpHandler {
  const cache = options.cache ?? new EnvironmentCache(deps.store, options);
  const byKey = new Map(sdkApiRoutes.map((route) => [routeKey(route), route]));

  return async (event) => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const route = byKey.get(event.routeKey);
    const isOfrep = route?.path.startsWith('/ofrep/') ?? false;
    const params = (event.pathParameters ?? {}) as Record<string, string>;
    const cached = route && cachedRouteOf(route.operation);
    try {
      const handler = route && handlers[cached?.operation ?? route.operation];
      if (!route || !handler || route.access.credential !== 'environment-key') throw new NotFound('No such route.');
      const headers = headersOf(event);
      const secret = secretOf(headers, cached);
      if (!secret) {
        throw new Unauthenticated(
          cached
            ? `Send the environment key in ${ENVIRONMENT_KEY_HEADER}: this answer is cached at the edge, by that header only.`
            : 'Send an environment key: X-Environment-Key, Authorization: Bearer or X-API-Key.',
        );
      }
      const key = await cache.key(secret);
      if (!key) throw new Unauthenticated('The environment key is unknown or revoked.');
      // The edge's path names the key it hashed: a request naming another key is not the edge's.
      if (params.edgeKey !== undefined && params.edgeKey !== edgeKeyOf(secret)) throw new BadRequest(`The path's edge key is not the one of ${ENVIRONMENT_KEY_HEADER}.`);
      if (route.access.server && key.kind !== 'server') throw new Forbidden('This needs a server key (ser.…); client keys cannot read it.');
      // Only the environment document lists tenants (IN lists); evaluations read the identity's own.
      // A tenant-scoped key sees its tenant's data only, in documents and evaluations alike.
      const snapshot = await (key.tenantKey !== undefined
        ? cache.snapshot(key.envId, 'all', key.tenantKey)
        : cache.snapshot(key.envId, handler === flagsmith.getEnvironmentDocument ? 'all' : 'own'));
      if (!snapshot) throw new Unauthenticated('The environment of this key no longer exists.');
      // An edge key equal to the caller's (checked above) is well formed by construction (a
      // SHA-256 prefix); any other path parameter (OFREP's flag key) is checked against the route
      // table's schemas, loaded with the first request that names one.
      const { edgeKey: _verified, ...unchecked } = params;
      const problems = Object.keys(unchecked).length ? (await import('./sdk/inputs.js')).pathParameterProblems(unchecked) : [];
      if (problems.length) {
        // A flag key that cannot be a feature name names no flag (OFREP's FLAG_NOT_FOUND).
        if (isOfrep) throw new ofrep.OfrepError(404, 'FLAG_NOT_FOUND', 'No flag by that key in this environment.');
        throw new Invalid('The path is not valid.', problems);
      }
      const tenant = (tenantKey: string) => cache.tenant(snapshot, tenantKey);
      return uncachedUnlessOk(await handler({ deps, key, snapshot, tenant, event, headers, params }), cached);
    } catch (error) {
      if (error instanceof ofrep.OfrepError) return ofrep.ofrepErrorResponse(error, isOfrep && params.key !== undefined ? params.key : undefined);
      let unhandled: { cause: unknown } | undefined;
      const response = errorResponse(error, requestId, (cause) => (unhandled = { cause }));
      if (unhandled) await logUnhandled(requestId, unhandled.cause);
      return uncachedUnlessOk(response, cached);
    }
  };
}

let instance: HttpHandler | undefined;

/**
 * The Lambda entry: one store and one snapshot cache per process. No middy and no logger on the
 * way in (a fifth of a cold start's init): the origin check is a call, the logger loads on an error.
 */
export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  lambdaContext = context;
  const rejected = originRejection(event);
  if (rejected) return rejected;
  instance ??= createSdkApi(
    // The lean DynamoDB client, not the AWS SDK's: a cold start loads it in a fraction of the time.
    { store: new TableStore(leanDocumentTable(), requiredEnv('TABLE_NAME')), clock: () => new Date(), identityIdleSeconds: identityIdleSecondsFromEnv() },
    // How often the published-document marker is checked, and the longest a snapshot is kept
    // even when the marker has not moved (a lagging document-publisher).
    { ttlMs: Number(process.env.SNAPSHOT_TTL_MS ?? 1000), maxAgeMs: Number(process.env.SNAPSHOT_MAX_AGE_MS ?? 60_000) },
  );
  return instance(event);
};
