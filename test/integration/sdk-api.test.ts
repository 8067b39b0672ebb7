/**
 * The SDK-facing API over real HTTP: who may call what, bad input, freshness headers, document
 * pagination, CORS, and the OFREP wire details the client libraries rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../functions/domain/entities.js';
import { DOCUMENT_PAGE_ITEMS } from '../../functions/http/sdk/flagsmith.js';
import { edgeKeyOf } from '../../functions/edge/cache-rules.js';
import { isEdgeRoute, routes } from '../../functions/http/routes.js';
import { seedIdentities } from '../support/seed-identities.js';
import { buildRichEnvironment, type RichEnvironment } from '../support/rich-environment.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;
let other: { projectId: string; envId: string; clientKey: string };
/** A server key scoped to one tenant of env's project (per-tenant documents). */
let tenantServerKey: string;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api, 'Main');
  // Another project's environment with the same `banner`, changed there only (a second rich
  // environment would add 40 writes that no test here reads).
  other = await projectWithEnvironment(api, 'Other');
  await okCall(api, 'POST', `/admin/v1/projects/${other.projectId}/features`, { name: 'banner', initialValue: 'hello', defaultEnabled: true });
  await okCall(api, 'PATCH', `/admin/v1/environments/${other.envId}/feature-states/banner`, { value: 'other environment' });
  await api.call('PUT', `/admin/v1/projects/${env.projectId}/tenants/matrix-tenant`, { body: { traits: {} } });
  tenantServerKey = (await api.call('POST', `/admin/v1/environments/${env.envId}/server-keys`, { body: { name: 'tenant', tenantKey: 'matrix-tenant' } })).body.key;
});
afterAll(() => api?.close());

