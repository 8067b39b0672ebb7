/**
 * What the edge caches and for whom, declared once. CloudFront (lib/edge.ts: cache policies,
 * the viewer-request function, response headers), the sdk-api (the headers it sends, the one
 * credential it reads on cached routes, the edge routes of the route table), the local stack's
 * edge cache and the document-publisher's invalidations are all built from this module, which
 * imports nothing of theirs, so every layer can import it.
 *
 * The rules:
 * - Only CloudFront caches, and a cached answer is only ever served to a caller presenting the
 *   same credential: the cached routes accept the environment key in `X-Environment-Key` only
 *   (CloudFront forwards nothing else to them), and the cache key is that header.
 * - CloudFront's viewer-request function moves each cached request under `/edge/<edge key>/`,
 *   a hash of its environment key, so one environment's cached answers can be invalidated by
 *   exact paths instead of wildcards over every environment.
 * - Browsers and every other cache are told not to reuse an answer (`private, no-cache`) and
 *   that it varies by the key (`Vary`), so one page's keys never see each other's flags.
 */
import { createHash } from 'node:crypto';

/** The header Flagsmith SDKs send their environment key in: the only credential of cached routes. */
export const ENVIRONMENT_KEY_HEADER = 'X-Environment-Key';

/** How long the edge serves a cached answer, and serves it stale while refreshing or failing. */
export const edgeCaching = {
  maxAgeSeconds: 10,
  staleWhileRevalidateSeconds: 30,
  staleIfErrorSeconds: 86_400,
} as const;

/**
 * Cache-Control of a cached answer as the origin sends it, for the edge: `s-maxage` and the
 * stale directives are CloudFront's (it honours all three, and `s-maxage` over `max-age`:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html), and
 * `max-age=0` keeps a browser that reaches the origin directly from keeping it. No `private` or
 * `no-cache` here: with a minimum TTL of 0, CloudFront would then not cache it either.
 */
export const edgeCacheControl = `max-age=0, s-maxage=${edgeCaching.maxAgeSeconds}, stale-while-revalidate=${edgeCaching.staleWhileRevalidateSeconds}, stale-if-error=${edgeCaching.staleIfErrorSeconds}`;

/**
 * Cache-Control of a cached answer as viewers get it: the edge replaces the origin's, so no
 * browser or intermediary reuses an answer without asking (the Flagsmith web client polls
 * through fetch and obeys it). CloudFront's response headers policy writes it to the viewer
 * response only, and keeps caching by the origin's header:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/modifying-response-headers.html
 */
export const viewerCacheControl = 'private, no-cache';

/** Vary of a cached answer, for every cache downstream of the edge. */
export const viewerVary = `Origin, Accept-Encoding, ${ENVIRONMENT_KEY_HEADER}`;

/** Cache-Control of any other answer on a cached route (401, 403, 5xx...): nobody stores it. */
export const uncachedCacheControl = 'no-store';

/** A cached SDK route. */
export interface CachedRoute {
  /** The route's path in the route table (`/api/v1/flags`); SDKs add a trailing slash. */
  readonly path: string;
  /** Its operation in the route table. */
  readonly operation: string;
  /** The CDN path pattern of the viewer's request, with and without the trailing slash. */
  readonly pathPattern: string;
  /** Query string parameters in the cache key (and so forwarded); none means none forwarded. */
  readonly queryStrings: readonly string[];
  /** Whether only server keys get it (others get 403, which no cache keeps). */
  readonly serverKeysOnly: boolean;
  readonly description: string;
}

/**
 * The only answers the edge caches. Everything else (identities, analytics, OFREP, the
 * management API) passes through uncached: those answers depend on a body, an identity or a token.
 */
