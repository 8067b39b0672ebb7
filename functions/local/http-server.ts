/**
 * The local stack's HTTP front door: plain Node HTTP, turned into API Gateway events for the
 * same Lambda handlers production runs.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '../http/admin-api.js';
import { cors } from '../http/cors.js';
import type { FunctionName } from '../http/routes.js';
import { matchRoute, toEvent } from './api-gateway.js';
import type { StaticAnswer } from './dashboard-files.js';
import type { EdgeCache } from './edge-cache.js';
import { isLocalEventBridge } from './local-eventbridge.js';

/** API Gateway refuses payloads above 10 MB before any Lambda runs; so do we. */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

export interface HttpServerOptions {
  port: number;
  host?: string;
  functions: Record<FunctionName, HttpHandler>;
  /** Called once per request with method, path, status and duration. */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /** CloudFront's part: cache the cacheable SDK answers in front of the functions. */
  edge?: EdgeCache;
  /** The local EventBridge's PutEvents endpoint (local-eventbridge.ts), at its own path. */
  eventBridge?: (target: string | undefined, body: string) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
  /** CloudFront's default behaviour: the dashboard's files, for paths no API route takes. */
  files?: { serve(method: string, pathname: string): Promise<StaticAnswer | undefined> };
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class TooLargeForGateway extends Error {}

/** API Gateway's CORS answer headers, from the shared CORS declaration. */
const corsHeaders = (): Record<string, string> => ({
  'access-control-allow-origin': cors.allowOrigins.join(','),
  'access-control-expose-headers': cors.exposeHeaders.join(','),
});
const preflightHeaders = (): Record<string, string> => ({
  ...corsHeaders(),
  'access-control-allow-methods': cors.allowMethods.join(','),
  'access-control-allow-headers': cors.allowHeaders.join(','),
  'access-control-max-age': String(cors.maxAgeSeconds),
});

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > GATEWAY_MAX_BYTES) throw new TooLargeForGateway();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const gatewayError = (statusCode: number, error: string, message: string) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ statusCode, error, message }),
});

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const server = createServer(async (request, response) => {
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    let result: { statusCode?: number; headers?: Record<string, string | number | boolean>; body?: string | Buffer };
    try {
      const body = await readBody(request);
      const viewerHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) viewerHeaders[name] = Array.isArray(value) ? value.join(',') : value;
      }
      // CloudFront's part first (a cached route moves under its edge path), then API Gateway's.
      const forwarded = options.edge ? options.edge.viewerRequest({ method, url, headers: viewerHeaders }) : { method, url, headers: viewerHeaders };
      const route = matchRoute(method, forwarded.url.pathname);
      if (options.eventBridge && isLocalEventBridge(method, url.pathname)) {
        // Not API Gateway: AWS's own service, emulated (the SDK's and CLI's requests, unchanged).
        const target = request.headers['x-amz-target'];
        result = await options.eventBridge(Array.isArray(target) ? target[0] : target, body);
      } else if (method === 'OPTIONS' && request.headers.origin && request.headers['access-control-request-method']) {
        // A CORS preflight: API Gateway answers it itself, without invoking a function.
        result = { statusCode: 204, headers: preflightHeaders() };
      } else if (!route) {
        result = (await options.files?.serve(method, url.pathname)) ?? gatewayError(404, 'Not Found', `No route for ${method} ${url.pathname}.`);
      } else {
        const event = toEvent({ method, url: forwarded.url, headers: forwarded.headers, body, sourceIp: request.socket.remoteAddress ?? '127.0.0.1' }, route);
        const invoke = () => options.functions[route.function](event);
        result = options.edge ? await options.edge.fetch(forwarded, invoke) : await invoke();
      }
    } catch (error) {
      result =
        error instanceof TooLargeForGateway
          ? gatewayError(413, 'Payload Too Large', 'Request bodies are limited to 10 MB.')
          : gatewayError(500, 'Internal Server Error', 'Internal Server Error');
    }
    const status = result.statusCode ?? 200;
    const headers: Record<string, string> = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    if (request.headers.origin) Object.assign(headers, corsHeaders());
    response.writeHead(status, headers);
    response.end(method === 'HEAD' ? '' : (result.body ?? ''));
    options.onRequest?.({ method, path: url.pathname, status, ms: Math.round((performance.now() - started) * 10) / 10 });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
