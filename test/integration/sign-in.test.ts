/**
 * People sign in at an OpenID provider (oidc-provider, in this process) with authorization code
 * + PKCE, over real HTTP, and call the management API with the ID token. Tokens that are not
 * exactly right are refused with 401.
 */
import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicSignInConfig } from '../../functions/domain/sign-in.js';
import { newSigningKey, startLocalOidcProvider } from '../../functions/local/oidc-provider.js';
import { refreshTokens, signInWithCode } from '../support/oidc-flow.js';
import { APP_ORIGIN, type SignInFixture, startSignInFixture } from '../support/sign-in.js';
import { startTestApi } from '../support/test-api.js';

const AUDIENCE = 'https://api.vexilla.example';
let fixture: SignInFixture;
let projectId: string;
let envId: string;

const asPerson = (token: string) => ({ token });

beforeAll(async () => {
  fixture = await startSignInFixture({ audience: AUDIENCE });
  const { api } = fixture;
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'People' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout', initialValue: 'v1' } });
});
afterAll(() => fixture?.close());

async function invite(email: string, roles: object) {
  const reply = await fixture.api.call('POST', `/admin/v1/organisations/${fixture.api.organisationId}/invitations`, { body: { email, roles } });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

describe('signing in', () => {
  it('publishes, without authentication, what the dashboard needs to sign a person in', async () => {
    const reply = await fixture.api.call('GET', '/admin/v1/auth/config', { token: undefined });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...publicSignInConfig({ ...fixture.provider.signIn, audience: AUDIENCE }) });
    expect(reply.body).toMatchObject({ enabled: true, clientId: 'vexilla-dashboard', scopes: ['openid', 'email', 'profile'], codeChallengeMethod: 'S256', redirectPath: '/auth/callback', bearerToken: 'id_token' });
    const discovery = await (await fetch(reply.body.discoveryUrl)).json();
    expect(discovery).toMatchObject({ issuer: fixture.provider.issuer, code_challenge_methods_supported: ['S256'] });
  });

  it('lands an invited person in the organisation with their role, through code + PKCE', async () => {
    const invitation = await invite('Ana@Example.com', { projects: { [projectId]: 'editor' } });
    expect(invitation).toMatchObject({ email: 'ana@example.com', roles: { projects: { [projectId]: 'editor' } } });
    const tokens = await fixture.signIn('ana@example.com');
    expect(decodeJwt(tokens.idToken)).toMatchObject({ email: 'ana@example.com', email_verified: true, aud: 'vexilla-dashboard' });

    const me = await fixture.api.call('GET', '/admin/v1/me', asPerson(tokens.idToken));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ type: 'user', email: 'ana@example.com', emailVerified: true, subject: decodeJwt(tokens.idToken).sub });
    expect(me.body.organisations).toEqual([{ id: fixture.api.organisationId, name: 'Test organisation', roles: { projects: { [projectId]: 'editor' } } }]);

    const changed = await fixture.api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { ...asPerson(tokens.idToken), body: { enabled: true } });
    expect(changed.status).toBe(200);
    expect((await fixture.api.call('POST', `/admin/v1/projects/${projectId}/environments`, { ...asPerson(tokens.idToken), body: { name: 'nope' } })).status).toBe(403);

    // The invitation was used up; the membership is listed.
    expect((await fixture.api.call('GET', `/admin/v1/organisations/${fixture.api.organisationId}/invitations`)).body.items).toEqual([]);
    const members = (await fixture.api.call('GET', `/admin/v1/organisations/${fixture.api.organisationId}/members`)).body.items;
    expect(members).toEqual([expect.objectContaining({ userId: me.body.id, email: 'ana@example.com', roles: { projects: { [projectId]: 'editor' } }, invitedBy: expect.objectContaining({ type: 'token' }) })]);
  });

  it('names the person in audit: subject and email, on the change and on their joining', async () => {
    const tokens = await fixture.signIn('ana@example.com');
    const sub = decodeJwt(tokens.idToken).sub;
    await fixture.api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { ...asPerson(tokens.idToken), body: { value: 'v2' } });
    const audit = (await fixture.api.call('GET', `/admin/v1/organisations/${fixture.api.organisationId}/audit?actor=ana@example.com`)).body.items;
    expect(audit[0]).toMatchObject({ detailType: 'feature-state.changed', actor: { type: 'user', subject: sub, email: 'ana@example.com', name: 'ana@example.com' }, after: { value: 'v2' } });
    expect(audit.at(-1)).toMatchObject({ detailType: 'member.changed', action: 'created', subject: { kind: 'member', email: 'ana@example.com' }, actor: { email: 'ana@example.com' } });
  });

  it('requires PKCE, and a code is worth nothing without its verifier', async () => {
    const base = { issuer: fixture.provider.issuer, clientId: fixture.provider.clientId, redirectUri: `${APP_ORIGIN}/auth/callback`, email: 'ana@example.com' };
    await expect(signInWithCode({ ...base, withoutPkce: true })).rejects.toThrow(/invalid_request.*PKCE/);
    await expect(signInWithCode({ ...base, wrongVerifier: true })).rejects.toThrow(/invalid_grant/);
    await expect(signInWithCode({ ...base, redirectUri: 'http://evil.example/auth/callback' })).rejects.toThrow(/redirect_uri/);
  });

  it('refreshes the ID token with the refresh token, as Cognito does', async () => {
    const tokens = await fixture.signIn('ana@example.com');
    expect(tokens.refreshToken).toBeDefined();
    const refreshed = await refreshTokens({ issuer: fixture.provider.issuer, clientId: fixture.provider.clientId, refreshToken: tokens.refreshToken as string, origin: APP_ORIGIN });
    // The dashboard calls the token endpoint from its own origin: CORS allows exactly that one.
    expect(refreshed.allowedOrigin).toBe(APP_ORIGIN);
    expect((await fixture.api.call('GET', '/admin/v1/me', asPerson(refreshed.idToken))).body.email).toBe('ana@example.com');
  });
});

