/**
 * The token verifier against a JWKS served over real HTTP by the test: keys are fetched once and
 * cached, a rotated-in key is picked up when a token names it, an attacker's unknown key ids
 * cannot make it fetch again and again, and an unreachable provider is a 503, not a 401.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Unauthenticated, Unavailable } from '../../functions/domain/errors.js';
import { createSignInVerifier } from '../../functions/http/sign-in-verifier.js';

interface Key {
  kid: string;
  publicJwk: JWK;
  privateKey: CryptoKey;
}

async function newKey(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
}

let server: Server;
let issuer: string;
let published: Key[] = [];
let discoveryIssuer: string | undefined;
const fetches = { discovery: 0, jwks: 0 };

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration') {
      fetches.discovery++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (request.url === '/jwks') {
      fetches.jwks++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  fetches.discovery = 0;
  fetches.jwks = 0;
  discoveryIssuer = undefined;
});

const sign = (key: Key, claims: Record<string, unknown> = {}) =>
  new SignJWT({ email: 'ana@example.com', email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(issuer)
    .setAudience('dashboard')
    .setSubject('ana')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);

describe('the sign-in token verifier', () => {
  it('fetches the keys once (discovery, then the JWKS) and verifies many tokens with them', async () => {
    const a = await newKey('a');
    published = [a];
    const verify = createSignInVerifier({ issuer, clientId: 'dashboard' });
    for (let i = 0; i < 20; i++) expect(await verify(await sign(a))).toMatchObject({ subject: 'ana', email: 'ana@example.com', emailVerified: true });
    expect(fetches).toEqual({ discovery: 1, jwks: 1 });
  });

  it('picks up a key rotated in, when a token first names it', async () => {
    const [a, b] = [await newKey('a'), await newKey('b')];
    published = [a];
    const verify = createSignInVerifier({ issuer, clientId: 'dashboard' }, { cooldownMs: 0 });
    await verify(await sign(a));
    published = [a, b];
    expect((await verify(await sign(b))).subject).toBe('ana');
    expect(fetches.jwks).toBe(2);
    await verify(await sign(a));
    await verify(await sign(b));
    expect(fetches.jwks).toBe(2);
  });

  it('does not fetch again for unknown key ids during the cooldown: a flood of forged kids costs the provider nothing', async () => {
    const [a, forged] = [await newKey('a'), await newKey('forged')];
    published = [a];
    const verify = createSignInVerifier({ issuer, clientId: 'dashboard' }, { cooldownMs: 3_600_000 });
    await verify(await sign(a));
    for (let i = 0; i < 10; i++) await expect(verify(await sign({ ...forged, kid: `forged-${i}` }))).rejects.toBeInstanceOf(Unauthenticated);
    expect(fetches.jwks).toBe(1);
  });

  it('answers 503, not 401, when the provider cannot be reached or contradicts itself, and tries again next time', async () => {
    const a = await newKey('a');
    published = [a];
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createSignInVerifier({ issuer: `http://127.0.0.1:${port}`, clientId: 'dashboard' });
    await expect(unreachable(await sign(a))).rejects.toBeInstanceOf(Unavailable);

    discoveryIssuer = 'https://impostor.example';
    const verify = createSignInVerifier({ issuer, clientId: 'dashboard' });
    await expect(verify(await sign(a))).rejects.toBeInstanceOf(Unavailable);
    discoveryIssuer = undefined;
    expect((await verify(await sign(a))).subject).toBe('ana');
    expect(fetches.discovery).toBe(2);
  });

  it('uses a configured JWKS URL without discovery, reads groups from a string claim, and trusts email only as configured', async () => {
    const a = await newKey('a');
    published = [a];
    const verify = createSignInVerifier({ issuer, clientId: 'dashboard', jwksUri: `${issuer}/jwks`, groupsClaim: 'custom:groups' });
    const claims = await verify(await sign(a, { 'custom:groups': '[admins, flag-editors]', email_verified: undefined }));
    expect(claims).toMatchObject({ groups: ['admins', 'flag-editors'], emailVerified: false });
    expect(fetches.discovery).toBe(0);
    const trusting = createSignInVerifier({ issuer, clientId: 'dashboard', jwksUri: `${issuer}/jwks`, trustEmail: true });
    expect((await trusting(await sign(a, { email_verified: undefined }))).emailVerified).toBe(true);
    expect((await trusting(await sign(a, { email: undefined }))).emailVerified).toBe(false);
  });
});
