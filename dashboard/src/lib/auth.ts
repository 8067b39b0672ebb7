/**
 * Who the dashboard acts as: a person signed in with the identity provider (OpenID Connect,
 * authorization code + PKCE with oauth4webapi), or a machine user's admin token pasted on the
 * sign-in page. Either is kept in this tab's sessionStorage only (never localStorage: it is gone
 * when the tab closes). Every request takes its Authorization header from `bearer()`, which
 * refreshes a person's ID token shortly before it expires, or ends the session when it cannot.
 *
 * The provider is described by `GET /admin/v1/auth/config`; its endpoints come from its
 * discovery document. oauth4webapi is loaded only when someone signs in with it.
 */
import { useSyncExternalStore } from 'react';

export type Session =
  | { kind: 'admin-token'; token: string }
  | {
      kind: 'person';
      idToken: string;
      refreshToken?: string | undefined;
      /** When the ID token expires (ms since the epoch). */
      expiresAt: number;
      issuer: string;
      clientId: string;
      /** A sign-out endpoint the discovery document does not announce (Cognito's /logout). */
      endSessionEndpoint: string | null;
      /** Where the provider sends the browser after signing out (registered with it). */
      postLogoutRedirectPath: string;
    };

/** What `GET /admin/v1/auth/config` says (the fields the dashboard uses). */
export interface SignInConfig {
  enabled: true;
  issuer: string;
  clientId: string;
  scopes: string[];
  redirectPath: string;
  postLogoutRedirectPath: string;
  endSessionEndpoint: string | null;
}

/** A sign-in that went wrong, with a message for the person. */
export class SignInError extends Error {}

const KEY = 'vexilla.session';
const PENDING_KEY = 'vexilla.sign-in';
const NOTICE_KEY = 'vexilla.sign-in-notice';
/** Refresh this long before the ID token expires, so no request goes out with a dying token. */
const REFRESH_MARGIN_MS = 60_000;
const listeners = new Set<() => void>();
let cachedRaw: string | null | undefined;
let cached: Session | undefined;

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function parseSession(raw: string | null): Session | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    if (value.kind === 'admin-token' && isString(value.token)) return { kind: 'admin-token', token: value.token };
    if (value.kind === 'person' && isString(value.idToken) && typeof value.expiresAt === 'number' && isString(value.issuer) && isString(value.clientId)) {
      return {
        kind: 'person',
        idToken: value.idToken,
        refreshToken: isString(value.refreshToken) ? value.refreshToken : undefined,
        expiresAt: value.expiresAt,
        issuer: value.issuer,
        clientId: value.clientId,
        endSessionEndpoint: isString(value.endSessionEndpoint) ? value.endSessionEndpoint : null,
        postLogoutRedirectPath: isString(value.postLogoutRedirectPath) ? value.postLogoutRedirectPath : '/',
      };
    }
  } catch {
    // Unreadable: no session.
  }
  return undefined;
}

function read(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    cached = parseSession(raw);
  }
  return cached;
}

const notify = () => listeners.forEach((listener) => listener());

function keep(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  notify();
}

export const getSession = read;

/** Signs in with an admin token (a machine user), already checked against the API. */
export function signIn(token: string): void {
  keep({ kind: 'admin-token', token: token.trim() });
}

const endListeners = new Set<() => void>();

