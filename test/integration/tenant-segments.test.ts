/**
 * Tenant-scoped segments through real HTTP on DynamoDB Local: a segment that belongs to one
 * tenant (`tenantKey`), created, scoped, listed by tenant and refused with a clear 422 when its
 * key is not a tenant key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let P: string;

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Tenant segments' } })).body.id;
  P = `/admin/v1/projects/${projectId}`;
});
afterAll(() => api?.close());

const rules = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'true' }] }];
const names = (page: { body: { items: { name: string }[] } }) => page.body.items.map((segment) => segment.name).sort();

describe('tenant-scoped segments (management API)', () => {
  it('stores a segment with its tenant, returns it, lists by tenant, and rescopes it', async () => {
    const scoped = await api.call('POST', `${P}/segments`, { body: { name: 'acme beta', rules, tenantKey: 'acme' } });
    expect(scoped.status).toBe(201);
    expect(scoped.body).toMatchObject({ name: 'acme beta', tenantKey: 'acme', version: 1 });
    const wide = await api.call('POST', `${P}/segments`, { body: { name: 'everyone beta', rules } });
    expect(wide.body.tenantKey).toBeNull();
    await api.call('POST', `${P}/segments`, { body: { name: 'globex beta', rules, tenantKey: 'globex' } });

    expect((await api.call('GET', `${P}/segments/${scoped.body.id}`)).body.tenantKey).toBe('acme');
    expect(names(await api.call('GET', `${P}/segments`))).toEqual(['acme beta', 'everyone beta', 'globex beta']);
    expect(names(await api.call('GET', `${P}/segments?tenantKey=acme`))).toEqual(['acme beta']);
    expect(names(await api.call('GET', `${P}/segments?tenantKey=nobody`))).toEqual([]);

    const moved = await api.call('PATCH', `${P}/segments/${scoped.body.id}`, { body: { tenantKey: 'globex', version: 1 } });
    expect(moved.body).toMatchObject({ tenantKey: 'globex', version: 2 });
    expect(names(await api.call('GET', `${P}/segments?tenantKey=globex`))).toEqual(['acme beta', 'globex beta']);
    const widened = await api.call('PATCH', `${P}/segments/${scoped.body.id}`, { body: { tenantKey: null } });
    expect(widened.body.tenantKey).toBeNull();
    // Renaming leaves the scope alone.
    const renamed = await api.call('PATCH', `${P}/segments/${wide.body.id}`, { body: { name: 'all beta' } });
    expect(renamed.body.tenantKey).toBeNull();
  });

  it('refuses a tenant key a tenant could not have, with the field named, and stores nothing', async () => {
    for (const tenantKey of ['a,b', ' lead', '042', '', 'x'.repeat(2000), 42]) {
      const refused = await api.call('POST', `${P}/segments`, { body: { name: `bad ${String(tenantKey).slice(0, 8)}`, rules, tenantKey } });
      expect(refused.status, JSON.stringify(tenantKey)).toBe(422);
      expect(refused.body.details.some((d: { path: string }) => d.path.includes('tenantKey'))).toBe(true);
    }
    expect((await api.call('GET', `${P}/segments?tenantKey=${encodeURIComponent('a,b')}`)).status).toBe(422);
    const all = await api.call('GET', `${P}/segments`);
    expect(all.body.items.some((segment: { name: string }) => segment.name.startsWith('bad'))).toBe(false);
  });
});
