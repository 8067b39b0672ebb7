/**
 * The one place where errors become HTTP answers: `{statusCode, error, message, details?}`.
 * Only errors under 500 say what went wrong; a 5xx names a request id and nothing else.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ZodError } from 'zod';
import { BadRequest, Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge, Unauthenticated, Unavailable } from '../domain/errors.js';
import { InvalidCursor, StoreLimitExceeded } from '../domain/ports.js';

const STATUS: [new (...args: never[]) => Error, number, string][] = [
  [Unauthenticated, 401, 'Unauthorized'],
  [Forbidden, 403, 'Forbidden'],
  [NotFound, 404, 'Not Found'],
  [Conflict, 409, 'Conflict'],
  [TooLarge, 413, 'Payload Too Large'],
  [Invalid, 422, 'Unprocessable Entity'],
  [BadRequest, 400, 'Bad Request'],
  [Unavailable, 503, 'Service Unavailable'],
];

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

/** zod issues as `{path, message}` pairs, the `details` of a 422. */
export const zodDetails = (error: Pick<ZodError, 'issues'>) =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));

/**
 * A zod validation error, recognised by what zod gives it (its name, and its issues) rather than
 * by `instanceof ZodError`: importing zod for the class would load it at every cold start of the
 * sdk-api, whose GETs never validate a body (its schemas load with the first request that does).
 */
export const isZodError = (error: unknown): error is Pick<ZodError, 'issues'> =>
  error instanceof Error && error.name === 'ZodError' && Array.isArray((error as Partial<ZodError>).issues);

/** Maps any error to a response; unexpected errors are reported to `log` and hidden from the caller. */
export function errorResponse(error: unknown, requestId: string, log: (error: unknown) => void): APIGatewayProxyStructuredResultV2 {
  const body = (statusCode: number, name: string, message: string, details?: unknown): ErrorBody => ({
    statusCode,
    error: name,
    message,
    ...(details === undefined ? {} : { details }),
  });
  if (isZodError(error)) return json(422, body(422, 'Unprocessable Entity', 'The request is not valid.', zodDetails(error)));
  if (error instanceof InvalidCursor) return json(400, body(400, 'Bad Request', error.message));
  // The store refused a write DynamoDB would refuse: the request asked for too much, nothing was written.
  if (error instanceof StoreLimitExceeded) {
    return error.limit === 'item-size' || error.limit === 'transaction-size'
      ? json(413, body(413, 'Payload Too Large', error.message, error.details))
      : json(422, body(422, 'Unprocessable Entity', error.message, error.details));
  }
  if (error instanceof DomainError) {
    const [, status, name] = STATUS.find(([type]) => error instanceof type) ?? [DomainError, 400, 'Bad Request'];
    return json(status, body(status, name, error.message, error.details));
  }
  log(error);
  return json(500, body(500, 'Internal Server Error', `Something went wrong on our side (request ${requestId}).`));
}
