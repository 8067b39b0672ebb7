/**
 * How long the edge (CloudFront, or the local stack's edge cache) may serve the cacheable SDK
 * answers (`flags/`, `environment-document/`), declared once: the sdk-api sends it as
 * Cache-Control and the CDN's cache policies are built from it. Stale answers keep flowing while
 * the origin is refreshed or failing, so flags keep serving through an outage.
 */
export const edgeCaching = {
  maxAgeSeconds: 10,
  staleWhileRevalidateSeconds: 30,
  staleIfErrorSeconds: 86_400,
} as const;

export const edgeCacheControl = `public, max-age=${edgeCaching.maxAgeSeconds}, stale-while-revalidate=${edgeCaching.staleWhileRevalidateSeconds}, stale-if-error=${edgeCaching.staleIfErrorSeconds}`;

/** The header Flagsmith SDKs send their environment key in: part of every cached answer's key. */
export const ENVIRONMENT_KEY_HEADER = 'X-Environment-Key';

/** A cached SDK route: the CDN path pattern, and the query strings that change its answer. */
export interface CachedRoute {
  /** Matches the path with and without the trailing slash the SDKs send (`/api/v1/flags/`). */
  readonly pathPattern: string;
  /** Query string parameters in the cache key (and so forwarded); none means none forwarded. */
  readonly queryStrings: readonly string[];
  readonly description: string;
}

/**
 * The only answers the edge caches, as data: CloudFront's behaviours (lib/edge.ts) and the local
 * stack's edge cache are both built from it. Everything else (identities, analytics, OFREP, the
 * management API) passes through uncached: those answers depend on a body, an identity or a token.
 */
export const cachedRoutes = {
  flags: {
    pathPattern: '/api/v1/flags*',
    queryStrings: [],
    description: 'Environment flags (GET /api/v1/flags/): one answer per environment key',
  },
  environmentDocument: {
    pathPattern: '/api/v1/environment-document*',
    // `page` selects a page of identity overrides (the Link header's next page).
    queryStrings: ['page'],
    description: 'Environment document (GET /api/v1/environment-document/): one answer per server key and page',
  },
} as const satisfies Record<string, CachedRoute>;
