/**
 * What CloudFront does for the local stack, from the same declaration (functions/edge/cache-rules.ts):
 * on a cached route it runs the same viewer-request function source CloudFront runs (the request
 * moves under `/edge/<edge key>`), forwards only the cache key's and the preflight's headers and
 * the cache key's query strings, caches by path, environment key and those query strings,
 * honours the origin's Cache-Control (`s-maxage`, `stale-while-revalidate`, `stale-if-error`,
 * so flags keep serving when the origin fails), keeps nothing but 200s, and writes the viewer
 * headers (`private, no-cache`, `Vary`) as the response headers policy does. Invalidation paths
 * match as CloudFront's do: exact, or a trailing `*`.
 */
import { createHash } from 'node:crypto';
import { createContext, runInContext } from 'node:vm';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type CachedRoute, cachedRoutes, ENVIRONMENT_KEY_HEADER, FORWARDED_HEADERS, viewerCacheControl, viewerVary } from '../edge/cache-rules.js';
import { viewerRequestSource } from '../edge/viewer-request.js';
import { matchesEtag } from '../http/sdk/etag.js';

type Result = APIGatewayProxyStructuredResultV2;

interface Entry {
  result: Result;
  /** The cached object's path, as invalidation paths name it: the URI, and its query string if any. */
  objectPath: string;
  storedAt: number;
  maxAge: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  refreshing?: Promise<void>;
}

export interface EdgeRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

/** A request as the origin receives it, and the cached behaviour it went through, if any. */
export interface ViewerRequest extends EdgeRequest {
  behaviour?: CachedRoute | undefined;
  /** The viewer's If-None-Match: the edge answers it itself, as CloudFront does. */
  ifNoneMatch?: string | undefined;
}

/** Cache-Control seconds by directive (`max-age`, `s-maxage`, `stale-if-error`, ...). */
function directives(header: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of String(header ?? '').split(',')) {
    const [name, value] = part.trim().split('=');
    if (name && value !== undefined && /^\d+$/.test(value)) out[name.toLowerCase()] = Number(value);
  }
  return out;
}

const matchesPattern = (pattern: string, path: string) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern);

interface CloudFrontFunctionRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string }>;
  headers: Record<string, { value: string }>;
  cookies: Record<string, { value: string }>;
}

/** The viewer-request function, compiled once from its source, with the `crypto` CloudFront provides. */
function loadViewerRequestFunction(): (event: { request: CloudFrontFunctionRequest }) => CloudFrontFunctionRequest {
  const sandbox: { require: (name: string) => unknown; handler?: unknown } = {
    require: (name) => {
      if (name === 'crypto') return { createHash };
      throw new Error(`CloudFront Functions have no module ${name}`);
    },
  };
  createContext(sandbox);
  runInContext(viewerRequestSource, sandbox, { filename: 'viewer-request.js' });
  return sandbox.handler as (event: { request: CloudFrontFunctionRequest }) => CloudFrontFunctionRequest;
}

/**
 * Durations the local edge keeps answers for instead of the origin's `s-maxage` and
 * `stale-while-revalidate` (`npm run dev -- --edge-max-age 1`, tests): stale-if-error can then be
 * tried in seconds. Unset: the origin's Cache-Control, as CloudFront.
 */
export interface EdgeTtl {
  maxAgeSeconds?: number | undefined;
  staleWhileRevalidateSeconds?: number | undefined;
}

