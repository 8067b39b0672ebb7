/**
 * Verifies the identity provider's tokens for the management API, with `jose`: the signature
 * against the issuer's published keys (fetched once, cached, fetched again when a token names a
 * key not yet seen, so key rotation needs nothing from us), the issuer exactly, the expiry, and
 * that the token was issued for Vexilla.
 *
 * Which tokens (see the README, "People and sign-in"):
 *  - ID tokens: `aud` includes the dashboard's client id (and `azp`, when present, is it). The
 *    dashboard sends these: every OpenID provider issues them as JWTs, with the person's email.
 *  - Cognito access tokens: no `aud`; `token_use` is `access` and `client_id` is the client id.
 *  - RFC 9068 access tokens of other providers: `aud` includes the configured API `audience`.
 * Only asymmetric algorithms are accepted, so `alg: none` and an HS256 token "signed" with the
 * public key are refused before any key is looked at.
 */
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { Unauthenticated, Unavailable } from '../domain/errors.js';
import { isWellFormed } from '../domain/json-checks.js';
import { DEFAULT_GROUPS_CLAIMS, type SignInConfig } from '../domain/sign-in.js';
import type { SignedIn } from '../domain/use-cases/people.js';
import { logger } from '../shared/logger.js';

/** The asymmetric JWS algorithms identity providers sign with (Cognito: RS256). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** API Gateway's own limit on a header value; anything longer is refused before parsing. */
export const MAX_TOKEN_BYTES = 10 * 1024;

export interface VerifierOptions {
  /** How long one JWKS or discovery request may take. @default 5000 */
  fetchTimeoutMs?: number;
  /** After fetching the keys, how long before an unknown key id may fetch them again. @default 30000 */
  cooldownMs?: number;
  /** How long fetched keys are trusted without fetching them again. @default 600000 (10 minutes) */
  cacheMaxAgeMs?: number;
  /** Clock skew allowed on `exp`, `nbf` and `iat`. @default 30 */
  clockToleranceSeconds?: number;
}

export type SignInVerifier = (token: string) => Promise<SignedIn>;

/** The keys could not be had: the identity provider, not the token, is at fault (503, not 401). */
class KeySourceUnavailable extends Error {}

const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? value.filter((item) => typeof item === 'string') : typeof value === 'string' ? [value] : []);

/** Groups as a claim carries them: a JSON array, or a string ("a,b", or Cognito's "[a, b]" for mapped SAML attributes). */
function groupsOf(payload: JWTPayload, claim: string | undefined): string[] {
  const raw = claim ? payload[claim] : DEFAULT_GROUPS_CLAIMS.map((name) => payload[name]).find((value) => value !== undefined);
  const list = typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(',') : asList(raw);
  return [...new Set(list.map((group) => group.trim()).filter((group) => group.length > 0 && group.length <= 256 && isWellFormed(group)))].slice(0, 200);
}

/** Whether the token was issued for Vexilla, by the three shapes above. */
function issuedForVexilla(payload: JWTPayload, config: SignInConfig): boolean {
  const audiences = asList(payload.aud);
  if (payload.token_use === 'access') return payload.client_id === config.clientId;
  if (audiences.includes(config.clientId)) {
    return (payload.azp === undefined || payload.azp === config.clientId) && (payload.token_use === undefined || payload.token_use === 'id');
  }
  return config.audience !== undefined && audiences.includes(config.audience);
}

function claimsOf(payload: JWTPayload, config: SignInConfig): SignedIn {
  const subject = payload.sub ?? '';
  // Claims are stored and put in audit records: Unicode only (a lone surrogate cannot be stored as UTF-8).
  if (subject.length === 0 || subject.length > 255 || !isWellFormed(subject)) throw new Unauthenticated('The sign-in token has no usable subject.');
  const email =
    typeof payload.email === 'string' && payload.email.length <= 254 && payload.email.includes('@') && isWellFormed(payload.email) ? payload.email.toLowerCase() : undefined;
  const verified = payload.email_verified === true || payload.email_verified === 'true';
  // Cut to 200 UTF-16 units without splitting a surrogate pair at the cut.
  const cut = typeof payload.name === 'string' ? payload.name.slice(0, 200).replace(/[\uD800-\uDBFF]$/, '') : undefined;
  const name = cut !== undefined && isWellFormed(cut) ? cut : undefined;
  return {
    issuer: config.issuer,
    subject,
    ...(email ? { email } : {}),
    emailVerified: email !== undefined && (verified || config.trustEmail === true),
    ...(name ? { name } : {}),
    groups: groupsOf(payload, config.groupsClaim),
  };
}

async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** What a failed verification tells the caller: a 401 naming the problem, never the token. */
function refusal(error: unknown): Error {
  if (error instanceof Unauthenticated) return error;
  if (error instanceof errors.JWTExpired) return new Unauthenticated('The sign-in token has expired: sign in again.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new Unauthenticated(error.claim === 'iss' ? 'The sign-in token was issued by another identity provider.' : `The sign-in token is not valid (${error.claim}: ${error.reason}).`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new Unauthenticated('The sign-in token is not signed with an algorithm Vexilla accepts (RS, PS, ES or EdDSA).');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new Unauthenticated("The sign-in token's signature does not verify against the identity provider's keys.");
  }
  if (error instanceof KeySourceUnavailable) {
    logger.warn('identity provider keys unavailable', { error: error.cause as Error });
    return new Unavailable("The identity provider's signing keys could not be fetched: try again shortly.");
  }
  if (error instanceof errors.JOSEError) return new Unauthenticated('The sign-in token is malformed.');
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A verifier for one issuer. The signing keys are fetched on first use (from `jwksUri`, or the
 * issuer's discovery document, which must name the same issuer) and kept for the process.
 */
export function createSignInVerifier(config: SignInConfig, options: VerifierOptions = {}): SignInVerifier {
  const timeout = options.fetchTimeoutMs ?? 5000;
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keySet = (): Promise<JWTVerifyGetKey> => {
    keys ??= (async () => {
      let uri = config.jwksUri;
      if (!uri) {
        const discovery = await fetchJson(`${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, timeout);
        if (discovery.issuer !== config.issuer) throw new Error(`the discovery document names issuer ${String(discovery.issuer)}, not ${config.issuer}`);
        if (typeof discovery.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
        uri = discovery.jwks_uri;
      }
      return createRemoteJWKSet(new URL(uri), { timeoutDuration: timeout, cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: options.cacheMaxAgeMs ?? 600_000 });
    })().catch((error: unknown) => {
      keys = undefined; // the next request tries again
      throw new KeySourceUnavailable('discovery failed', { cause: error });
    });
    return keys;
  };
  // Key lookups that fail for want of the keys (network, timeouts, a bad answer) are the
  // provider's fault; a key that is not there is the token's.
  const lookup: JWTVerifyGetKey = async (header, token) => {
    const remote = await keySet();
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      throw new KeySourceUnavailable('keys unavailable', { cause: error });
    }
  };

  return async (token) => {
    if (token.length > MAX_TOKEN_BYTES) throw new Unauthenticated('The sign-in token is too long.');
    try {
      const { payload } = await jwtVerify(token, lookup, {
        issuer: config.issuer,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (!issuedForVexilla(payload, config)) throw new Unauthenticated('The sign-in token was not issued for Vexilla (its audience or client id is another application\'s).');
      return claimsOf(payload, config);
    } catch (error) {
      throw refusal(error);
    }
  };
}
