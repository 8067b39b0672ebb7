import type { Deps } from '../domain/use-cases/support.js';
import { type AdminApiOptions, createAdminApi, type HttpHandler } from '../http/admin-api.js';
import type { FunctionName } from '../http/routes.js';
import { createSdkApi } from '../http/sdk-api.js';
import { createTenantApi } from '../http/tenant-api.js';
import type { TenantVerifierOptions } from '../http/tenant-token-verifier.js';
import type { EnvironmentCache } from '../http/sdk/environment-cache.js';

/** The Lambda handlers of the route table's functions, as the local stack runs them. */
export function localFunctions(
  deps: Deps,
  options: {
    snapshotTtlMs?: number;
    /** The sdk-api's snapshot cache, when the caller forgets entries on publish. */
    environmentCache?: EnvironmentCache;
    /** The admin API's sign-in settings (the local OpenID provider's). */
    adminApi?: AdminApiOptions;
    /** The tenant API's JWKS caching (tests shorten the cooldown to exercise key rotation). */
    tenantApi?: TenantVerifierOptions;
  } = {},
): Record<FunctionName, HttpHandler> {
  return {
    'admin-api': createAdminApi(deps, options.adminApi),
    'sdk-api': createSdkApi(deps, { ttlMs: options.snapshotTtlMs ?? 1000, ...(options.environmentCache ? { cache: options.environmentCache } : {}) }),
    'tenant-api': createTenantApi(deps, options.tenantApi),
  };
}
