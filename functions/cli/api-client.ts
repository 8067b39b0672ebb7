/**
 * How the CLI reaches a Vexilla API: VEXILLA_API_URL and VEXILLA_TOKEN, or the local stack's
 * `.vexilla/local.json` (written by `npm run dev`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ApiTarget {
  apiUrl: string;
  token: string;
}

export async function apiTarget(cwd = process.cwd()): Promise<ApiTarget> {
  const { VEXILLA_API_URL: apiUrl, VEXILLA_TOKEN: token } = process.env;
  if (apiUrl && token) return { apiUrl: apiUrl.replace(/\/$/, ''), token };
  try {
    const local = JSON.parse(await readFile(join(cwd, '.vexilla', 'local.json'), 'utf8')) as { apiUrl?: string; adminToken?: string };
    if (local.apiUrl && local.adminToken) return { apiUrl: local.apiUrl.replace(/\/$/, ''), token: local.adminToken };
  } catch {
    // Fall through to the explanation below.
  }
  throw new Error('No API to talk to: set VEXILLA_API_URL and VEXILLA_TOKEN, or run `npm run dev` (it writes .vexilla/local.json).');
}

/** Calls the management API; a non-2xx answer becomes an error carrying the API's message. */
export async function callApi<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${target.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch((error: Error) => {
    throw new Error(`Could not reach ${target.apiUrl}: ${error.message}`);
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as T & { message?: string; details?: unknown }) : (undefined as T);
  if (!response.ok) {
    const problem = parsed as { message?: string; details?: unknown } | undefined;
    const details = problem?.details ? `\n${JSON.stringify(problem.details, null, 2)}` : '';
    throw new Error(`${response.status}: ${problem?.message ?? response.statusText}${details}`);
  }
  return parsed;
}
