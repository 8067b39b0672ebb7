import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../functions/domain/entities.js';
import { routes } from '../../functions/http/routes.js';
import { seedIdentities } from '../support/seed-identities.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let envId: string;

beforeAll(async () => {
  // The management API as Lambda runs it: the AWS SDK client (the other files use the sdk-api's lean client).
  api = await startTestApi({ awsSdkDynamoDb: true });
  const project = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } });
  projectId = project.body.id;
  const environment = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } });
  envId = environment.body.environment.id;
});
afterAll(() => api?.close());

const fsPath = (feature: string) => `/admin/v1/environments/${envId}/feature-states/${feature}`;

describe('projects and environments', () => {
  it('creates an environment whose client key is shown once and never stored in clear', async () => {
    const created = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'staging' } });
    expect(created.status).toBe(201);
    expect(created.body.clientKey).toMatch(/^[A-Za-z0-9]{22}$/);
    const fetched = await api.call('GET', `/admin/v1/environments/${created.body.environment.id}`);
    expect(JSON.stringify(fetched.body)).not.toContain(created.body.clientKey);
    const listed = await api.call('GET', `/admin/v1/projects/${projectId}/environments`);
    expect(listed.body.items.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['production', 'staging']));
  });

  it('issues server keys with the ser. prefix, lists them without secrets and revokes them', async () => {
    const created = await api.call('POST', `/admin/v1/environments/${envId}/server-keys`, { body: { name: 'backend' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ser\.[A-Za-z0-9]{40}$/);
    const listed = await api.call('GET', `/admin/v1/environments/${envId}/server-keys`);
    expect(listed.body.items).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(listed.body.items[0]).not.toHaveProperty('hash');
    expect((await api.call('DELETE', `/admin/v1/environments/${envId}/server-keys/${created.body.id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/environments/${envId}/server-keys`)).body.items).toHaveLength(0);
  });
});

