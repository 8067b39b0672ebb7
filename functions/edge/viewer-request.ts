/**
 * CloudFront's viewer-request function (cloudfront-js-2.0) on the cached behaviours, generated
 * from the cache rules: it moves a request for a cached route under `/edge/<edge key>`, where
 * the edge key is the first characters of the SHA-256 of the caller's `X-Environment-Key`
 * (`edgeKeyOf`). CloudFront keys its cache on the rewritten path (plus the key header itself)
 * and forwards it to the origin, whose route table has the same paths; invalidating
 * `/edge/<edge key>/...` then drops exactly one key's answers.
 *
 * The local stack's edge cache runs this same source (functions/local/edge-cache.ts), so the
 * code CloudFront runs is the code the tests exercise.
 */
import { cachedRoutes, EDGE_KEY_LENGTH, EDGE_PREFIX, ENVIRONMENT_KEY_HEADER } from './cache-rules.js';

/** Viewer path (with and without the SDKs' trailing slash) -> route path. */
const routePaths = Object.fromEntries(Object.values(cachedRoutes).flatMap((route) => [[route.path, route.path], [`${route.path}/`, route.path]]));

/** The function's JavaScript, for `FunctionCode.fromInline` (and the local edge cache). */
export const viewerRequestSource = `// Generated from functions/edge/cache-rules.ts: cached requests go under a hash of their environment key.
var crypto = require('crypto');
var ROUTES = ${JSON.stringify(routePaths)};
function handler(event) {
  var request = event.request;
  var path = ROUTES[request.uri];
  if (path === undefined) return request;
  var header = request.headers[${JSON.stringify(ENVIRONMENT_KEY_HEADER.toLowerCase())}];
  var key = header ? header.value : '';
  var edgeKey = crypto.createHash('sha256').update(key).digest('hex').slice(0, ${EDGE_KEY_LENGTH});
  request.uri = ${JSON.stringify(EDGE_PREFIX)} + '/' + edgeKey + path;
  return request;
}
`;
