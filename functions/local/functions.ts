import type { Deps } from '../domain/use-cases/support.js';
import { createAdminApi, type HttpHandler } from '../http/admin-api.js';
import type { FunctionName } from '../http/routes.js';
import { createSdkApi } from '../http/sdk-api.js';

/** The Lambda handlers of the route table's functions, as the local stack runs them. */
export function localFunctions(deps: Deps, options: { snapshotTtlMs?: number } = {}): Record<FunctionName, HttpHandler> {
  return {
    'admin-api': createAdminApi(deps),
    'sdk-api': createSdkApi(deps, { ttlMs: options.snapshotTtlMs ?? 1000 }),
  };
}
