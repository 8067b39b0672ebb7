/**
 * Keeps callers off the raw execute-api endpoint: CloudFront adds a secret header to every request
 * it sends to the API (an origin custom header, lib/edge.ts), and the API functions answer 403 to a
 * request without it. The secret reaches the functions as ORIGIN_VERIFY_SECRET, resolved by
 * CloudFormation from Secrets Manager at deploy time (never in the template); where it is not set
 * (the local stack, the tests) nothing is checked. The header is removed from the request before
 * the handlers see it, so no log or error can echo it.
 */
import { timingSafeEqual } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { json } from './errors.js';

/** The header CloudFront adds; lower case, as API Gateway hands HTTP API headers to Lambda. */
export const ORIGIN_VERIFY_HEADER = 'x-vexilla-origin-verify';

/** Whether `given` is the secret, in time independent of where they differ. */
export function originVerified(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The check itself: the 403 to answer a request without the header (undefined when it may pass),
 * the header removed from the event either way. The sdk-api calls it without middy.
 */
export function originRejection(event: APIGatewayProxyEventV2, secret = process.env.ORIGIN_VERIFY_SECRET): APIGatewayProxyStructuredResultV2 | undefined {
  if (!secret) return undefined;
  const headers = event.headers ?? {};
  const name = Object.keys(headers).find((candidate) => candidate.toLowerCase() === ORIGIN_VERIFY_HEADER);
  const given = name === undefined ? undefined : headers[name];
  if (name !== undefined) delete headers[name];
  if (originVerified(given, secret)) return undefined;
  return json(403, { statusCode: 403, error: 'Forbidden', message: 'Call this API through its CloudFront URL (the CloudFrontUrl output), not the execute-api endpoint.' });
}

/** The middy middleware: 403 without the header, and the header removed with it. */
export function originVerify(secret = process.env.ORIGIN_VERIFY_SECRET): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return { before: (request) => originRejection(request.event, secret) };
}
