/**
 * The authorization code + PKCE flow over real HTTP, as the dashboard will run it: the client's
 * side with `oauth4webapi` (discovery, code verifier and challenge, state and nonce, the
 * authorization response checked, the code exchanged, the ID token's claims validated), and the
 * person's side (the provider's sign-in page and its form, the redirects) with fetch and a
 * cookie jar, as a browser would. No browser is needed for the backend.
 */
import * as oauth from 'oauth4webapi';

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string | undefined;
}

/** A minimal cookie jar: the provider keeps its interaction state in cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (pair && index > 0) this.cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export interface FlowOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  email: string;
  groups?: string[];
  scope?: string;
  /** Leave PKCE out, to see the provider refuse. */
  withoutPkce?: boolean;
  /** Send another verifier at the token endpoint than the one the challenge was made from. */
  wrongVerifier?: boolean;
}

// The local provider listens on plain http on loopback.
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The provider's metadata, checked to name the issuer it was fetched from. */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
}

/** An error a step of the flow ended in, with the provider's `error` and `error_description`. */
function refused(error: unknown): Error {
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
    return new Error(`refused: ${error.error}: ${error.error_description ?? ''}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Signs in and returns the tokens; throws with the provider's answer when a step fails. */
export async function signInWithCode(options: FlowOptions): Promise<Tokens> {
  const as = await discover(options.issuer);
  const client: oauth.Client = { client_id: options.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const authorize = new URL(as.authorization_endpoint as string);
  authorize.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: options.scope ?? 'openid email profile',
    state,
    nonce,
    ...(options.withoutPkce ? {} : { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }),
  }).toString();

  // The browser's part: the authorization request, the sign-in page and its form, the redirects.
  const jar = new CookieJar();
  let response = await fetch(authorize, { redirect: 'manual' });
  jar.take(response);
  let location = response.headers.get('location');
  // A bad redirect URI is answered with an error page, never a redirect to it.
  if (!location) throw new Error(`authorization request answered ${response.status}: ${await response.text()}`);
  let next = new URL(location, options.issuer);
  if (!next.href.startsWith(options.redirectUri)) {
    response = await fetch(next, { headers: { cookie: jar.header() } });
    jar.take(response);
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no sign-in form: ${html.slice(0, 200)}`);
    response = await fetch(new URL(action.replace(/&#47;/g, '/'), options.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: options.email, groups: (options.groups ?? []).join(',') }).toString(),
    });
    jar.take(response);
    for (let hops = 0; hops < 10 && !next.href.startsWith(options.redirectUri); hops++) {
      location = response.headers.get('location');
      if (!location) throw new Error(`sign-in stopped at ${response.status}: ${(await response.text()).slice(0, 300)}`);
      next = new URL(location, options.issuer);
      if (next.href.startsWith(options.redirectUri)) break;
      response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.take(response);
    }
  }

  // The client's part again, back at the redirect URI.
  try {
    const params = oauth.validateAuthResponse(as, client, next, state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, options.redirectUri, options.wrongVerifier ? oauth.generateRandomCodeVerifier() : verifier, insecure);
    const result = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: nonce, requireIdToken: true });
    return { idToken: result.id_token as string, accessToken: result.access_token, refreshToken: result.refresh_token };
  } catch (error) {
    throw refused(error);
  }
}

/** A new ID token for a refresh token, asked from `origin` as the dashboard asks it from the browser. */
export async function refreshTokens(options: { issuer: string; clientId: string; refreshToken: string; origin: string }): Promise<Tokens & { allowedOrigin: string | null }> {
  const as = await discover(options.issuer);
  const client: oauth.Client = { client_id: options.clientId };
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), options.refreshToken, { ...insecure, headers: { origin: options.origin } });
  const allowedOrigin = response.headers.get('access-control-allow-origin');
  try {
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    return { idToken: result.id_token as string, accessToken: result.access_token, refreshToken: result.refresh_token, allowedOrigin };
  } catch (error) {
    throw refused(error);
  }
}