/** Calls `listener` each time a session ends in this tab, however it ended (button, expiry, a 401). */
export function onSessionEnd(listener: () => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

/** Ends the session in this tab; `notice` is shown on the sign-in page (why it ended). */
export function signOut(notice?: string): void {
  sessionStorage.removeItem(KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  for (const listener of endListeners) listener();
  notify();
}

/** Why the last session ended, once (the sign-in page shows it). */
export function takeSignOutNotice(): string | undefined {
  const notice = sessionStorage.getItem(NOTICE_KEY) ?? undefined;
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

export function useSession(): Session | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read,
  );
}

// --- OpenID Connect ---------------------------------------------------------------------------

const oauthLibrary = () => import('oauth4webapi');

/** The local stack's provider listens on plain http on loopback; anything else must be https. */
function requestOptions(oauth: typeof import('oauth4webapi'), issuer: string) {
  const { protocol, hostname } = new URL(issuer);
  const loopback = hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  return protocol === 'http:' && loopback ? { [oauth.allowInsecureRequests]: true } : {};
}

const discovered = new Map<string, Promise<import('oauth4webapi').AuthorizationServer>>();

/** The provider's metadata, checked to name the issuer it was asked of (cached per page load). */
async function discover(issuer: string) {
  const oauth = await oauthLibrary();
  let metadata = discovered.get(issuer);
  if (!metadata) {
    const url = new URL(issuer);
    metadata = oauth.discoveryRequest(url, requestOptions(oauth, issuer)).then((response) => oauth.processDiscoveryResponse(url, response));
    metadata.catch(() => discovered.delete(issuer));
    discovered.set(issuer, metadata);
  }
  return metadata;
}

/** How people sign in here, or undefined when only admin tokens are accepted. */
export async function loadSignInConfig(): Promise<SignInConfig | undefined> {
  const response = await fetch('/admin/v1/auth/config', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`The API answered ${response.status}.`);
  const body = (await response.json()) as Partial<SignInConfig> & { enabled?: boolean };
  if (body.enabled !== true) return undefined;
  if (!isString(body.issuer) || !isString(body.clientId) || !isString(body.redirectPath) || !Array.isArray(body.scopes)) throw new Error('The sign-in configuration is incomplete.');
  return {
    enabled: true,
    issuer: body.issuer,
    clientId: body.clientId,
    scopes: body.scopes.filter(isString),
    redirectPath: body.redirectPath,
    postLogoutRedirectPath: isString(body.postLogoutRedirectPath) ? body.postLogoutRedirectPath : '/',
    endSessionEndpoint: isString(body.endSessionEndpoint) ? body.endSessionEndpoint : null,
  };
}

/** A short name for the provider on the sign-in button. */
export function providerName(issuer: string): string {
  const { hostname, host } = new URL(issuer);
  if (hostname === '127.0.0.1' || hostname === 'localhost') return 'the local identity provider';
  if (hostname.startsWith('cognito-idp.')) return 'single sign-on';
  return host;
}

interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  config: SignInConfig;
}

/**
 * Sends the browser to the provider's sign-in page. The verifier, state and nonce stay in this
 * tab's sessionStorage until the provider sends the browser back to /auth/callback.
 */
export async function beginSignIn(config: SignInConfig, next: string): Promise<void> {
  const oauth = await oauthLibrary();
  const as = await discover(config.issuer);
  if (!as.authorization_endpoint) throw new SignInError('The identity provider announces no authorization endpoint.');
  const pending: PendingSignIn = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier(), next, config };
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: `${window.location.origin}${config.redirectPath}`,
    scope: config.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(url.href);
}

function personSession(config: Pick<SignInConfig, 'issuer' | 'clientId' | 'endSessionEndpoint' | 'postLogoutRedirectPath'>, idToken: string, exp: number, refreshToken: string | undefined): Session {
  const { issuer, clientId, endSessionEndpoint, postLogoutRedirectPath } = config;
  return { kind: 'person', idToken, refreshToken, expiresAt: exp * 1000, issuer, clientId, endSessionEndpoint, postLogoutRedirectPath };
}

/** Why a step of the flow failed, in words for the person signing in. */
function explain(oauth: typeof import('oauth4webapi'), error: unknown): SignInError {
  if (error instanceof SignInError) return error;
  if (error instanceof oauth.AuthorizationResponseError || error instanceof oauth.ResponseBodyError) {
    return new SignInError(`The identity provider refused the sign-in: ${error.error_description ?? error.error}.`);
  }
  if (error instanceof oauth.OperationProcessingError && /"state"/.test(error.message)) {
    return new SignInError('This sign-in response does not belong to the sign-in this tab started (its state does not match), so it was refused: it may have been forged or replayed. Sign in again.');
  }
  if (error instanceof oauth.OperationProcessingError && /nonce/i.test(error.message)) {
    return new SignInError('The ID token does not belong to the sign-in this tab started (its nonce does not match), so it was refused. Sign in again.');
  }
  return new SignInError(`Signing in failed: ${error instanceof Error ? error.message : String(error)}`);
}

const finishing = new Map<string, Promise<string>>();

/**
 * Completes the sign-in at /auth/callback: checks the state, exchanges the code with the PKCE
 * verifier, checks the ID token's issuer, audience, expiry and nonce, and keeps the tokens.
 * Returns where to go next. Runs once per callback URL (React may mount the page twice).
 */
