/**
 * Reading an API Gateway HTTP API (v2) request: headers, path parameters, query and a JSON body,
 * with the size limit and validation every route shares.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { BadRequest, Invalid, TooLarge } from '../domain/errors.js';
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

/** The JSON body (size-checked); a missing body reads as `{}`. */
export function readJson(event: APIGatewayProxyEventV2, limit = MAX_BODY_BYTES): unknown {
  const text = rawBody(event, limit);
  if (text === undefined || text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not valid JSON.');
  }
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
