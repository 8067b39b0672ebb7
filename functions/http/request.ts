/**
 * Reading an API Gateway HTTP API (v2) request: headers, path parameters, query and a JSON body,
 * with the size limit and validation every route shares.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { BadRequest, Invalid, TooLarge } from '../domain/errors.js';
import { illFormedString, jsonTextDepth } from '../domain/json-checks.js';
import { LIMITS } from '../domain/limits.js';
import { zodDetails } from './errors.js';

/** Bodies above this size are refused before they are parsed. */
export const MAX_BODY_BYTES = 256 * 1024;

export function headersOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  return headers;
}

export function rawBody(event: APIGatewayProxyEventV2, limit = MAX_BODY_BYTES): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > limit) {
    throw new TooLarge(`The body is larger than ${Math.round(limit / 1024)} KB.`, { limitBytes: limit });
  }
  return text;
}

/** A JSON escape of a UTF-16 surrogate (`\\uD83D`): only then can parsed strings hold a lone one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The JSON body (size-checked); a missing body reads as `{}`. Bodies nested deeper than
 * {@link LIMITS.bodyDepth} are refused before parsing, so nothing downstream (zod, the AWS SDK,
 * JSON.stringify) recurses into them; strings must be Unicode (no lone surrogates).
 */
export function readJson(event: APIGatewayProxyEventV2, limit = MAX_BODY_BYTES): unknown {
  const text = rawBody(event, limit);
  if (text === undefined || text.trim() === '') return {};
  if (jsonTextDepth(text, LIMITS.bodyDepth) > LIMITS.bodyDepth) {
    throw new BadRequest(`The body is nested more than ${LIMITS.bodyDepth} levels deep.`, { maxDepth: LIMITS.bodyDepth });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not valid JSON.');
  }
  const illFormed = SURROGATE_ESCAPE.test(text) ? illFormedString(parsed) : undefined;
  if (illFormed !== undefined) {
    throw new BadRequest(`The body has a string that is not valid Unicode (a lone surrogate) at ${illFormed}.`, [{ path: illFormed, message: 'lone surrogate' }]);
  }
  return parsed;
}

/** Parses and validates a JSON body; a missing body is read as `{}`. */
export function parseBody<T>(event: APIGatewayProxyEventV2, schema: z.ZodType<T>, limit = MAX_BODY_BYTES): T {
  return validate(schema, readJson(event, limit), 'The body is not valid.');
}

export function parseQuery<T>(event: APIGatewayProxyEventV2, schema: z.ZodType<T>): T {
  return validate(schema, event.queryStringParameters ?? {}, 'The query string is not valid.');
}

export function validate<T>(schema: z.ZodType<T>, input: unknown, message: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new Invalid(message, zodDetails(result.error));
  return result.data;
}