export function finishSignIn(callbackUrl: string): Promise<string> {
  let result = finishing.get(callbackUrl);
  if (!result) {
    result = completeSignIn(new URL(callbackUrl));
    finishing.set(callbackUrl, result);
  }
  return result;
}

async function completeSignIn(callback: URL): Promise<string> {
  const oauth = await oauthLibrary();
  const raw = sessionStorage.getItem(PENDING_KEY);
  // Used once, whatever happens next: a replayed callback finds nothing to complete.
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) throw new SignInError('This tab has no sign-in in progress (it was completed already, or started in another tab). Sign in again.');
  try {
    const pending = JSON.parse(raw) as PendingSignIn;
    const { config } = pending;
    const as = await discover(config.issuer);
    const client = { client_id: config.clientId };
    const params = oauth.validateAuthResponse(as, client, callback, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, `${window.location.origin}${config.redirectPath}`, pending.verifier, requestOptions(oauth, config.issuer));
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!tokens.id_token || !claims) throw new SignInError('The identity provider sent no ID token.');
    keep(personSession(config, tokens.id_token, claims.exp, tokens.refresh_token));
    return pending.next;
  } catch (error) {
    throw explain(oauth, error);
  }
}

let refreshing: Promise<Session | undefined> | undefined;

/** A new ID token for the session's refresh token, or the session ended with a notice. */
async function refresh(session: Extract<Session, { kind: 'person' }>): Promise<Session | undefined> {
  if (!session.refreshToken) {
    signOut('Your sign-in has expired: sign in again.');
    return undefined;
  }
  const oauth = await oauthLibrary();
  try {
    const as = await discover(session.issuer);
    const client = { client_id: session.clientId };
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), session.refreshToken, requestOptions(oauth, session.issuer));
    const tokens = await oauth.processRefreshTokenResponse(as, client, response);
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!tokens.id_token || !claims) throw new Error('no ID token');
    // Cognito keeps the refresh token it issued; other providers rotate it.
    const next = personSession(session, tokens.id_token, claims.exp, tokens.refresh_token ?? session.refreshToken);
    keep(next);
    return next;
  } catch {
    signOut('Your sign-in has expired and could not be renewed: sign in again.');
    return undefined;
  }
}

/** The Authorization header for the current session, refreshing a person's ID token first when it is about to expire. */
export async function bearer(): Promise<string | undefined> {
  let session = read();
  if (session?.kind === 'person' && session.expiresAt - REFRESH_MARGIN_MS <= Date.now()) {
    refreshing ??= refresh(session).finally(() => (refreshing = undefined));
    session = await refreshing;
  }
  if (!session) return undefined;
  return `Bearer ${session.kind === 'person' ? session.idToken : session.token}`;
}

/** The header the current session sends, as it is now (no refresh). */
export function authorization(): string | undefined {
  const session = read();
  return session ? `Bearer ${session.kind === 'person' ? session.idToken : session.token}` : undefined;
}

/**
 * Signs out: the session ends in this tab, then, for a person, the browser goes to the
 * provider's end-session endpoint (RP-initiated logout; Cognito's /logout), which ends the
 * provider's own session and sends the browser back to the dashboard. Returns false when there
 * is no such endpoint (the caller shows the sign-in page).
 */
export async function signOutEverywhere(): Promise<boolean> {
  const session = read();
  signOut();
  if (session?.kind !== 'person') return false;
  const back = `${window.location.origin}${session.postLogoutRedirectPath}`;
  try {
    const as = await discover(session.issuer);
    if (as.end_session_endpoint) {
      const url = new URL(as.end_session_endpoint);
      url.search = new URLSearchParams({ client_id: session.clientId, id_token_hint: session.idToken, post_logout_redirect_uri: back }).toString();
      window.location.assign(url.href);
      return true;
    }
  } catch {
    // Discovery failed: the configured endpoint, if any, still signs out at the provider.
  }
  if (session.endSessionEndpoint) {
    // Cognito's logout endpoint: client_id and logout_uri (a registered sign-out URL).
    const url = new URL(session.endSessionEndpoint);
    url.search = new URLSearchParams({ client_id: session.clientId, logout_uri: back }).toString();
    window.location.assign(url.href);
    return true;
  }
  return false;
}
