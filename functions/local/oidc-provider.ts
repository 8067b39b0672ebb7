/**
 * The local stack's identity provider: a real, certified OpenID provider (`oidc-provider`) in
 * this process, bound to loopback, so the dashboard signs in offline exactly as it does against
 * Cognito: authorization code with PKCE (required), a public client without a secret, ID tokens
 * carrying `email`, `email_verified`, `name` and `groups`, and a refresh token.
 *
 * There are no passwords: the sign-in page asks for an email address. Known users (the demo
 * user) sign in as themselves; with `anyEmail`, any address signs in as a verified user of its
 * own, so invitations can be tried locally. It is a development tool and never runs in AWS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Configuration, default as Provider, KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import { DASHBOARD_CALLBACK_PATH, DASHBOARD_SIGNED_OUT_PATH, type SignInConfig, SIGN_IN_SCOPES } from '../domain/sign-in.js';

export interface LocalOidcUser {
  email: string;
  name?: string | undefined;
  /** @default true */
  emailVerified?: boolean | undefined;
  groups?: string[] | undefined;
}

export interface LocalOidcProviderOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** The public client the dashboard signs in with. @default 'vexilla-dashboard' */
  clientId?: string;
  /** Where the API (and the dashboard, same origin) listens: its callback and sign-out URLs are registered from it. */
  appOrigins: string[];
  /** Signing keys (private JWKs). @default one RS256 key, generated now */
  keys?: JWK[];
  /** Keys that sign the provider's cookies. @default random, for this process */
  cookieKeys?: string[];
  /** Users who can sign in. */
  users?: LocalOidcUser[];
  /** Any email address signs in, as a verified user of its own (the local stack's convenience). @default false */
  anyEmail?: boolean;
}

export interface LocalOidcProvider {
  issuer: string;
  port: number;
  clientId: string;
  /** What to save for the next run (see writeProviderState). */
  state: SavedProviderState;
  /** What the admin API needs to accept this provider's tokens. */
  signIn: SignInConfig;
  /**
   * Publishes `keys` from now on and signs with the first, at the same issuer and on the same
   * connections (as a provider rotating its key does). Sessions and codes already issued stay valid.
   */
  rotateKeys(keys: JWK[]): void;
  close(): Promise<void>;
}

/** The subject of a local user: stable for an address, so a restart keeps people who they are. */
export const localSubject = (email: string) => `local-${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 20)}`;

/** A new RS256 signing key, as the private JWK the provider takes (and dev.ts keeps). */
export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: randomBytes(8).toString('hex') };
}

/** What the local stack keeps between runs so sign-in survives a restart: the issuer's port and its keys. */
const savedStateSchema = z.object({
  port: z.number().int().min(1).max(65_535),
  keys: z.array(z.record(z.string(), z.unknown())).min(1),
  cookieKeys: z.array(z.string().min(16)).min(1),
});
export type SavedProviderState = z.infer<typeof savedStateSchema>;

