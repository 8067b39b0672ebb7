/**
 * What CloudFront does for the local stack: cache the cacheable SDK answers with the same routes
 * and cache keys (functions/http/edge-caching.ts) and honour the origin's Cache-Control —
 * `max-age`, `stale-while-revalidate` and `stale-if-error` — so flags keep serving when the
 * origin fails, as they would in production.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { cachedRoutes, ENVIRONMENT_KEY_HEADER } from '../http/edge-caching.js';

type Result = APIGatewayProxyStructuredResultV2;

interface Entry {
  result: Result;
  storedAt: number;
  maxAge: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  refreshing?: Promise<void>;
}

/** Cache-Control seconds by directive (`max-age`, `stale-if-error`, ...). */
function directives(header: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of String(header ?? '').split(',')) {
    const [name, value] = part.trim().split('=');
    if (name && value !== undefined && /^\d+$/.test(value)) out[name.toLowerCase()] = Number(value);
  }
  return out;
}

const matches = (pattern: string, path: string) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern);

export interface EdgeRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

export class EdgeCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by each invalidation: an origin answer fetched before it is not stored after it. */
  private generation = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The cache key of a request, or undefined when the edge passes it through uncached. */
  keyOf(request: EdgeRequest): string | undefined {
    if (request.method !== 'GET') return undefined;
    const route = Object.values(cachedRoutes).find((candidate) => matches(candidate.pathPattern, request.url.pathname));
    if (!route) return undefined;
    const query = route.queryStrings.map((name) => `${name}=${request.url.searchParams.get(name) ?? ''}`).join('&');
    const key = request.headers[ENVIRONMENT_KEY_HEADER.toLowerCase()] ?? '';
    return JSON.stringify([route.pathPattern, request.url.pathname.replace(/\/$/, ''), key, query]);
  }

  /**
   * Answers a request through the cache: fresh entries directly, entries within
   * stale-while-revalidate directly while refreshing behind, and entries within stale-if-error
   * when the origin fails (throws or answers 5xx). The `x-cache` header says which.
   */
  async fetch(request: EdgeRequest, origin: () => Promise<Result>): Promise<Result> {
    const key = this.keyOf(request);
    if (key === undefined) return origin();
    const entry = this.entries.get(key);
    const age = entry ? (this.now() - entry.storedAt) / 1000 : Infinity;
    if (entry && age < entry.maxAge) return this.tagged(entry.result, 'Hit from edge');
    if (entry && age < entry.maxAge + entry.staleWhileRevalidate) {
      entry.refreshing ??= this.load(key, origin)
        .then(() => undefined)
        .catch(() => undefined);
      return this.tagged(entry.result, 'Hit from edge (stale, revalidating)');
    }
    try {
      const result = await this.load(key, origin);
      if ((result.statusCode ?? 200) >= 500 && entry && age < entry.maxAge + entry.staleIfError) {
        return this.tagged(entry.result, 'Error from origin, stale from edge');
      }
      return this.tagged(result, 'Miss from edge');
    } catch (error) {
      if (entry && age < entry.maxAge + entry.staleIfError) return this.tagged(entry.result, 'Error from origin, stale from edge');
      throw error;
    }
  }

  /**
   * Drops the entries of the paths, for every environment key and query, as a CloudFront
   * invalidation does (a trailing `*` matches any suffix). Returns how many were dropped.
   */
  invalidate(paths: readonly string[]): number {
    this.generation++;
    let dropped = 0;
    for (const key of [...this.entries.keys()]) {
      const [, path] = JSON.parse(key) as [string, string];
      if (paths.some((pattern) => matches(pattern, path) || matches(pattern, `${path}/`))) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** Fetches from the origin and keeps the answer when it is a cacheable 200. */
  private async load(key: string, origin: () => Promise<Result>): Promise<Result> {
    const generation = this.generation;
    const result = await origin();
    const control = directives(result.headers?.['cache-control']);
    if (generation === this.generation && (result.statusCode ?? 200) === 200 && control['max-age'] !== undefined) {
      this.entries.set(key, {
        result,
        storedAt: this.now(),
        maxAge: control['max-age'],
        staleWhileRevalidate: control['stale-while-revalidate'] ?? 0,
        staleIfError: control['stale-if-error'] ?? 0,
      });
    }
    return result;
  }

  private tagged(result: Result, how: string): Result {
    return { ...result, headers: { ...result.headers, 'x-cache': how } };
  }
}
