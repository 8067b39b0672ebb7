/**
 * Which API the CLI talks to, and with which token. In order: `--api-url` / `--token`, then
 * VEXILLA_API_URL / VEXILLA_TOKEN, then the local stack's `.vexilla/local.json` (found in the
 * current directory or a parent, as git finds `.git`). An explicit setting always wins over
 * local.json; a URL without a token (or the reverse) is a mistake we name, never silently mixed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './errors.js';

export interface LocalConfig {
  apiUrl: string;
  adminToken: string;
  organisationId?: string;
  projectId?: string;
  environments?: { id: string; name: string; clientKey: string; serverKey: string }[];
  dynamoEndpoint?: string;
  tableName?: string;
}

export interface ApiTarget {
  apiUrl: string;
  token: string;
  /** Where the URL and token came from, for `whoami` and error messages. */
  source: string;
  /** The local stack's config, when the target is the local stack. */
  local?: LocalConfig | undefined;
}

/** `.vexilla/local.json` in `cwd` or the nearest parent that has one. */
export function findLocalConfig(cwd = process.cwd()): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, '.vexilla', 'local.json');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

export async function readLocalConfig(cwd = process.cwd()): Promise<{ file: string; config: LocalConfig } | undefined> {
  const file = findLocalConfig(cwd);
  if (!file) return undefined;
  try {
    const config = JSON.parse(await readFile(file, 'utf8')) as LocalConfig;
    return config.apiUrl && config.adminToken ? { file, config } : undefined;
  } catch {
    return undefined;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export async function resolveTarget(flags: { apiUrl?: string | undefined; token?: string | undefined }, env = process.env): Promise<ApiTarget> {
  const apiUrl = flags.apiUrl ?? env.VEXILLA_API_URL;
  const token = flags.token ?? env.VEXILLA_TOKEN;
  const urlFrom = flags.apiUrl ? '--api-url' : 'VEXILLA_API_URL';
  const tokenFrom = flags.token ? '--token' : 'VEXILLA_TOKEN';
  const local = await readLocalConfig();
  if (apiUrl && token) {
    // The local stack's names (project, environments) only apply when it is the local stack.
    const same = local && trimSlash(local.config.apiUrl) === trimSlash(apiUrl) ? local.config : undefined;
    return { apiUrl: trimSlash(apiUrl), token, source: `${urlFrom} and ${tokenFrom}`, local: same };
  }
  if (apiUrl && !token) {
    if (local && trimSlash(local.config.apiUrl) === trimSlash(apiUrl)) {
      return { apiUrl: trimSlash(apiUrl), token: local.config.adminToken, source: `${urlFrom}, with the token of ${local.file}`, local: local.config };
    }
    throw new CliError(`${urlFrom} is set (${apiUrl}) but no token is: set VEXILLA_TOKEN (or pass --token) to an admin token of that API.`);
  }
  if (token && !apiUrl) {
    throw new CliError(`${tokenFrom} is set but no API URL is: set VEXILLA_API_URL (or pass --api-url), e.g. your stack's CloudFrontUrl output.`);
  }
  if (local) return { apiUrl: trimSlash(local.config.apiUrl), token: local.config.adminToken, source: local.file, local: local.config };
  throw new CliError(
    'No API to talk to.\n' +
      '  A deployment: export VEXILLA_API_URL=<CloudFrontUrl> VEXILLA_TOKEN=<admin token>\n' +
      '  The local stack: run `npm run dev` in the repository (it writes .vexilla/local.json), then run vexilla there.',
  );
}