describe('tokens that are not exactly right', () => {
  let otherKey: JWK;
  let publicPem: string;
  let anaSub: string;

  beforeAll(async () => {
    otherKey = await newSigningKey();
    publicPem = createPublicKey({ key: fixture.key as unknown as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    anaSub = String(decodeJwt((await fixture.signIn('ana@example.com')).idToken).sub);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['another issuer', () => fixture.forge({ sub: anaSub, iss: 'http://127.0.0.1:1' }), /another identity provider/],
    ['another application (aud)', () => fixture.forge({ sub: anaSub, aud: 'another-app' }), /not issued for Vexilla/],
    ['an audience shared with another party that it was issued to (azp)', () => fixture.forge({ sub: anaSub, aud: ['vexilla-dashboard', 'other'], azp: 'other' }), /not issued for Vexilla/],
    ['a Cognito access token of another app client', () => fixture.forge({ sub: anaSub, aud: undefined, token_use: 'access', client_id: 'another-client' }), /not issued for Vexilla/],
    ['expired', () => fixture.forge({ sub: anaSub, iat: now() - 7200, exp: now() - 3600 }), /expired/],
    ['not valid yet (nbf)', () => fixture.forge({ sub: anaSub, nbf: now() + 3600 }), /not valid/],
    ['no expiry', () => fixture.forge({ sub: anaSub, exp: undefined }), /not valid/],
    ['signed by another key under the same key id', () => fixture.forge({ sub: anaSub }, { key: otherKey }), /signature does not verify/],
    ['signed by a key the issuer never published', () => fixture.forge({ sub: anaSub }, { key: otherKey, header: { kid: 'unknown-kid' } }), /signature does not verify/],
    [
      'alg none',
      async () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: fixture.provider.issuer, aud: 'vexilla-dashboard', sub: anaSub, iat: now(), exp: now() + 300 })}.`;
      },
      /algorithm/,
    ],
    [
      'HS256 "signed" with the public key',
      () =>
        new SignJWT({ iss: fixture.provider.issuer, aud: 'vexilla-dashboard', sub: anaSub })
          .setProtectedHeader({ alg: 'HS256', kid: fixture.key.kid as string })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(publicPem)),
      /algorithm/,
    ],
    [
      'a real ID token whose claims were edited',
      async () => {
        const [header, , signature] = (await fixture.signIn('ana@example.com')).idToken.split('.');
        const payload = Buffer.from(JSON.stringify({ ...decodeJwt((await fixture.signIn('ana@example.com')).idToken), email: 'admin@example.com' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
      /signature does not verify/,
    ],
  ];

  it.each(cases)('refuses %s with 401', async (_, make, message) => {
    const reply = await fixture.api.call('GET', `/admin/v1/organisations/${fixture.api.organisationId}`, { token: await make() });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(message) });
  });

  it('tells admin tokens, sign-in tokens and environment keys apart by their shape', async () => {
    const reply = (token: string) => fixture.api.call('GET', '/admin/v1/me', { token });
    expect((await reply('vxa_unknownunknownunknown')).body.message).toMatch(/admin token is unknown/);
    expect((await reply('ser.abcdefghijklmnopqrstuvwxyz0123456789ABCD')).body.message).toMatch(/neither an admin token nor a sign-in token/);
    expect((await reply('eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl')).status).toBe(401);
    expect((await reply(`eyJ${'a'.repeat(10_300)}.e30.sig`)).body.message).toMatch(/too long/);
  });

  it('accepts a Cognito-shaped access token (client_id, no aud) and an RFC 9068 access token for the configured audience', async () => {
    const cognito = await fixture.forge({ sub: anaSub, aud: undefined, token_use: 'access', client_id: 'vexilla-dashboard', scope: 'openid email' });
    const me = await fixture.api.call('GET', '/admin/v1/me', { token: cognito });
    expect(me.status).toBe(200);
    // No email in an access token: the person is known by their subject, with the email their ID token gave.
    expect(me.body).toMatchObject({ subject: anaSub, email: 'ana@example.com' });
    const rfc9068 = await fixture.forge({ sub: anaSub, aud: AUDIENCE, client_id: 'some-cli' }, { header: { typ: 'at+jwt' } });
    expect((await fixture.api.call('GET', '/admin/v1/me', { token: rfc9068 })).status).toBe(200);
  });
});

describe('membership takes effect on the next request', () => {
  it('refuses a removed member on their very next request, with the same token', async () => {
    await invite('bob@example.com', { organisation: 'admin' });
    const { idToken } = await fixture.signIn('bob@example.com');
    const org = `/admin/v1/organisations/${fixture.api.organisationId}`;
    expect((await fixture.api.call('GET', `${org}/members`, asPerson(idToken))).status).toBe(200);
    const bob = (await fixture.api.call('GET', '/admin/v1/me', asPerson(idToken))).body.id;

    expect((await fixture.api.call('DELETE', `${org}/members/${bob}`)).status).toBe(204);
    expect((await fixture.api.call('GET', `${org}/members`, asPerson(idToken))).status).toBe(404);
    expect((await fixture.api.call('GET', `/admin/v1/environments/${envId}/feature-states/checkout`, asPerson(idToken))).status).toBe(404);
    expect((await fixture.api.call('GET', '/admin/v1/me', asPerson(idToken))).body.organisations).toEqual([]);
  });

  it('applies a role change on the next request', async () => {
    await invite('cy@example.com', { environments: { [envId]: 'viewer' } });
    const { idToken } = await fixture.signIn('cy@example.com');
    const patch = () => fixture.api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { ...asPerson(idToken), body: { enabled: false } });
    expect((await patch()).status).toBe(403);
    const cy = (await fixture.api.call('GET', '/admin/v1/me', asPerson(idToken))).body.id;
    const promoted = await fixture.api.call('PATCH', `/admin/v1/organisations/${fixture.api.organisationId}/members/${cy}`, { body: { roles: { environments: { [envId]: 'editor' } } } });
    expect(promoted.status).toBe(200);
    expect((await patch()).status).toBe(200);
  });

  it('does not let a person change or remove themselves', async () => {
    await invite('dee@example.com', { organisation: 'admin' });
    const { idToken } = await fixture.signIn('dee@example.com');
    const dee = (await fixture.api.call('GET', '/admin/v1/me', asPerson(idToken))).body.id;
    const org = `/admin/v1/organisations/${fixture.api.organisationId}`;
    expect((await fixture.api.call('DELETE', `${org}/members/${dee}`, asPerson(idToken))).status).toBe(403);
    expect((await fixture.api.call('PATCH', `${org}/members/${dee}`, { ...asPerson(idToken), body: { roles: { organisation: 'admin' } } })).status).toBe(403);
  });
});

describe('the identity provider rotates its signing key', () => {
  it('accepts tokens signed with a key published after the first verification, and the old key while it is published', async () => {
    // Prepare: a provider signing with key A, and an API that has already fetched its keys.
    const [a, b] = [await newSigningKey(), await newSigningKey()];
    const provider = await startLocalOidcProvider({ appOrigins: [APP_ORIGIN], keys: [a], anyEmail: true });
    const { issuer, clientId } = provider;
    // No cooldown between key fetches, so the first token naming the new key fetches at once
    // (by default an unknown key id may fetch at most every 30 s; see sign-in-verifier.ts).
    const api = await startTestApi({ adminApi: { signIn: provider.signIn, verifier: { cooldownMs: 0 } } });
    const signIn = () => signInWithCode({ issuer, clientId, redirectUri: `${APP_ORIGIN}/auth/callback`, email: 'rota@example.com' });
    const me = async (token: string) => (await api.call('GET', '/admin/v1/me', { token })).status;
    try {
      const before = (await signIn()).idToken;
      expect(decodeProtectedHeader(before).kid).toBe(a.kid);
      expect(await me(before)).toBe(200);

      // Act: the provider signs with B from now on, and still publishes A.
      provider.rotateKeys([b, a]);
      const after = (await signIn()).idToken;

      // Assess: the new key's token is accepted with nothing configured, and so is the old one.
      expect(decodeProtectedHeader(after).kid).toBe(b.kid);
      expect(await me(after)).toBe(200);
      expect(await me(before)).toBe(200);
    } finally {
      await api.close();
      await provider.close();
    }
  });
});