describe('features and their states', () => {
  it('creates a feature, refuses a duplicate and reads it back', async () => {
    const created = await api.call('POST', `/admin/v1/projects/${projectId}/features`, {
      body: { name: 'checkout_v2', defaultEnabled: false, initialValue: 'blue', tags: ['checkout'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'checkout_v2', kind: 'STANDARD', valueType: 'string', version: 1 });
    const duplicate = await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout_v2' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    const state = await api.call('GET', fsPath('checkout_v2'));
    expect(state.body).toMatchObject({ enabled: false, value: 'blue', version: 0 });
    expect(state.headers.get('etag')).toBe('"0"');
  });

  it('changes a feature state only at the expected version, and keeps every version', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello' } });
    const first = await api.call('PATCH', fsPath('banner'), { body: { enabled: true }, headers: { 'if-match': '"0"' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ enabled: true, value: 'hello', version: 1 });
    const second = await api.call('PATCH', fsPath('banner'), { body: { value: 'sale!', version: 1 } });
    expect(second.body.version).toBe(2);

    const stale = await api.call('PATCH', fsPath('banner'), { body: { enabled: false }, headers: { 'if-match': '1' } });
    expect(stale.status).toBe(409);
    expect(stale.body.details).toEqual({ currentVersion: 2 });
    expect((await api.call('GET', fsPath('banner'))).body).toMatchObject({ enabled: true, value: 'sale!', version: 2 });

    const versions = await api.call('GET', `${fsPath('banner')}/versions`);
    expect(versions.body.items.map((v: { version: number; value: string }) => [v.version, v.value])).toEqual([
      [2, 'sale!'],
      [1, 'hello'],
    ]);
  });

  it('restores an old version as a new one, never rewriting history, and audits it as a rollback', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'limit', initialValue: 10 } });
    await api.call('PATCH', fsPath('limit'), { body: { value: 20 } });
    await api.call('PATCH', fsPath('limit'), { body: { value: 30 } });
    const restored = await api.call('POST', `${fsPath('limit')}/versions/1/restore`, { body: { version: 2 } });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ value: 20, version: 3 });
    const versions = await api.call('GET', `${fsPath('limit')}/versions`);
    expect(versions.body.items.map((v: { version: number; value: number; restoredFrom?: number }) => [v.version, v.value, v.restoredFrom])).toEqual([
      [3, 20, 1],
      [2, 30, undefined],
      [1, 20, undefined],
    ]);
    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?feature=limit&limit=1`);
    expect(audit.body.items[0]).toMatchObject({ detailType: 'feature-state.changed', action: 'restored', version: 3 });
    expect((await api.call('POST', `${fsPath('limit')}/versions/99/restore`)).status).toBe(404);
  });

  it('validates values against the feature type and multivariate weights', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, {
      body: { name: 'color', type: 'MULTIVARIATE', initialValue: 'red', options: [{ value: 'green', defaultWeight: 30 }, { value: 'blue', defaultWeight: 30 }] },
    });
    const wrongType = await api.call('PATCH', fsPath('color'), { body: { value: 42 } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.details).toEqual([{ path: 'value', message: 'expected a string value (or null)' }]);
    const feature = await api.call('GET', `/admin/v1/projects/${projectId}/features/color`);
    const [green, blue] = feature.body.options;
    const tooMuch = await api.call('PATCH', fsPath('color'), { body: { weights: { [green.id]: 60, [blue.id]: 50 } } });
    expect(tooMuch.status).toBe(422);
    const fine = await api.call('PATCH', fsPath('color'), { body: { weights: { [green.id]: 60, [blue.id]: 40 } } });
    expect(fine.body.weights).toEqual({ [green.id]: 60, [blue.id]: 40 });
  });
});

describe('segments and overrides', () => {
  it('stores segments with nested rules and overrides per segment, tenant and identity', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'beta', initialValue: false } });
    const segment = await api.call('POST', `/admin/v1/projects/${projectId}/segments`, {
      body: {
        name: 'power users',
        rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'GREATER_THAN', property: 'logins', value: '100' }] }] }],
      },
    });
    expect(segment.status).toBe(201);
    const badRule = await api.call('POST', `/admin/v1/projects/${projectId}/segments`, {
      body: { name: 'bad', rules: [{ type: 'ALL', conditions: [{ operator: 'LIKE', property: 'x', value: 'y' }] }] },
    });
    expect(badRule.status).toBe(422);
    expect(badRule.body.details[0].path).toBe('rules.0.conditions.0.operator');

    const so = await api.call('PUT', `${fsPath('beta')}/segment-overrides/${segment.body.id}`, { body: { enabled: true, value: true, priority: 1 } });
    expect(so.body).toMatchObject({ enabled: true, value: true, priority: 1, version: 1 });
    const to = await api.call('PUT', `${fsPath('beta')}/tenant-overrides/acme`, { body: { enabled: true } });
    expect(to.body).toMatchObject({ tenantId: 'acme', enabled: true, value: false });
    const overrides = await api.call('GET', `${fsPath('beta')}/overrides`);
    expect(overrides.body.segmentOverrides).toHaveLength(1);
    expect(overrides.body.tenantOverrides).toHaveLength(1);

    await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana@example.com`, { body: { traits: { logins: 120, plan: 'pro' } } });
    const io = await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana@example.com/overrides/beta`, { body: { enabled: false } });
    expect(io.status).toBe(200);
    const identity = await api.call('GET', `/admin/v1/environments/${envId}/identities/${encodeURIComponent('ana@example.com')}`);
    expect(identity.body).toMatchObject({ identifier: 'ana@example.com', traits: { logins: 120, plan: 'pro' } });
    expect(identity.body.overrides).toEqual([expect.objectContaining({ featureName: 'beta', enabled: false })]);
    expect((await api.call('DELETE', `${fsPath('beta')}/tenant-overrides/acme`)).status).toBe(204);
    expect((await api.call('DELETE', `${fsPath('beta')}/tenant-overrides/acme`)).status).toBe(404);
  });
});

describe('audit', () => {
  it('lists changes newest first and filters by environment, feature, actor and time', async () => {
    const from = new Date().toISOString();
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'audited', initialValue: 1 } });
    await api.call('PATCH', fsPath('audited'), { body: { value: 2 } });
    await api.call('PATCH', fsPath('audited'), { body: { value: 3 } });
    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?feature=audited&environment=${envId}&from=${from}`);
    expect(audit.body.items.map((e: { after: { value: number } }) => e.after.value)).toEqual([3, 2]);
    expect(audit.body.items[0]).toMatchObject({ actor: { name: 'bootstrap admin' }, before: { value: 2 }, envId, projectId });
    const viewer = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'v', roles: { projects: { [projectId]: 'viewer' } } } });
    const byViewer = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?actor=${viewer.body.id}`);
    expect(byViewer.body.items).toEqual([]);
    const future = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?from=2999-01-01T00:00:00Z`);
    expect(future.body.items).toEqual([]);
  });
});

