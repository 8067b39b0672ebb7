/**
 * CORS, declared once: API Gateway's CORS configuration (CDK) and the local server's emulation
 * of it are both built from this. Browsers call the SDK API directly with environment keys.
 */
export const cors = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'x-environment-key', 'x-api-key', 'flagsmith-application-name', 'flagsmith-application-version', 'flagsmith-sdk-user-agent'],
  exposeHeaders: ['etag', 'link', 'x-flagsmith-document-updated-at', 'retry-after'],
  maxAgeSeconds: 3600,
} as const;