const sdk = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  fetch(`${api.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) });

/** A request for each SDK route that a permitted caller gets a 200 for. */
const requests: Record<string, { path: string; body?: string }> = {
  getEnvironmentFlags: { path: '/api/v1/flags/' },
  getIdentityFlags: { path: '/api/v1/identities/?identifier=matrix' },
  postIdentityFlags: { path: '/api/v1/identities/', body: JSON.stringify({ identifier: 'matrix', traits: [] }) },
  getEnvironmentDocument: { path: '/api/v1/environment-document/' },
  postAnalytics: { path: '/api/v1/analytics/flags/', body: JSON.stringify({ banner: 1 }) },
  ofrepEvaluateFlag: { path: '/ofrep/v1/evaluate/flags/banner', body: JSON.stringify({ context: { targetingKey: 'matrix' } }) },
  ofrepEvaluateFlags: { path: '/ofrep/v1/evaluate/flags', body: JSON.stringify({ context: { targetingKey: 'matrix' } }) },
};

describe('SDK route access', () => {
  const sdkRoutes = routes.filter((route) => route.access.credential === 'environment-key' && !isEdgeRoute(route));

  it('has a request for every SDK route', () => {
    expect(Object.keys(requests).sort()).toEqual(sdkRoutes.map((route) => route.operation).sort());
  });

  it.each(sdkRoutes.map((route) => [route.operation, route] as const))('%s', async (operation, route) => {
    const { path, body } = requests[operation] as { path: string; body?: string };
    const serverOnly = route.access.credential === 'environment-key' && route.access.server;
    expect((await sdk(route.method, path, {}, body)).status).toBe(401);
    expect((await sdk(route.method, path, { 'x-environment-key': 'unknown' }, body)).status).toBe(401);
    expect((await sdk(route.method, path, { authorization: `Bearer ${api.adminToken}` }, body)).status).toBe(401);
    expect((await sdk(route.method, path, { 'x-environment-key': env.clientKey }, body)).status).toBe(serverOnly ? 403 : 200);
    expect((await sdk(route.method, path, { 'x-environment-key': env.serverKey }, body)).status).toBe(200);
    // A tenant-scoped server key may call what server keys may: it sees one tenant's data (test/integration/tenant-cascade.test.ts).
    expect((await sdk(route.method, path, { 'x-environment-key': tenantServerKey }, body)).status).toBe(200);
  });

  it('reads X-Environment-Key alone on the cached routes (the edge caches by it), and the other credentials elsewhere', async () => {
    for (const path of ['/api/v1/flags/', '/api/v1/environment-document/']) {
      expect((await sdk('GET', path, { authorization: `Bearer ${env.serverKey}` })).status, path).toBe(401);
      expect((await sdk('GET', path, { 'x-api-key': env.serverKey })).status, path).toBe(401);
      const refused = await sdk('GET', path, {});
      expect(refused.headers.get('cache-control'), 'no cache keeps a refusal').toBe('no-store');
    }
    expect((await sdk('POST', '/ofrep/v1/evaluate/flags', { authorization: `Bearer ${env.clientKey}` }, JSON.stringify({ context: { targetingKey: 'x' } }))).status).toBe(200);
  });

  it('serves the edge routes (the paths CloudFront forwards) to the key their path names, and only to it', async () => {
    const edgeRoutes = routes.filter(isEdgeRoute);
    expect(edgeRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(['GET /edge/{edgeKey}/api/v1/environment-document', 'GET /edge/{edgeKey}/api/v1/flags']);
    const edgePath = (key: string, route: string) => `/edge/${edgeKeyOf(key)}/api/v1/${route}`;
    expect((await sdk('GET', edgePath(env.clientKey, 'flags'), { 'x-environment-key': env.clientKey })).status).toBe(200);
    expect((await sdk('GET', edgePath(env.serverKey, 'environment-document'), { 'x-environment-key': env.serverKey })).status).toBe(200);
    expect((await sdk('GET', edgePath(env.serverKey, 'flags'), { 'x-environment-key': env.clientKey })).status).toBe(400);
    expect((await sdk('GET', edgePath(env.clientKey, 'flags'), { authorization: `Bearer ${env.clientKey}` })).status).toBe(401);
    expect((await sdk('GET', edgePath('unknown', 'flags'), { 'x-environment-key': 'unknown' })).status).toBe(401);
  });

  it("answers each key with its own environment's flags only", async () => {
    const mine = await (await sdk('GET', '/api/v1/flags/', { 'x-environment-key': env.clientKey })).json();
    const theirs = await (await sdk('GET', '/api/v1/flags/', { 'x-environment-key': other.clientKey })).json();
    const banner = (flags: { feature: { name: string }; feature_state_value: unknown }[]) => flags.find((f) => f.feature.name === 'banner')?.feature_state_value;
    expect(banner(mine)).toBe('hello');
    expect(banner(theirs)).toBe('other environment');
  });

  it('stops accepting a revoked server key', async () => {
    const created = await api.call('POST', `/admin/v1/environments/${env.envId}/server-keys`, { body: { name: 'temp' } });
    expect((await sdk('GET', '/api/v1/environment-document/', { 'x-environment-key': created.body.key })).status).toBe(200);
    await api.call('DELETE', `/admin/v1/environments/${env.envId}/server-keys/${created.body.id}`);
    // Refused once the test stack's key cache (100 ms TTL) lets go: wait for it, not for a time.
    await expect.poll(async () => (await sdk('GET', '/api/v1/environment-document/', { 'x-environment-key': created.body.key })).status).toBe(401);
  });
});

describe('bad input on the SDK API', () => {
  const post = (body: string) => sdk('POST', '/api/v1/identities/', { 'x-environment-key': env.clientKey }, body);
  const stored = async (identifier: string) => (await api.call('GET', `/admin/v1/environments/${env.envId}/identities/${identifier}`)).status;

  it('answers malformed and wrongly typed identity bodies 400 with details, storing nothing', async () => {
    const malformed = await post('{"identifier": "bad-1", ');
    expect(malformed.status).toBe(400);
    const typed = await post(JSON.stringify({ identifier: 'bad-2', traits: [{ trait_key: 'age', trait_value: { nested: true } }] }));
    expect(typed.status).toBe(400);
    const body = await typed.json();
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.details[0].path).toBe('traits.0.trait_value');
    expect(await stored('bad-2')).toBe(404);
  });

  it('refuses 2,000 traits and a 1 MB body cleanly, and keeps serving', async () => {
    const traits = Array.from({ length: 2000 }, (_, i) => ({ trait_key: `t${i}`, trait_value: i }));
    const many = await post(JSON.stringify({ identifier: 'bad-3', traits }));
    expect(many.status).toBe(400);
    const huge = await post(JSON.stringify({ identifier: 'bad-4', traits: [{ trait_key: 'blob', trait_value: 'x'.repeat(1024 * 1024) }] }));
    expect(huge.status).toBe(413);
    expect(await stored('bad-3')).toBe(404);
    expect(await stored('bad-4')).toBe(404);
    expect((await sdk('GET', '/api/v1/flags/', { 'x-environment-key': env.clientKey })).status).toBe(200);
  });

  it('does not store transient identities or transient traits', async () => {
    await post(JSON.stringify({ identifier: 'passer-by', traits: [{ trait_key: 'plan', trait_value: 'pro' }], transient: true }));
    expect(await stored('passer-by')).toBe(404);
    await post(JSON.stringify({ identifier: 'mixed', traits: [{ trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'mood', trait_value: 'ok', transient: true }] }));
    expect((await api.call('GET', `/admin/v1/environments/${env.envId}/identities/mixed`)).body.traits).toEqual({ plan: 'pro' });
  });
});

describe('freshness and CORS', () => {
  it('stamps flags, identities and documents with x-flagsmith-document-updated-at, which moves on change', async () => {
    const stamp = async (path: string, key = env.clientKey) =>
      Number((await sdk('GET', path, { 'x-environment-key': key })).headers.get('x-flagsmith-document-updated-at'));
    const before = await stamp('/api/v1/flags/');
    expect(before).toBeGreaterThan(1_700_000_000);
    expect(await stamp('/api/v1/identities/?identifier=fresh')).toBe(before);
    expect(await stamp('/api/v1/environment-document/', env.serverKey)).toBe(before);
    await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/filler_3`, { body: { enabled: true } });
    await expect.poll(() => stamp('/api/v1/flags/')).toBeGreaterThan(before);
  });

  it('lets the edge cache flags and documents briefly, and serve them stale through an outage', async () => {
    const flags = await sdk('GET', '/api/v1/flags/', { 'x-environment-key': env.clientKey });
    // For the edge (s-maxage and the stale directives); max-age=0 for anyone else, and it varies by the key.
    expect(flags.headers.get('cache-control')).toMatch(/^max-age=0, s-maxage=\d+, stale-while-revalidate=\d+, stale-if-error=\d+$/);
    expect(flags.headers.get('vary')).toContain('X-Environment-Key');
    const document = await sdk('GET', '/api/v1/environment-document/', { 'x-environment-key': env.serverKey });
    expect(document.headers.get('cache-control')).toBe(flags.headers.get('cache-control'));
    const etag = document.headers.get('etag') as string;
    const unchanged = await sdk('GET', '/api/v1/environment-document/', { 'x-environment-key': env.serverKey, 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    const identity = await sdk('POST', '/api/v1/identities/', { 'x-environment-key': env.clientKey }, JSON.stringify({ identifier: 'x' }));
    expect(identity.headers.get('cache-control')).toBeNull();
  });

  it('answers CORS preflights and exposes the headers SDKs read', async () => {
    const preflight = await fetch(`${api.url}/api/v1/identities/`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-environment-key,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-environment-key');
    const answer = await sdk('GET', '/api/v1/flags/', { 'x-environment-key': env.clientKey, origin: 'https://app.example' });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-flagsmith-document-updated-at');
  });
});

describe('OFREP wire details', () => {
  const ofrep = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    sdk('POST', `/ofrep/v1/evaluate/flags${path}`, { authorization: `Bearer ${env.clientKey}`, ...headers }, JSON.stringify(body));

  it('answers unknown flags 404 FLAG_NOT_FOUND and bad contexts 400, with the key', async () => {
    const missing = await ofrep('/nope', { context: { targetingKey: 'u' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
    const bad = await ofrep('/banner', { context: { targetingKey: 42 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ key: 'banner', errorCode: 'INVALID_CONTEXT' });
  });

  it('tags bulk answers with an ETag and answers If-None-Match with 304 until something changes', async () => {
    const first = await ofrep('', { context: { targetingKey: 'etag-user', plan: 'pro' } });
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await ofrep('', { context: { targetingKey: 'etag-user', plan: 'pro' } }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const otherContext = await ofrep('', { context: { targetingKey: 'etag-user', plan: 'free' } }, { 'if-none-match': etag });
    expect(otherContext.status).toBe(200);
  });
});

describe('environment document pagination', () => {
  it('pages identity overrides with Link headers, never splitting an identity', async () => {
    const environment = (await api.call('GET', `/admin/v1/environments/${env.envId}`)).body as Environment;
    const feature = async (name: string) => ({ featureId: (await api.call('GET', `/admin/v1/projects/${env.projectId}/features/${name}`)).body.id as string, featureName: name });
    const [banner, maxItems] = [await feature('banner'), await feature('max_items')];
    const identities = Array.from({ length: DOCUMENT_PAGE_ITEMS + 150 }, (_, i) => `paged-${String(i).padStart(5, '0')}`);
    // Stored straight to the table as the identity and override PUTs store them (a thousand
    // identities through the API took most of this file's time; the PUTs are tested elsewhere).
    await seedIdentities(
      api.deps,
      environment,
      identities.map((identifier, i) => ({
        identifier,
        overrides: [
          { ...banner, enabled: true, value: `for ${identifier}` },
          ...(i % 7 === 0 ? [{ ...maxItems, enabled: true, value: i }] : []),
        ],
      })),
    );
    const seen = new Map<string, number>();
    let url: string | undefined = '/api/v1/environment-document/';
    let pages = 0;
    while (url && pages < 10) {
      const page = await sdk('GET', url, { 'x-environment-key': env.serverKey });
      expect(page.status).toBe(200);
      const document = await page.json();
      for (const identity of document.identity_overrides) {
        expect(seen.has(identity.identifier), `${identity.identifier} split across pages`).toBe(false);
        seen.set(identity.identifier, identity.identity_features.length);
      }
      url = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    for (const [i, identifier] of identities.entries()) expect(seen.get(identifier), identifier).toBe(i % 7 === 0 ? 2 : 1);
    expect(seen.get('user-7')).toBe(1);
  });
});
