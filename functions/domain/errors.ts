/**
 * Domain errors carry no HTTP: one mapping point (functions/http/errors.ts) turns them into
 * `{statusCode, error, message, details}` responses.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The credentials are missing, malformed, unknown or revoked. */
export class Unauthenticated extends DomainError {
  override readonly name = 'Unauthenticated';
}

/** Known credentials without the role the operation needs. */
export class Forbidden extends DomainError {
  override readonly name = 'Forbidden';
}

/** No such resource, or one the caller may not know exists (another organisation's). */
export class NotFound extends DomainError {
  override readonly name = 'NotFound';
}

/** The request conflicts with the stored state: a stale version, a duplicate name. */
export class Conflict extends DomainError {
  override readonly name = 'Conflict';
}

/** The request is well-formed but its content is invalid; `details` lists the fields. */
export class Invalid extends DomainError {
  override readonly name = 'Invalid';
}

/** The request could not be read at all (malformed JSON, a bad cursor). */
export class BadRequest extends DomainError {
  override readonly name = 'BadRequest';
}

/** The request body is larger than the service accepts. */
export class TooLarge extends DomainError {
  override readonly name = 'TooLarge';
}

/** Something the request depends on is out of reach (the identity provider's keys): try again. */
export class Unavailable extends DomainError {
  override readonly name = 'Unavailable';
}
