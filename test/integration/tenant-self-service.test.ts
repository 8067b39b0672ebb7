/**
 * Tenant admins' self-service through real HTTP on DynamoDB Local: tenant-configurable features
 * and their constraints (management API), tenant token keys (a PEM public key, a JWK, a JWKS URL
 * with rotation), and /tenant/v1 — values with their source, set and reset within constraints
 * (422 at the field), history, audit with the tenant user as actor — with the isolation matrix:
 * for every /tenant/v1 route, tokens that are missing, forged, expired, too long-lived, of the
 * wrong issuer, audience or environment, alg-confused (none, HS256 keyed with the public key), of
 * a removed key, or from an unregistered origin are refused; tenant A never reads or writes B's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailSchemas, toEventDetail } from '../../functions/events/detail-types.js';
import { routes } from '../../functions/http/routes.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let P: string;
let E: string;
let envId: string;
let otherEnvId: string;
const ISSUER = 'https://app.example.com';
const ORIGIN = 'https://app.example.com';
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let keys: Keys;
let stranger: Keys;
let jwksServer: Server;
let jwks: { keys: object[] } = { keys: [] };

const now = () => Math.floor(Date.now() / 1000);

async function mint(tenant: string, options: { key?: Keys; env?: string; iss?: string; aud?: string; iat?: number; exp?: number; sub?: string; alg?: string; kid?: string } = {}) {
  const claims: JWTPayload = { tenant, env: options.env ?? envId, name: 'Ada Admin' };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', ...(options.kid ? { kid: options.kid } : {}) })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? 'vexilla-tenant')
    .setSubject(options.sub ?? 'ada@umbrella.test')
    .setIssuedAt(options.iat ?? now())
    .setExpirationTime(options.exp ?? now() + 300);
  return jwt.sign((options.key ?? keys).privateKey);
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const tenantCall = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
  api.call(method, path, { token, headers, ...(body !== undefined ? { body } : {}) });

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0, tenantApi: { cooldownMs: 0 } });
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Self-service' } })).body.id;
  P = `/admin/v1/projects/${projectId}`;
  envId = (await api.call('POST', `${P}/environments`, { body: { name: 'production' } })).body.environment.id;
  otherEnvId = (await api.call('POST', `${P}/environments`, { body: { name: 'staging' } })).body.environment.id;
  E = `/admin/v1/environments/${envId}`;
  keys = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('ES256', { extractable: true });
  const features = [
    { name: 'max_seats', valueType: 'number', initialValue: 10, defaultEnabled: true },
    { name: 'theme', valueType: 'string', initialValue: 'light', defaultEnabled: true },
    { name: 'banner', valueType: 'json', initialValue: { text: 'Welcome' }, defaultEnabled: true },
    { name: 'beta_reports', valueType: 'boolean', initialValue: false, defaultEnabled: false },
    { name: 'internal_kill_switch', valueType: 'boolean', initialValue: true, defaultEnabled: true },
  ];
  for (const feature of features) expect((await api.call('POST', `${P}/features`, { body: feature })).status).toBe(201);
  const settings: Record<string, object> = {
    max_seats: { label: 'Maximum seats', minimum: 1, maximum: 500 },
    theme: { label: 'Theme', allowedValues: ['light', 'dark'] },
    banner: { label: 'Banner', schema: { type: 'object', properties: { text: { type: 'string', maxLength: 40, pattern: '^[A-Za-z !]+$' } }, required: ['text'], additionalProperties: false } },
    beta_reports: { label: 'Beta reports', allowToggle: true },
  };
  for (const [name, body] of Object.entries(settings)) expect((await api.call('PUT', `${P}/features/${name}/tenant-settings`, { body })).status).toBe(200);
  const registered = await api.call('POST', `${E}/tenant-keys`, { body: { name: 'app backend', publicKey: await exportSPKI(keys.publicKey), issuer: ISSUER, allowedOrigins: [ORIGIN], maxLifetimeSeconds: 600 } });
  expect(registered.status).toBe(201);
  jwksServer = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe('tenant-configurable features (management API)', () => {
  it('shows the constraints on the feature and refuses constraints that cannot hold, field by field', async () => {
    expect((await api.call('GET', `${P}/features/max_seats`)).body.tenantSettings).toEqual({ label: 'Maximum seats', minimum: 1, maximum: 500, allowToggle: false });
    const badSchema = await api.call('PUT', `${P}/features/banner/tenant-settings`, { body: { schema: { type: 'object', propertiez: {} } } });
    expect(badSchema.status).toBe(422);
    expect(badSchema.body.details[0]).toMatchObject({ path: 'schema' });
    const backtracking = await api.call('PUT', `${P}/features/banner/tenant-settings`, { body: { schema: { type: 'string', pattern: '(a+)+\\1' } } });
    expect(backtracking.status).toBe(422);
    const rangeOnText = await api.call('PUT', `${P}/features/theme/tenant-settings`, { body: { minimum: 1 } });
    expect(rangeOnText.status).toBe(422);
    const outOfRange = await api.call('PUT', `${P}/features/max_seats/tenant-settings`, { body: { minimum: 1, maximum: 50, allowedValues: [5, 100] } });
    expect(outOfRange.status).toBe(422);
    expect(outOfRange.body.details).toEqual([{ path: 'allowedValues.1', message: 'must be at most 50' }]);
    expect((await api.call('GET', `${P}/features/max_seats`)).body.tenantSettings.maximum).toBe(500);
  });

  it('registers only public keys, with algorithms they can verify, and https JWKS URLs', async () => {
    const secret = await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', publicKey: { kty: 'oct', k: 'c2VjcmV0' }, issuer: ISSUER } });
    expect(secret.status).toBe(422);
    const privateJwk = await exportJWK(keys.privateKey);
    expect((await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', publicKey: privateJwk, issuer: ISSUER } })).status).toBe(422);
    const wrongAlg = await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', publicKey: await exportJWK(keys.publicKey), algorithms: ['RS256'], issuer: ISSUER } });
    expect(wrongAlg.status).toBe(422);
    expect(wrongAlg.body.details[0].path).toBe('algorithms');
    expect((await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', publicKey: 'nope', issuer: ISSUER } })).status).toBe(422);
    expect((await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', jwksUrl: 'ftp://keys.example.com/jwks', issuer: ISSUER } })).status).toBe(422);
    expect((await api.call('POST', `${E}/tenant-keys`, { body: { name: 'x', issuer: ISSUER } })).status).toBe(422);
    const listed = await api.call('GET', `${E}/tenant-keys`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ name: 'app backend', algorithms: ['ES256'], issuer: ISSUER, audience: 'vexilla-tenant', allowedOrigins: [ORIGIN] });
    expect(listed.body.items[0].publicKey).not.toHaveProperty('d');
    // Its registration reaches the bus as a detail its schema accepts (consumers drop one that breaks it).
    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=50`);
    const registered = audit.body.items.find((e: { subject: { kind: string } }) => e.subject.kind === 'tenant-token-key');
    expect(registered).toMatchObject({ detailType: 'environment.changed', action: 'created', subject: { keyId: listed.body.items[0].id } });
    expect(detailSchemas['environment.changed'].safeParse(toEventDetail(registered)).error).toBeUndefined();
  });
});

describe('/tenant/v1 with a valid token', () => {
  it("lists the tenant's configurable features, and only those, with value, source and constraints", async () => {
    const reply = await tenantCall('GET', '/tenant/v1/features', await mint('umbrella'));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.body.tenant).toEqual({ key: 'umbrella', name: 'umbrella' });
    expect(reply.body.features.map((f: { featureName: string }) => f.featureName)).toEqual(['banner', 'beta_reports', 'max_seats', 'theme']);
    const seats = reply.body.features.find((f: { featureName: string }) => f.featureName === 'max_seats');
    expect(seats).toMatchObject({ label: 'Maximum seats', value: 10, enabled: true, source: { kind: 'default' }, version: 0, constraints: { input: 'number', minimum: 1, maximum: 500, allowToggle: false } });
  });

  it("sets the tenant's value as a tenant override (served to its identities), audited with the tenant user as actor, and resets it", async () => {
    const token = await mint('umbrella');
    const set = await tenantCall('PUT', '/tenant/v1/features/max_seats', token, { value: 250 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ value: 250, source: { kind: 'override' }, version: 1 });
    // What the tenant's users are served, through the management API's why view.
    await api.call('PUT', `${E}/identities/u1`, { body: { traits: { tenant: 'umbrella' } } });
    const why = await api.call('GET', `${E}/identities/u1/flags`);
    expect(why.body.flags.find((f: { featureName: string }) => f.featureName === 'max_seats')).toMatchObject({ value: 250, reason: { kind: 'tenant-override', tenantId: 'umbrella' } });
    // Another tenant is untouched.
    const other = await tenantCall('GET', '/tenant/v1/features/max_seats', await mint('initech'));
    expect(other.body).toMatchObject({ value: 10, source: { kind: 'default' }, version: 0 });

    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=10`);
    const event = audit.body.items.find((e: { subject: { kind: string; tenantId?: string } }) => e.subject.kind === 'tenant-override' && e.subject.tenantId === 'umbrella');
    expect(event).toMatchObject({ detailType: 'feature-state.changed', action: 'created', envId, actor: { type: 'tenant-user', tenant: 'umbrella', subject: 'ada@umbrella.test', name: 'Ada Admin' }, after: { value: 250 } });

    const stale = await tenantCall('PUT', '/tenant/v1/features/max_seats', token, { value: 300, version: 0 });
    expect(stale.status).toBe(409);
    const reset = await tenantCall('DELETE', '/tenant/v1/features/max_seats', token);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ value: 10, source: { kind: 'default' }, version: 0 });

    const history = await tenantCall('GET', '/tenant/v1/history', token);
    expect(history.body.items.map((e: { action: string; featureName: string }) => [e.action, e.featureName])).toEqual([
      ['deleted', 'max_seats'],
      ['created', 'max_seats'],
    ]);
    expect(history.body.items[1]).toMatchObject({ before: null, after: { enabled: true, value: 250 }, actor: { type: 'tenant-user', subject: 'ada@umbrella.test' } });
    expect((await tenantCall('GET', '/tenant/v1/history', await mint('initech'))).body.items).toEqual([]);
  });

  it('refuses values outside the constraints with a 422 naming the field, and stores nothing', async () => {
    const token = await mint('umbrella');
    const cases: [string, object, string, RegExp][] = [
      ['max_seats', { value: 501 }, 'value', /at most 500/],
      ['max_seats', { value: 'many' }, 'value', /expected a number/],
      ['theme', { value: 'neon' }, 'value', /one of "light", "dark"/],
      ['banner', { value: { text: 'Hi <script>' } }, 'value.text', /schema/],
      ['banner', { value: { text: 'Hi', extra: 1 } }, 'value', /schema/],
      ['max_seats', { enabled: false }, 'enabled', /may not switch/],
    ];
    for (const [feature, body, path, message] of cases) {
      const reply = await tenantCall('PUT', `/tenant/v1/features/${feature}`, token, body);
      expect(reply.status, JSON.stringify(body)).toBe(422);
      expect(reply.body.details[0].path).toBe(path);
      expect(reply.body.details[0].message).toMatch(message);
    }
    expect((await tenantCall('PUT', '/tenant/v1/features/beta_reports', token, { enabled: true })).body).toMatchObject({ enabled: true, source: { kind: 'override' } });
    expect((await tenantCall('PUT', '/tenant/v1/features/banner', token, { value: { text: 'Hello there' } })).status).toBe(200);
    const listed = await tenantCall('GET', '/tenant/v1/features', token);
    expect(listed.body.features.find((f: { featureName: string }) => f.featureName === 'theme')).toMatchObject({ value: 'light', version: 0 });
  });

  it('accepts tokens signed with a key from a registered JWKS URL, and a rotated key without waiting', async () => {
    const first = await generateKeyPair('RS256', { extractable: true });
    const second = await generateKeyPair('RS256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'RS256' }] };
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const registered = await api.call('POST', `/admin/v1/environments/${otherEnvId}/tenant-keys`, { body: { name: 'jwks', jwksUrl, issuer: 'https://idp.example', algorithms: ['RS256'] } });
    expect(registered.status).toBe(201);
    const opts = { env: otherEnvId, iss: 'https://idp.example', alg: 'RS256' };
    expect((await tenantCall('GET', '/tenant/v1/features', await mint('umbrella', { ...opts, key: first, kid: 'k1' }))).status).toBe(200);
    jwks = { keys: [{ ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'RS256' }] };
    expect((await tenantCall('GET', '/tenant/v1/features', await mint('umbrella', { ...opts, key: second, kid: 'k2' }))).status).toBe(200);
    expect((await tenantCall('GET', '/tenant/v1/features', await mint('umbrella', { ...opts, key: stranger, kid: 'k3', alg: 'ES256' }))).status).toBe(401);
  });
});

describe('/tenant/v1 isolation, on every route', () => {
  const tenantRoutes = routes.filter((route) => route.function === 'tenant-api');
  let segmentOfB = 'seg_none';
  const pathOf = (path: string, feature = 'max_seats', segment = segmentOfB) => path.replace('{featureName}', feature).replace('{segmentId}', segment);
  const bodyOf = (method: string) =>
    method === 'PUT' ? { value: 20 } : method === 'POST' ? { name: 'beta cohort', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'yes' }] }] } : method === 'PATCH' ? { name: 'renamed' } : undefined;

  it('covers every route of the tenant API', () => {
    expect(tenantRoutes.map((route) => route.operation).sort()).toEqual([
      'createTenantSegment',
      'deleteTenantSegment',
      'getTenantFeature',
      'listTenantFeatures',
      'listTenantHistory',
      'listTenantSegments',
      'resetTenantFeatureValue',
      'setTenantFeatureValue',
      'updateTenantSegment',
    ]);
  });

  it('answers a forged or foreign cursor on every tenant list route with a 400 (422 past the query limit), never a 5xx', async () => {
    const lists = tenantRoutes.filter((route) => route.method === 'GET' && route.query && 'shape' in route.query && 'cursor' in (route.query as unknown as { shape: object }).shape);
    expect(lists.map((route) => route.operation).sort()).toEqual(['listTenantHistory', 'listTenantSegments']);
    const token = await mint('umbrella');
    const cursors = [
      { shard: 0, key: { sk: 'ORG#x' } },
      { shard: 0, key: { gsi1sk: 'x' } },
      { of: 'segments', shard: 0, key: { sk: 'SEGMENT#x', pk: 'PROJECT#other' } },
      { of: 'audit', shard: 0, key: { sk: '0' } },
      { shard: 9, key: {} },
      { shard: 0, key: { sk: 'x'.repeat(3000) } },
      ['not', 'an', 'object'],
    ];
    for (const route of lists) {
      for (const cursor of [...cursors.map(b64), 'not base64 at all', 'x'.repeat(5000)]) {
        const reply = await tenantCall('GET', `${route.path}?cursor=${encodeURIComponent(cursor)}`, token);
        expect([400, 422], `${route.path} ${cursor.slice(0, 80)}: ${JSON.stringify(reply.body)}`).toContain(reply.status);
        expect(reply.body).toMatchObject({ statusCode: reply.status, error: expect.any(String), message: expect.any(String) });
      }
    }
  });

  it('refuses missing, forged, expired, long-lived, misaddressed and alg-confused tokens with 401, changing nothing', async () => {
    const publicPem = await exportSPKI(keys.publicKey);
    const header = (alg: string) => b64({ alg, typ: 'JWT' });
    const payload = b64({ tenant: 'umbrella', env: envId, iss: ISSUER, aud: 'vexilla-tenant', sub: 'eve', iat: now(), exp: now() + 300 });
    const { createHmac } = await import('node:crypto');
    const hsWithPublicKey = `${header('HS256')}.${payload}.${createHmac('sha256', publicPem).update(`${header('HS256')}.${payload}`).digest('base64url')}`;
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-token',
      'admin token': api.adminToken,
      forged: await mint('umbrella', { key: stranger }),
      expired: await mint('umbrella', { iat: now() - 400, exp: now() - 100 }),
      'too long-lived': await mint('umbrella', { exp: now() + 3600 }),
      'issued long ago': await mint('umbrella', { iat: now() - 900, exp: now() + 60 }),
      'wrong issuer': await mint('umbrella', { iss: 'https://evil.example' }),
      'wrong audience': await mint('umbrella', { aud: 'someone-else' }),
      'another environment': await mint('umbrella', { env: otherEnvId }),
      'unknown environment': await mint('umbrella', { env: 'env_nope' }),
      'alg none': `${header('none')}.${payload}.`,
      'HS256 keyed with the public key': hsWithPublicKey,
      'tampered payload': (await mint('umbrella')).replace(/\.[^.]+\./, `.${b64({ tenant: 'initech', env: envId, iss: ISSUER, aud: 'vexilla-tenant', sub: 'eve', iat: now(), exp: now() + 300 })}.`),
      'no tenant': await mint(''),
    };
    for (const route of tenantRoutes) {
      for (const [name, token] of Object.entries(bad)) {
        const reply = await tenantCall(route.method, pathOf(route.path), token, bodyOf(route.method));
        expect(reply.status, `${route.operation} with ${name}: ${JSON.stringify(reply.body)}`).toBe(401);
      }
    }
    const seats = await tenantCall('GET', '/tenant/v1/features/max_seats', await mint('umbrella'));
    expect(seats.body).toMatchObject({ value: 10, version: 0 });
  });

  it("never lets tenant A read or change tenant B's values, a feature that is not configurable, or a constraint", async () => {
    const a = await mint('tenant-a');
    const b = await mint('tenant-b');
    expect((await tenantCall('PUT', '/tenant/v1/features/max_seats', b, { value: 42 })).status).toBe(200);
    const segment = await tenantCall('POST', '/tenant/v1/segments', b, { name: 'cohort 42', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'yes' }] }] });
    expect(segment.status).toBe(201);
    expect(segment.body).toMatchObject({ tenantKey: 'tenant-b', name: 'cohort 42' });
    segmentOfB = segment.body.id;
    const projectWide = (await api.call('POST', `${P}/segments`, { body: { name: 'everyone 42', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'yes' }] }] } })).body.id as string;
    expect(projectWide).toMatch(/^seg_/);
    for (const route of tenantRoutes.filter((candidate) => candidate.path.includes('{segmentId}'))) {
      // B's segment, and a project-wide one, are not A's to change: 404, unchanged.
      for (const id of [segmentOfB, projectWide]) {
        const reply = await tenantCall(route.method, pathOf(route.path, 'max_seats', id), a, bodyOf(route.method));
        expect(reply.status, `${route.operation} on ${id}`).toBe(404);
      }
    }
    expect((await api.call('GET', `${P}/segments/${segmentOfB}`)).body).toMatchObject({ name: 'cohort 42', tenantKey: 'tenant-b' });
    expect((await api.call('GET', `${P}/segments/${projectWide}`)).body).toMatchObject({ name: 'everyone 42', tenantKey: null });
    // A body cannot scope a segment to another tenant, or make it project-wide.
    expect((await tenantCall('POST', '/tenant/v1/segments', a, { name: 'x', rules: [], tenantKey: 'tenant-b' })).status).toBe(422);
    expect((await tenantCall('PATCH', `/tenant/v1/segments/${segmentOfB}`, b, { tenantKey: null })).status).toBe(422);
    for (const route of tenantRoutes.filter((candidate) => !candidate.path.includes('{segmentId}'))) {
      // A's view of every route shows A's state only.
      const reply = await tenantCall(route.method, pathOf(route.path), a, bodyOf(route.method));
      expect(reply.status, route.operation).toBe(route.status ?? 200);
      expect(JSON.stringify(reply.body), route.operation).not.toMatch(/"value":42|cohort 42|tenant-b/);
      // No configurable feature of that name, for any route that names one (not configurable, or no such feature): 404.
      if (route.path.includes('{featureName}')) {
        for (const feature of ['internal_kill_switch', 'no_such_feature']) {
          const hidden = await tenantCall(route.method, pathOf(route.path, feature), a, bodyOf(route.method));
          expect(hidden.status, `${route.operation} ${feature}`).toBe(404);
        }
      }
    }
    expect((await tenantCall('GET', '/tenant/v1/features/max_seats', b)).body).toMatchObject({ value: 42 });
    // The body cannot name another tenant, a feature or a constraint: unknown fields are refused.
    for (const body of [{ value: 20, tenant: 'tenant-b' }, { value: 20, featureName: 'internal_kill_switch' }, { value: 20, maximum: 100000 }]) {
      expect((await tenantCall('PUT', '/tenant/v1/features/max_seats', a, body)).status).toBe(422);
    }
    expect((await api.call('GET', `${P}/features/max_seats`)).body.tenantSettings.maximum).toBe(500);
    const overrides = await api.call('GET', `${E}/feature-states/internal_kill_switch/overrides`);
    expect(overrides.body.tenantOverrides).toEqual([]);
  });

  it('refuses a browser origin the key does not list (403), and tokens of a removed key (401)', async () => {
    const token = await mint('umbrella');
    for (const route of tenantRoutes) {
      const foreign = await tenantCall(route.method, pathOf(route.path), token, bodyOf(route.method), { origin: 'https://evil.example' });
      expect(foreign.status, route.operation).toBe(403);
    }
    expect((await tenantCall('GET', '/tenant/v1/features', token, undefined, { origin: ORIGIN })).status).toBe(200);
    const key = (await api.call('GET', `${E}/tenant-keys`)).body.items[0];
    expect((await api.call('DELETE', `${E}/tenant-keys/${key.id}`)).status).toBe(204);
    for (const route of tenantRoutes) expect((await tenantCall(route.method, pathOf(route.path), token, bodyOf(route.method))).status, route.operation).toBe(401);
  });
});