/** The saved state, or undefined when there is none (or it is unreadable: a new one is made). */
export async function readProviderState(file: string): Promise<SavedProviderState | undefined> {
  try {
    return savedStateSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Saves the state: private keys, so owner-only. */
export async function writeProviderState(file: string, state: SavedProviderState): Promise<void> {
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

const loginForm = z.object({
  email: z.email().max(254),
  groups: z.string().max(2000).default(''),
});

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:1rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1.5rem;padding:.5rem 1.5rem}p.note{color:#555;font-size:.9rem}</style>
</head><body>${body}</body></html>`;
}

async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** The package and its memory adapter, loaded when the provider first answers. */
async function loadOidcProvider() {
  const { default: ProviderClass } = await import('oidc-provider');
  // @ts-expect-error: the package ships no types for its own memory adapter.
  const { default: MemoryAdapter } = (await import('oidc-provider/lib/adapters/memory_adapter.js')) as { default: new (name: string) => object };
  return { ProviderClass, MemoryAdapter };
}

export async function startLocalOidcProvider(options: LocalOidcProviderOptions): Promise<LocalOidcProvider> {
  const clientId = options.clientId ?? 'vexilla-dashboard';
  const users = new Map<string, Required<LocalOidcUser>>();
  const addUser = (user: LocalOidcUser) => {
    const email = user.email.trim().toLowerCase();
    const entry = { email, name: user.name ?? email, emailVerified: user.emailVerified ?? true, groups: user.groups ?? [] };
    users.set(localSubject(email), entry);
    return localSubject(email);
  };
  for (const user of options.users ?? []) addUser(user);

  // The port must be known before the issuer can be: listen first, then build the provider.
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(503).end();
  const server = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const origins = options.appOrigins.map((origin) => origin.replace(/\/$/, ''));
  let keys = options.keys ?? [await newSigningKey()];
  const cookieKeys = options.cookieKeys ?? [randomBytes(32).toString('base64url')];

  const configuration = (MemoryAdapter: new (name: string) => object, jwks: JWK[]): Configuration => ({
    // Sessions, codes and tokens in memory (a restart signs everyone out), said once here
    // rather than warned about on every start.
    adapter: class LocalStackAdapter extends MemoryAdapter {} as unknown as Configuration['adapter'],
    clients: [
      {
        client_id: clientId,
        // A browser app: no secret, so PKCE is what binds the code to the one who asked for it.
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: origins.map((origin) => `${origin}${DASHBOARD_CALLBACK_PATH}`),
        post_logout_redirect_uris: origins.map((origin) => `${origin}${DASHBOARD_SIGNED_OUT_PATH}`),
      },
    ],
    jwks: { keys: jwks },
    cookies: {
      keys: cookieKeys,
      // Plain http on loopback: SameSite=None cookies would need Secure, which browsers refuse here.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    pkce: { required: () => true, methods: ['S256'] },
    scopes: [...SIGN_IN_SCOPES, 'offline_access'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    // Cognito puts the scopes' claims in the ID token; so does this provider (the spec's
    // conforming mode would send them only from the userinfo endpoint).
    conformIdTokenClaims: false,
    // As Cognito does for the authorization code grant, whatever the scopes.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: 3600, IdToken: 3600, RefreshToken: 12 * 3600, Interaction: 600, Session: 12 * 3600, Grant: 12 * 3600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    // The dashboard is the provider's own first-party client: no consent screen.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client?.clientId ?? '');
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client?.clientId, accountId: oidc.session?.accountId });
      grant.addOIDCScope([...SIGN_IN_SCOPES, 'offline_access'].join(' '));
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: user.email, email_verified: user.emailVerified, name: user.name, groups: user.groups }),
      };
    },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: (_ctx, origin) => origins.includes(origin),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
  });
  // Built with the first request, not at start: the package costs over a second of CPU to load,
  // and most starts (the tests of the API, of stopping) sign nobody in. Its port, issuer and keys
  // exist from the start; nothing else needs it earlier.
  let built: Promise<{ provider: Provider; callback: ReturnType<Provider['callback']> }> | undefined;
  const active = () => {
    if (built) return built;
    const attempt = loadOidcProvider().then(({ ProviderClass, MemoryAdapter }) => {
      const provider = new ProviderClass(issuer, configuration(MemoryAdapter, keys));
      return { provider, callback: provider.callback() };
    });
    // A failed build is not kept: the next request tries again.
    attempt.catch(() => {
      if (built === attempt) built = undefined;
    });
    return (built = attempt);
  };

  /** The sign-in page and its form: our own interaction, in place of the development one. */
  async function interaction(request: IncomingMessage, response: ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const { provider } = await active();
    const details = await provider.interactionDetails(request, response);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (request.method === 'GET' && action === undefined) {
      const known = [...users.values()];
      const first = known[0]?.email ?? '';
      const body = `<h1>Sign in to Vexilla (local)</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(first)}">
<label for="groups">Groups (optional, comma-separated)</label><input id="groups" name="groups" type="text">
<button type="submit">Sign in</button></form>
<p class="note">Local identity provider: no passwords. ${options.anyEmail ? 'Any address signs in as a verified user.' : `Known users: ${known.map((user) => escapeHtml(user.email)).join(', ')}.`}</p>`;
      // The form's answer redirects on to the dashboard's callback, and browsers hold every hop
      // of a form's redirects to form-action: the dashboard's origins are allowed, nothing else.
      const formAction = ["'self'", ...origins].join(' ');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}`, 'cache-control': 'no-store' });
      response.end(page('Sign in to Vexilla', body));
      return;
    }
    if (request.method === 'POST' && action === 'login') {
      const parsed = loginForm.safeParse(await readForm(request));
      const email = parsed.success ? parsed.data.email.toLowerCase() : '';
      let sub = parsed.success ? localSubject(email) : undefined;
      if (sub && !users.has(sub)) sub = options.anyEmail ? addUser({ email }) : undefined;
      if (!sub || !parsed.success) {
        await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'Unknown user' }, { mergeWithLastSubmission: false });
        return;
      }
      const groups = parsed.data.groups.split(',').map((group) => group.trim()).filter(Boolean);
      const user = users.get(sub);
      if (user && groups.length > 0) user.groups = groups;
      await provider.interactionFinished(request, response, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
      return;
    }
    response.writeHead(405).end();
  }

  handle = (request, response) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(new URL(request.url ?? '/', issuer).pathname);
    if (!match) {
      active().then(
        ({ callback }) => callback(request, response),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`The local sign-in provider could not start: ${(error as Error).message}`),
      );
      return;
    }
    interaction(request, response, match[1] as string, match[2]).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page('Sign-in error', `<h1>Sign-in error</h1><p>${escapeHtml((error as Error).message)}</p>`));
    });
  };

  return {
    issuer,
    port,
    clientId,
    get state() {
      return { port, keys: keys as Record<string, unknown>[], cookieKeys };
    },
    signIn: { issuer, clientId },
    rotateKeys(next) {
      keys = next;
      // The next request builds it again with these keys; sessions and codes live in the memory adapter's store.
      built = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
