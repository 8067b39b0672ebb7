/**
 * The one API layer: openapi-fetch typed by schema.gen.ts (generated from the route table's
 * OpenAPI document), with the session's credential on every request. Errors become ApiError,
 * which carries the API's `{statusCode, error, message, details}`; a 401 ends the session.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { authorization, bearer, signOut } from '../lib/auth';
import type { components, operations, paths } from './schema.gen';

export type Schemas = components['schemas'];
/** The JSON body an operation takes, by its operationId in the route table. */
export type Body<Operation extends keyof operations> = NonNullable<operations[Operation]['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;

export interface FieldProblem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** 422 details as a field → message map (`value`, `weights.opt_1`, ...). */
  fieldErrors(): Record<string, string> {
    if (!Array.isArray(this.details)) return {};
    const errors: Record<string, string> = {};
    for (const item of this.details as FieldProblem[]) if (item && typeof item.path === 'string') errors[item.path] ??= item.message;
    return errors;
  }
}

/** Dispatched on window when an answer suggests the caller's access changed. */
export const ACCESS_CHANGED = 'vexilla:access-changed';

const auth: Middleware = {
  async onRequest({ request }) {
    // A person's ID token is renewed here shortly before it expires.
    const header = await bearer();
    if (header) request.headers.set('authorization', header);
    return request;
  },
  onResponse({ request, response }) {
    // The credential was revoked, is unknown or expired: back to sign-in (the router watches the
    // session), saying why. Only if it is still the one this request sent.
    const sent = request.headers.get('authorization');
    if (response.status === 401 && sent && sent === authorization()) signOut('You were signed out: the API no longer accepts this sign-in. Sign in again.');
    // A person removed from an organisation (or given fewer roles) meets 403s and 404s: the shell
    // asks again who they are and says so.
    if ((response.status === 403 || response.status === 404) && sent) window.dispatchEvent(new Event(ACCESS_CHANGED));
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '/' });
api.use(auth);

/** The data of an openapi-fetch answer, or an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { statusCode?: number; error?: string; message?: string; details?: unknown };
  throw new ApiError(response.status, body.error ?? response.statusText, body.message ?? `The request failed (${response.status}).`, body.details);
}

/** Every page of a paginated list. */
export async function fetchAll<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const result = await page(cursor);
    items.push(...result.items);
    cursor = result.cursor;
  } while (cursor);
  return items;
}