describe('bad input', () => {
  const countFeatures = async () => (await api.call('GET', `/admin/v1/projects/${projectId}/features?limit=1000`)).body.items.length;
  const countAudit = async () => (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=1000`)).body.items.length;

  it('answers malformed, wrongly typed and oversized bodies clearly and stores nothing', async () => {
    const [features, audit] = [await countFeatures(), await countAudit()];
    const malformed = await api.call('POST', `/admin/v1/projects/${projectId}/features`, { rawBody: '{"name": "x",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The body is not valid JSON.' });
    const typed = await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'ok_name', defaultEnabled: 'yes', tags: 'x' } });
    expect(typed.status).toBe(422);
    expect(typed.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['defaultEnabled', 'tags']);
    const unknownField = await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'ok_name', colour: 'red' } });
    expect(unknownField.status).toBe(422);
    const huge = await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'huge', initialValue: 'x'.repeat(300 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    expect([await countFeatures(), await countAudit()]).toEqual([features, audit]);
  });

  it('answers unknown resources 404, bad cursors 400 and hides internals', async () => {
    expect((await api.call('GET', `/admin/v1/projects/prj_missing`)).status).toBe(404);
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/features/missing`)).status).toBe(404);
    expect((await api.call('GET', `/admin/v1/nowhere`)).status).toBe(404);
    const cursor = await api.call('GET', `/admin/v1/projects/${projectId}/features?cursor=not-a-cursor`);
    expect(cursor.status).toBe(400);
  });
});

describe('concurrency', () => {
  it('lets exactly one of 50 concurrent writers at the same version win; history holds only the winner', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'contended', initialValue: 0 } });
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api.call('PATCH', fsPath('contended'), { body: { value: i + 1 }, headers: { 'if-match': '0' } })),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const winner = replies.find((reply) => reply.status === 200)?.body.value;
    const versions = await api.call('GET', `${fsPath('contended')}/versions`);
    expect(versions.body.items.map((v: { version: number; value: number }) => [v.version, v.value])).toEqual([[1, winner]]);
    expect((await api.call('GET', fsPath('contended'))).body).toMatchObject({ value: winner, version: 1 });
  });
});

describe('pagination', () => {
  it('pages through 1,000 identities with opaque cursors, each exactly once', async () => {
    const identifiers = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    // Stored straight to the table as the identity PUT stores them: what is tested is paging, and
    // a thousand PUTs through the API (tested above) took most of this file's time.
    const environment = (await api.call('GET', `/admin/v1/environments/${envId}`)).body as Environment;
    await seedIdentities(api.deps, environment, identifiers.map((identifier, n) => ({ identifier, traits: { n } })));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api.call('GET', `/admin/v1/environments/${envId}/identities?limit=150${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((identity: { identifier: string }) => identity.identifier));
      cursor = page.body.cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(seen.filter((id) => identifiers.includes(id)).sort()).toEqual(identifiers);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(7);
  });
});

describe('OpenAPI', () => {
  it('describes every route, generated from the validating schemas', async () => {
    const doc = await api.call('GET', '/admin/v1/openapi.json', { token: undefined });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const route of routes.filter((r) => r.function === 'admin-api')) {
      expect(doc.body.paths[route.path][route.method.toLowerCase()].operationId).toBe(route.operation);
    }
    const createFeature = doc.body.paths['/admin/v1/projects/{projectId}/features'].post;
    expect(createFeature.requestBody.content['application/json'].schema.properties.name.pattern).toBeDefined();
  });
});