export class EdgeCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by each invalidation: an origin answer fetched before it is not stored after it. */
  private generation = 0;
  private readonly viewerRequestFunction = loadViewerRequestFunction();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttl: EdgeTtl = {},
  ) {}

  /**
   * CloudFront's request side: the cached behaviour the viewer's path selects (by its path
   * pattern), the viewer-request function, and the origin request policy (only the forwarded
   * headers and the cache key's query strings reach the origin). Other paths pass as they are.
   */
  viewerRequest(request: EdgeRequest): ViewerRequest {
    const behaviour = (Object.values(cachedRoutes) as CachedRoute[]).find((route) => matchesPattern(route.pathPattern, request.url.pathname));
    if (!behaviour) return request;
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name.toLowerCase()];
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    const rewritten = this.viewerRequestFunction({
      request: {
        method: request.method,
        uri: request.url.pathname,
        querystring: {},
        headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { value }])),
        cookies: {},
      },
    });
    const url = new URL(rewritten.uri, request.url);
    for (const name of behaviour.queryStrings) {
      const value = request.url.searchParams.get(name);
      if (value !== null) url.searchParams.set(name, value);
    }
    return { method: request.method, url, headers, behaviour, ifNoneMatch: request.headers['if-none-match'] };
  }

  /** The cache key of a request on a cached behaviour: path, environment key, forwarded query. */
  private keyOf(request: ViewerRequest): { key: string; objectPath: string } | undefined {
    if (!request.behaviour || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
    const objectPath = `${request.url.pathname}${request.url.search}`;
    const credential = request.headers[ENVIRONMENT_KEY_HEADER.toLowerCase()];
    return { key: JSON.stringify([objectPath, credential ?? null]), objectPath };
  }

  /**
   * Answers a request (from `viewerRequest`) through the cache: fresh entries directly, entries
   * within stale-while-revalidate directly while refreshing behind, and entries within
   * stale-if-error when the origin fails (throws or answers 5xx). The `x-cache` header says
   * which; on a cached behaviour every answer carries the viewer headers.
   */
  async fetch(request: ViewerRequest, origin: () => Promise<Result>): Promise<Result> {
    if (!request.behaviour) return origin();
    const answer = await this.cached(request, origin);
    // A conditional GET whose ETag still matches gets headers only, as CloudFront answers it.
    const etag = answer.headers?.etag;
    if ((answer.statusCode ?? 200) === 200 && typeof etag === 'string' && matchesEtag(request.ifNoneMatch, etag)) {
      return { statusCode: 304, headers: answer.headers, body: '' };
    }
    return answer;
  }

  private async cached(request: ViewerRequest, origin: () => Promise<Result>): Promise<Result> {
    const cacheKey = this.keyOf(request);
    if (!cacheKey) return this.viewer(await origin());
    const { key, objectPath } = cacheKey;
    const entry = this.entries.get(key);
    const age = entry ? (this.now() - entry.storedAt) / 1000 : Infinity;
    if (entry && age < entry.maxAge) return this.viewer(entry.result, 'Hit from edge');
    if (entry && age < entry.maxAge + entry.staleWhileRevalidate) {
      entry.refreshing ??= this.load(key, objectPath, origin)
        .then(() => undefined)
        .catch(() => undefined);
      return this.viewer(entry.result, 'Hit from edge (stale, revalidating)');
    }
    try {
      const result = await this.load(key, objectPath, origin);
      if ((result.statusCode ?? 200) >= 500 && entry && age < entry.maxAge + entry.staleIfError) {
        return this.viewer(entry.result, 'Error from origin, stale from edge');
      }
      return this.viewer(result, 'Miss from edge');
    } catch (error) {
      if (entry && age < entry.maxAge + entry.staleIfError) return this.viewer(entry.result, 'Error from origin, stale from edge');
      throw error;
    }
  }

  /**
   * Drops the cached objects the paths name, as a CloudFront invalidation does: an exact path
   * names the object without a query string, a trailing `*` any suffix (query strings included).
   * Every environment key's answer under a path goes. Returns how many were dropped.
   */
  invalidate(paths: readonly string[]): number {
    this.generation++;
    let dropped = 0;
    for (const [key, entry] of [...this.entries]) {
      if (paths.some((pattern) => matchesPattern(pattern, entry.objectPath))) {
        this.entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** How many answers are cached (tests and the bench). */
  get size(): number {
    return this.entries.size;
  }

  /** Fetches from the origin and keeps the answer when it is a 200 the edge may cache. */
  private async load(key: string, objectPath: string, origin: () => Promise<Result>): Promise<Result> {
    const generation = this.generation;
    const result = await origin();
    const control = directives(result.headers?.['cache-control']);
    // A shared cache takes s-maxage over max-age, as CloudFront does.
    const declared = control['s-maxage'] ?? control['max-age'];
    const maxAge = declared !== undefined ? (this.ttl.maxAgeSeconds ?? declared) : undefined;
    if (generation === this.generation && (result.statusCode ?? 200) === 200 && maxAge !== undefined && maxAge > 0) {
      this.entries.set(key, {
        result,
        objectPath,
        storedAt: this.now(),
        maxAge,
        staleWhileRevalidate: this.ttl.staleWhileRevalidateSeconds ?? control['stale-while-revalidate'] ?? 0,
        staleIfError: control['stale-if-error'] ?? 0,
      });
    }
    return result;
  }

  /** The response headers policy of the cached behaviours: the viewer's Cache-Control and Vary. */
  private viewer(result: Result, how?: string): Result {
    return {
      ...result,
      headers: { ...result.headers, 'cache-control': viewerCacheControl, vary: viewerVary, ...(how ? { 'x-cache': how } : {}) },
    };
  }
}
