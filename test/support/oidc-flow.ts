/**
 * The authorization code + PKCE flow, driven over HTTP with fetch, as a browser would drive it:
 * authorization request, the provider's sign-in page (its form posted), the redirect back with
 * the code, and the token request with the code verifier. No browser needed for the backend.
 */
import { createHash, randomBytes } from 'node:crypto';

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
  /** Send this verifier at the token endpoint instead of the right one. */
  wrongVerifier?: boolean;
}

/** Signs in and returns the tokens; throws with the provider's answer when a step fails. */
export async function signInWithCode(options: FlowOptions): Promise<Tokens> {
  const discovery = (await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: options.scope ?? 'openid email profile',
    state,
    nonce,
    ...(options.withoutPkce ? {} : { code_challenge: challenge, code_challenge_method: 'S256' }),
  }).toString();

  const jar = new CookieJar();
  let response = await fetch(authorize, { redirect: 'manual' });
  jar.take(response);
  let location = response.headers.get('location');
  // The provider may redirect straight back with an error (no PKCE, a bad redirect URI).
  if (!location) throw new Error(`authorization request answered ${response.status}: ${await response.text()}`);
  let next = new URL(location, options.issuer);
  if (next.href.startsWith(options.redirectUri)) throw new Error(`refused: ${next.searchParams.get('error')}: ${next.searchParams.get('error_description')}`);

  // The sign-in page, then its form.
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

  // Follow the provider's redirects until it sends the browser back to the app.
  for (let hops = 0; hops < 10; hops++) {
    location = response.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at ${response.status}: ${(await response.text()).slice(0, 300)}`);
    next = new URL(location, options.issuer);
    if (next.href.startsWith(options.redirectUri)) break;
    response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
  }
  if (next.searchParams.get('error')) throw new Error(`refused: ${next.searchParams.get('error')}: ${next.searchParams.get('error_description')}`);
  if (next.searchParams.get('state') !== state) throw new Error('state mismatch');
  const code = next.searchParams.get('code');
  if (!code) throw new Error(`no code in ${next.href}`);

  const token = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: options.clientId,
      code,
      redirect_uri: options.redirectUri,
      code_verifier: options.wrongVerifier ? randomBytes(32).toString('base64url') : verifier,
    }).toString(),
  });
  const body = (await token.json()) as { id_token?: string; access_token?: string; refresh_token?: string; error?: string; error_description?: string };
  if (!token.ok || !body.id_token || !body.access_token) throw new Error(`token request refused: ${body.error}: ${body.error_description}`);
  return { idToken: body.id_token, accessToken: body.access_token, refreshToken: body.refresh_token };
}
