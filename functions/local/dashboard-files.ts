/**
 * The local stack's part of CloudFront's default behaviour: the built dashboard
 * (dist/dashboard, `npm run build`) at `/`, with the SPA fallback (page paths answer index.html,
 * so deep links load: dashboard/page-routing.ts, as CloudFront does) and the same security headers as production
 * (dashboard/csp.ts). API paths never fall back: an unknown API route stays a JSON 404.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { dashboardSecurityHeaders } from '../../dashboard/csp.js';
import { isBuiltFile } from '../../dashboard/page-routing.js';
// Paths that belong to the APIs (CloudFront sends them to API Gateway, not to the bucket).
import { apiPathPrefixes } from '../http/routes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};


export interface StaticAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vexilla</title></head><body><main><h1>The dashboard is not built yet</h1><p>Run <code>npm run build</code>, then reload this page. The APIs are up: /admin/v1, /api/v1, /ofrep/v1.</p></main></body></html>`;

/** `signInOrigins`: the identity provider's origins the dashboard fetches from (its CSP's connect-src). */
export function dashboardFiles(root: string, signInOrigins: readonly string[] = []) {
  const DASHBOARD_SECURITY_HEADERS = dashboardSecurityHeaders(signInOrigins);
  const base = resolve(root);
  const built = () => existsSync(join(base, 'index.html'));

  async function file(path: string, cache: string): Promise<StaticAnswer | undefined> {
    // Never outside the folder, never the build's own manifest.
    if (path !== base && !path.startsWith(base + sep)) return undefined;
    if (path.includes(`${sep}.vite${sep}`)) return undefined;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return {
      statusCode: 200,
      headers: { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': cache, ...DASHBOARD_SECURITY_HEADERS },
      body: await readFile(path),
    };
  }

  return {
    /** The answer to a GET or HEAD outside the APIs, or undefined to let the API router answer. */
    async serve(method: string, pathname: string): Promise<StaticAnswer | undefined> {
      if ((method !== 'GET' && method !== 'HEAD') || apiPathPrefixes.some((prefix) => pathname.startsWith(prefix))) return undefined;
      if (!built()) return { statusCode: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...DASHBOARD_SECURITY_HEADERS }, body: NOT_BUILT };
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        return undefined;
      }
      // Hashed asset names never change: cache them for a year; index.html is checked every time.
      if (decoded.startsWith('/assets/')) return file(join(base, decoded), 'public, max-age=31536000, immutable');
      if (isBuiltFile(decoded)) return file(join(base, decoded), 'public, max-age=300');
      return file(join(base, 'index.html'), 'no-cache');
    },
  };
}
