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
