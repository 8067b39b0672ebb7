/**
 * Verifies tenant tokens for /tenant/v1 with `jose`: short JWTs the customer's backend signs for
 * one tenant and one user, against a key the customer registered for the environment (a public
 * key, or a JWKS URL fetched once, cached and fetched again when a token names a new key id).
 *
 * A token names its environment (`env`), its tenant (`tenant`) and user (`sub`), and must carry
 * the key's exact `iss`, its `aud`, `iat` and `exp`, with `exp - iat` within the key's lifetime.
 * Only the key's algorithms, all asymmetric, are accepted: `alg: none` and an HS256 token
 * "signed" with the public key are refused before any key is looked at.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Environment, TenantTokenKey } from '../domain/entities.js';
import { Unauthenticated, Unavailable } from '../domain/errors.js';
import { isWellFormed } from '../domain/json-checks.js';
import { LIMITS } from '../domain/limits.js';
import { entityId, tenantKey as tenantKeySchema } from '../domain/schemas.js';
import type { Deps } from '../domain/use-cases/support.js';
import { resolvePublicTarget } from '../domain/webhook-targets.js';
import { logger } from '../shared/logger.js';

/** Who a verified tenant token speaks for. */
export interface TenantCaller {
  environment: Environment;
  key: TenantTokenKey;
  tenant: string;
  subject: string;
  /** The user's name, when the token carries one (audit shows it). */
  name?: string | undefined;
}

export interface TenantVerifierOptions {
  /** How long one JWKS request may take. @default 5000 */
  fetchTimeoutMs?: number;
  /** After fetching a JWKS, how long before an unknown key id may fetch it again. @default 30000 */
  cooldownMs?: number;
  /** How long a fetched JWKS is trusted. @default 600000 (10 minutes) */
  cacheMaxAgeMs?: number;
  /** Clock skew allowed on `exp`, `nbf` and `iat`. @default 30 */
  clockToleranceSeconds?: number;
}

export type TenantVerifier = (token: string) => Promise<TenantCaller>;

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFUSED = 'The tenant token is not valid here.';

class KeySourceUnavailable extends Error {}

function refusal(error: unknown): Error {
  if (error instanceof Unauthenticated || error instanceof Unavailable) return error;
  if (error instanceof errors.JWTExpired) return new Unauthenticated('The tenant token has expired: ask your application for a new one.');
  if (error instanceof errors.JWTClaimValidationFailed) return new Unauthenticated(`The tenant token is not valid (${error.claim}: ${error.reason}).`);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return new Unauthenticated('The tenant token is not signed with an algorithm this environment accepts.');
  if (error instanceof KeySourceUnavailable) {
    logger.warn('tenant token keys unavailable', { error: error.cause as Error });
    return new Unavailable("The tenant token keys (the registered JWKS) could not be fetched: try again shortly.");
  }
  if (error instanceof errors.JOSEError) return new Unauthenticated("The tenant token's signature does not verify against this environment's keys.");
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The key material of one registered key, made once per process: a KeyObject for a public key,
 * jose's remote JWKS (with its cache and rotation) for a URL. Keyed by the key's id and content.
 */
function keyMaterialCache(deps: Deps, options: TenantVerifierOptions) {
  const cache = new Map<string, KeyObject | JWTVerifyGetKey>();
  const timeout = options.fetchTimeoutMs ?? 5000;
  // In AWS a JWKS URL must resolve to public addresses only (as webhooks must), every time it is fetched.
  const guardedFetch = async (url: string, init: RequestInit) => {
    if (!deps.allowPrivateWebhookTargets) await resolvePublicTarget(new URL(url));
    return fetch(url, { ...init, redirect: 'error' });
  };
  return (key: TenantTokenKey): KeyObject | JWTVerifyGetKey => {
    const id = `${key.id}:${key.jwksUrl ?? JSON.stringify(key.publicKey)}`;
    let material = cache.get(id);
    if (!material) {
      if (key.jwksUrl) {
        const remote = createRemoteJWKSet(new URL(key.jwksUrl), {
          timeoutDuration: timeout,
          cooldownDuration: options.cooldownMs ?? 30_000,
          cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
          [customFetch]: guardedFetch,
        });
        material = async (header, token) => {
          try {
            return await remote(header, token);
          } catch (error) {
            if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
            throw new KeySourceUnavailable('keys unavailable', { cause: error });
          }
        };
      } else {
        material = createPublicKey({ key: key.publicKey as never, format: 'jwk' });
      }
      if (cache.size >= 1000) cache.delete(cache.keys().next().value as string);
      cache.set(id, material);
    }
    return material;
  };
}

const claimText = (value: unknown, max: number) => (typeof value === 'string' && value.length > 0 && value.length <= max && isWellFormed(value) ? value : undefined);

export function createTenantVerifier(deps: Deps, options: TenantVerifierOptions = {}): TenantVerifier {
  const materialOf = keyMaterialCache(deps, options);
  return async (token) => {
    if (token.length > LIMITS.tenantTokenBytes || !JWS.test(token)) throw new Unauthenticated('Send a tenant token: Authorization: Bearer <JWT>.');
    let unverified: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (typeof header.alg !== 'string' || header.alg === 'none' || header.alg.startsWith('HS')) throw new Unauthenticated('The tenant token is not signed with an algorithm this environment accepts.');
      unverified = decodeJwt(token);
    } catch (error) {
      throw error instanceof Unauthenticated ? error : new Unauthenticated('The tenant token is malformed.');
    }
    // The environment and issuer pick the keys to try; the signature then vouches for both.
    const envId = entityId.safeParse(unverified.env);
    if (!envId.success) throw new Unauthenticated('The tenant token names no environment (its `env` claim).');
    const environment = await deps.store.get({ type: 'environment', id: envId.data });
    if (!environment) throw new Unauthenticated(REFUSED);
    const keys = (await deps.store.listAll({ of: 'tenant-token-keys', envId: environment.id })).filter((key) => key.issuer === unverified.iss);
    if (keys.length === 0) throw new Unauthenticated(REFUSED);
    let failure: unknown = new Unauthenticated(REFUSED);
    for (const key of keys) {
      try {
        const material = materialOf(key);
        const verifyOptions = {
          issuer: key.issuer,
          audience: key.audience,
          algorithms: key.algorithms,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp', 'iat', 'sub', 'tenant', 'env'],
          maxTokenAge: key.maxLifetimeSeconds,
        };
        const { payload } =
          typeof material === 'function' ? await jwtVerify(token, material, verifyOptions) : await jwtVerify(token, material, verifyOptions);
        // A token may live at most the key's lifetime, whenever it is presented.
        if ((payload.exp as number) - (payload.iat as number) > key.maxLifetimeSeconds) {
          throw new Unauthenticated(`The tenant token lives longer than this environment allows (${key.maxLifetimeSeconds} seconds).`);
        }
        if (payload.env !== environment.id) throw new Unauthenticated(REFUSED);
        const tenant = tenantKeySchema.safeParse(typeof payload.tenant === 'number' ? String(payload.tenant) : payload.tenant);
        if (!tenant.success) throw new Unauthenticated('The tenant token names no usable tenant (its `tenant` claim).');
        const subject = claimText(payload.sub, 255);
        if (!subject) throw new Unauthenticated('The tenant token names no usable user (its `sub` claim).');
        const name = claimText(payload.name, 200);
        return { environment, key, tenant: tenant.data, subject, ...(name ? { name } : {}) };
      } catch (error) {
        failure = error;
        // A key that cannot be fetched must not hide a key that verifies.
        if (error instanceof Unauthenticated) break;
      }
    }
    throw refusal(failure);
  };
}