export const cachedRoutes = {
  flags: {
    path: '/api/v1/flags',
    operation: 'getEnvironmentFlags',
    pathPattern: '/api/v1/flags*',
    queryStrings: [],
    serverKeysOnly: false,
    description: 'Environment flags (GET /api/v1/flags/): one answer per environment key',
  },
  environmentDocument: {
    path: '/api/v1/environment-document',
    operation: 'getEnvironmentDocument',
    pathPattern: '/api/v1/environment-document*',
    // `page` selects a page of identity overrides (the Link header's next page).
    queryStrings: ['page'],
    serverKeysOnly: true,
    description: 'Environment document (GET /api/v1/environment-document/): one answer per server key and page',
  },
} as const satisfies Record<string, CachedRoute>;

/** The operation of a cached route as the edge forwards it (its own route in the route table). */
export const edgeOperationOf = (route: CachedRoute): string => `${route.operation}ViaEdge`;

const cachedByOperation = new Map<string, CachedRoute>(
  Object.values(cachedRoutes).flatMap((route): [string, CachedRoute][] => [
    [route.operation, route],
    [edgeOperationOf(route), route],
  ]),
);

/** The cached route an operation serves, directly or as the edge forwards it, if it is one. */
export const cachedRouteOf = (operation: string): CachedRoute | undefined => cachedByOperation.get(operation);

/**
 * Headers a CORS preflight (`OPTIONS`) needs at the origin, so API Gateway can answer it on the
 * cached paths too. They change no cached `GET` answer.
 */
export const PREFLIGHT_HEADERS = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'] as const;

/** The only request headers that reach the origin on a cached route: its cache key and the preflight's. */
export const FORWARDED_HEADERS = [ENVIRONMENT_KEY_HEADER, ...PREFLIGHT_HEADERS] as const;

/** Hex characters of the key's SHA-256 in its edge paths: 64 bits, enough to tell keys apart. */
export const EDGE_KEY_LENGTH = 16;

/** Where the viewer-request function puts cached requests: `/edge/<edge key>/api/v1/flags`. */
export const EDGE_PREFIX = '/edge';

/**
 * The edge key of a stored key hash (`hashSecret`, SHA-256 hex): its first characters. The
 * document-publisher computes it from the hashes it stores; the edge from the key the caller sends.
 */
export const edgeKeyOfHash = (keyHash: string): string => keyHash.slice(0, EDGE_KEY_LENGTH);

/** The edge key of an environment key, as CloudFront's viewer-request function computes it. */
export const edgeKeyOf = (secret: string): string => edgeKeyOfHash(createHash('sha256').update(secret).digest('hex'));

/** A cached route's path under an edge key, as the origin receives it. */
export const edgePathOf = (route: CachedRoute, edgeKey: string): string => `${EDGE_PREFIX}/${edgeKey}${route.path}`;

/** The route-table path of a cached route as the edge forwards it. */
export const edgeRoutePathOf = (route: CachedRoute): string => `${EDGE_PREFIX}/{edgeKey}${route.path}`;

/** The keys whose cached answers an invalidation drops (structurally the domain's `EdgeKeyRef`). */
export interface EdgeKeyRef {
  edgeKey: string;
  kind: 'client' | 'server';
}

/**
 * The CloudFront invalidation paths that drop every cached answer of these keys, and nothing
 * else: each route's exact path, and for a route with query strings in its cache key a wildcard
 * over them (an exact path drops only the answer without a query string). Routes a key cannot
 * read (a client key's document) were never cached. Sorted and deduplicated, so a retried batch
 * names the same paths.
 */
export function invalidationPathsOf(keys: readonly EdgeKeyRef[]): string[] {
  const paths = new Set<string>();
  for (const { edgeKey, kind } of keys) {
    for (const route of Object.values(cachedRoutes) as CachedRoute[]) {
      if (route.serverKeysOnly && kind !== 'server') continue;
      paths.add(`${edgePathOf(route, edgeKey)}${route.queryStrings.length > 0 ? '*' : ''}`);
    }
  }
  return [...paths].sort();
}
