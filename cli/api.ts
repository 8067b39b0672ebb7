/**
 * The management API, called by operation name: the method and path come from the route table
 * (functions/http/routes.ts), so the CLI cannot drift from the API it drives.
 */
import { ApiError, CliError } from './errors.js';
import { type HttpAnswer, send } from './http.js';
import { managementRoutes } from './route-table.js';
import type { ApiTarget } from './target.js';

const byOperation = new Map<string, { method: string; path: string }>(managementRoutes.map((route) => [route.operation, route]));

/** Operations of the management API (what the CLI must cover). */
export const adminOperations = (): string[] => [...byOperation.keys()];

export type Params = Record<string, string | number>;
export type Query = Record<string, string | number | boolean | undefined>;

export function pathOf(operation: string, params: Params = {}, query: Query = {}): { method: string; path: string } {
  const route = byOperation.get(operation);
  if (!route) throw new Error(`No route named ${operation} in the route table.`);
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${operation} needs {${name}}.`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const qs = search.toString();
  return { method: route.method, path: qs ? `${path}?${qs}` : path };
}

/** What to tell a user after an API error, by status. */
function hintFor(status: number, target: ApiTarget): string {
  switch (status) {
    case 401:
      return `The API at ${target.apiUrl} does not know this token (from ${target.source}). Check VEXILLA_TOKEN; \`vexilla whoami\` shows what is used.`;
    case 403:
      return 'The token lacks the role this needs: ask an organisation admin for one (`vexilla tokens create`).';
    case 409:
      return 'Someone or something changed it meanwhile, or governance refuses the direct write: look again and retry.';
    default:
      return '';
  }
}

export class Api {
  constructor(readonly target: ApiTarget) {}

  /** Calls an operation; the JSON answer, or an ApiError. */
  async call<T = any>(operation: string, params: Params = {}, options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}): Promise<T> {
    const response = await this.send(operation, params, options);
    const text = await response.text();
    const parsed = text ? parseJson(text) : undefined;
    if (!response.ok) throw new ApiError(response.status, parsed as { message?: string } | undefined, hintFor(response.status, this.target));
    return parsed as T;
  }

  /** Calls an operation and returns the answer unread (export streams its exact bytes). */
  async send(operation: string, params: Params = {}, options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
    const { method, path } = pathOf(operation, params, options.query);
    return this.request(method, path, options.body, options.headers);
  }

  /** Any method and path (for `vexilla api`). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const url = `${this.target.apiUrl}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      return await send(url, {
        method,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const local = this.target.local ? ' Is `npm run dev` still running?' : '';
      throw new CliError(`Could not reach ${this.target.apiUrl} (${cause}), from ${this.target.source}.${local}`);
    }
  }

  /** Every item of a paginated list. */
  async listAll<T = any>(operation: string, params: Params = {}, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call<{ items: T[]; cursor?: string }>(operation, params, { query: { ...query, limit: 1000, cursor } });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return items;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
