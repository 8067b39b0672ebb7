/**
 * What API Gateway does in front of the Lambdas, for the local stack: match the request to a
 * route of the route table and build the HTTP API (v2) event the handler receives.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type FunctionName, publicRoutes, routeKey, routes } from '../http/routes.js';

interface CompiledRoute {
  key: string;
  method: string;
  function: FunctionName;
  pattern: RegExp;
  names: string[];
  /** Routes with fewer parameters are more specific and win, as in API Gateway. */
  parameters: number;
}

const compiled: CompiledRoute[] = [...routes, ...publicRoutes]
  .map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^{}\\]+)\\?\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return {
      key: routeKey(route),
      method: route.method,
      function: route.function,
      pattern: new RegExp(`^${source}$`),
      names,
      parameters: names.length,
    };
  })
  .sort((a, b) => a.parameters - b.parameters);

export interface MatchedRoute {
  routeKey: string;
  function: FunctionName;
  pathParameters: Record<string, string>;
}

/** The route a method and path reach, with decoded path parameters; undefined when none does. */
export function matchRoute(method: string, rawPath: string): MatchedRoute | undefined {
  // API Gateway routes `/x/` to the route `/x` (routes cannot end in a slash; SDKs send one).
  const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  for (const route of compiled) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    try {
      route.names.forEach((name, i) => (pathParameters[name] = decodeURIComponent(match[i + 1] ?? '')));
    } catch {
      return undefined;
    }
    return { routeKey: route.key, function: route.function, pathParameters };
  }
  return undefined;
}

export interface IncomingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  sourceIp: string;
}

/** The event API Gateway's HTTP API (payload format 2.0) would deliver for this request. */
export function toEvent(request: IncomingRequest, route: MatchedRoute): APIGatewayProxyEventV2 {
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: request.url.pathname,
    rawQueryString: request.url.search.replace(/^\?/, ''),
    headers: request.headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.pathParameters).length ? { pathParameters: route.pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: request.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method,
        path: request.url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}
