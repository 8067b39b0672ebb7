/**
 * Tenants through real HTTP on DynamoDB Local: the management API (versioned, audited, listed
 * with search and cursors, bad input refused whole), and tenant traits in segment conditions
 * (`tenant.plan`) served alike by remote evaluation (Flagsmith SDK API), OFREP, the Vexilla SDK
 * and the unmodified flagsmith-nodejs evaluating our environment document locally.
 */
import { Flagsmith } from 'flagsmith-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../sdk/index.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let P: string;
let projectId: string;
let envId: string;
let clientKey: string;
let serverKey: string;
// The SDKs' default request timeouts would make these tests depend on the machine's load.
const requestTimeoutSeconds = 300;

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Tenants' } })).body.id;
  P = `/admin/v1/projects/${projectId}`;
  const environment = await api.call('POST', `${P}/environments`, { body: { name: 'production' } });
  envId = environment.body.environment.id;
  clientKey = environment.body.clientKey;
  serverKey = (await api.call('POST', `/admin/v1/environments/${envId}/server-keys`, { body: { name: 'server' } })).body.key;
});
afterAll(() => api?.close());

describe('the tenants API', () => {
  it('creates, reads, replaces with a version, and deletes a tenant, auditing each change', async () => {
    const created = await api.call('PUT', `${P}/tenants/umbrella`, { body: { name: 'Umbrella Corp', traits: { plan: 'pro', seats: 12, sso: true } } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ key: 'umbrella', name: 'Umbrella Corp', traits: { plan: 'pro', seats: 12, sso: true }, version: 1 });
    expect((await api.call('GET', `${P}/tenants/umbrella`)).body).toEqual(created.body);

    const stale = await api.call('PUT', `${P}/tenants/umbrella`, { body: { traits: { plan: 'free' }, version: 0 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: { currentVersion: 1 } });

    const replaced = await api.call('PUT', `${P}/tenants/umbrella`, { body: { traits: { plan: 'enterprise' }, version: 1 } });
    expect(replaced.body).toMatchObject({ name: 'Umbrella Corp', traits: { plan: 'enterprise' }, version: 2 });

    expect((await api.call('DELETE', `${P}/tenants/umbrella`)).status).toBe(204);
    expect((await api.call('GET', `${P}/tenants/umbrella`)).status).toBe(404);
    expect((await api.call('DELETE', `${P}/tenants/umbrella`)).status).toBe(404);

    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=20`);
    const changes = audit.body.items.filter((event: { detailType: string; subject: { tenantKey?: string } }) => event.detailType === 'tenant.changed' && event.subject.tenantKey === 'umbrella');
    expect(changes.map((event: { action: string }) => event.action)).toEqual(['deleted', 'updated', 'created']);
    expect(changes[1]).toMatchObject({ projectId, before: { traits: { plan: 'pro' } }, after: { traits: { plan: 'enterprise' } } });
  });

  it('lists tenants by key, page by page, and searches keys and names in any case', async () => {
    const other = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Listing' } })).body.id;
    const L = `/admin/v1/projects/${other}`;
    for (const [key, name] of [['t-3', 'Gamma Ltd'], ['t-1', 'Alpha Inc'], ['t-5', 'Epsilon GmbH'], ['t-2', 'Beta LLC'], ['t-4', 'Delta SA']]) {
      expect((await api.call('PUT', `${L}/tenants/${key}`, { body: { name, traits: {} } })).status).toBe(200);
    }
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `${L}/tenants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      keys.push(...page.body.items.map((tenant: { key: string }) => tenant.key));
      cursor = page.body.cursor;
    } while (cursor);
    expect(keys).toEqual(['t-1', 't-2', 't-3', 't-4', 't-5']);

    const found = await api.call('GET', `${L}/tenants?search=${encodeURIComponent('gmbh')}`);
    expect(found.body.items.map((tenant: { key: string }) => tenant.key)).toEqual(['t-5']);
    expect((await api.call('GET', `${L}/tenants?search=T-2`)).body.items.map((tenant: { key: string }) => tenant.key)).toEqual(['t-2']);
    expect((await api.call('GET', `${L}/tenants?search=nobody`)).body.items).toEqual([]);
  });

  it("are purged with their project", async () => {
    const doomed = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Doomed' } })).body.id;
    for (const key of ['a', 'b', 'c']) await api.call('PUT', `/admin/v1/projects/${doomed}/tenants/${key}`, { body: { traits: { plan: 'pro' } } });
    expect(await api.deps.store.listAll({ of: 'tenants', projectId: doomed })).toHaveLength(3);
    expect((await api.call('DELETE', `/admin/v1/projects/${doomed}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/projects/${doomed}/tenants`)).status).toBe(404);
    await api.jobs.idle();
    expect(await api.deps.store.listAll({ of: 'tenants', projectId: doomed })).toEqual([]);
  });

  it('refuses bad keys and traits with a 422 naming the field, and writes nothing', async () => {
    const refused = async (key: string, body: unknown, field: string) => {
      const reply = await api.call('PUT', `${P}/tenants/${encodeURIComponent(key)}`, { body });
      expect(reply.status, JSON.stringify(reply.body)).toBe(422);
      expect(reply.body).toMatchObject({ statusCode: 422, error: expect.any(String), message: expect.any(String) });
      expect(JSON.stringify(reply.body.details)).toContain(field);
    };
    await refused('a,b', { traits: {} }, 'tenantKey');
    await refused(' lead', { traits: {} }, 'tenantKey');
    await refused('042', { traits: {} }, 'tenantKey');
    await refused('x'.repeat(257), { traits: {} }, 'tenantKey');
    await refused('good', { traits: { plan: null } }, 'traits');
    await refused('good', { traits: { plan: { nested: true } } }, 'traits');
    await refused('good', { traits: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`t${i}`, i])) }, 'traits');
    await refused('good', { traits: { big: 'x'.repeat(2001) } }, 'traits');
    await refused('good', { traits: {}, plan: 'pro' }, 'plan');
    expect((await api.call('GET', `${P}/tenants/good`)).status).toBe(404);
    expect((await api.call('GET', `${P}/tenants?search=${'x'.repeat(300)}`)).status).toBe(422);
  });
});

describe('tenant traits in segment conditions', () => {
  const identify = async (identifier: string, traits: Record<string, unknown>) => {
    const reply = await fetch(`${api.url}/api/v1/identities/`, {
      method: 'POST',
      headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { flags: { feature: { name: string }; enabled: boolean; feature_state_value: unknown; reason: string }[] };
    return Object.fromEntries(body.flags.map((flag) => [flag.feature.name, flag]));
  };
  const ofrep = async (context: Record<string, unknown>) => {
    const reply = await fetch(`${api.url}/ofrep/v1/evaluate/flags/sso`, { method: 'POST', headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ context }) });
    return (await reply.json()) as { value: unknown; reason: string };
  };

  beforeAll(async () => {
    await api.call('POST', `${P}/features`, { body: { name: 'sso', initialValue: false } });
    await api.call('POST', `${P}/features`, { body: { name: 'max_seats', initialValue: 5 } });
    await api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/sso`, { body: { enabled: true } });
    await api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/max_seats`, { body: { enabled: true } });
    const enterprise = await api.call('POST', `${P}/segments`, { body: { name: 'enterprise tenants', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] } });
    const big = await api.call('POST', `${P}/segments`, {
      body: { name: 'big or unbilled', rules: [{ type: 'ANY', conditions: [{ operator: 'GREATER_THAN_INCLUSIVE', property: 'tenant.seats', value: '100' }, { operator: 'IS_NOT_SET', property: 'tenant.plan' }] }] },
    });
    await api.call('PUT', `/admin/v1/environments/${envId}/feature-states/sso/segment-overrides/${enterprise.body.id}`, { body: { enabled: true, value: true, priority: 1 } });
    await api.call('PUT', `/admin/v1/environments/${envId}/feature-states/max_seats/segment-overrides/${big.body.id}`, { body: { enabled: true, value: 500, priority: 1 } });
    await api.call('PUT', `${P}/tenants/acme`, { body: { name: 'Acme', traits: { plan: 'enterprise', seats: 40 } } });
    await api.call('PUT', `${P}/tenants/globex`, { body: { name: 'Globex', traits: { plan: 'free', seats: 250 } } });
    await api.call('PUT', `${P}/tenants/1042`, { body: { name: 'Numbered', traits: { plan: 'enterprise', seats: 3 } } });
  });

  it('serve each identity what its tenant traits select, in remote evaluation and OFREP', async () => {
    const acme = await identify('ana', { tenant: 'acme' });
    expect(acme.sso).toMatchObject({ feature_state_value: true, reason: 'TARGETING_MATCH; segment=enterprise tenants' });
    expect(acme.max_seats?.feature_state_value).toBe(5);
    const globex = await identify('bo', { tenant: 'globex' });
    expect(globex.sso?.feature_state_value).toBe(false);
    expect(globex.max_seats?.feature_state_value).toBe(500);
    // A number-valued tenant trait names the tenant whose key it prints as.
    expect((await identify('cy', { tenant: 1042 })).sso?.feature_state_value).toBe(true);
    // No tenant, or one never created: its plan is not set.
    expect((await identify('di', {})).max_seats?.feature_state_value).toBe(500);
    expect((await identify('ed', { tenant: 'initech' })).max_seats?.feature_state_value).toBe(500);
    // An identity cannot claim its tenant's traits.
    expect((await identify('fay', { tenant: 'globex', 'tenant.plan': 'enterprise' })).sso?.feature_state_value).toBe(false);

    expect(await ofrep({ targetingKey: 'ana', tenant: 'acme' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(await ofrep({ targetingKey: 'bo', tenant: 'globex' })).toMatchObject({ value: false });
  });

  it('follow a change of the tenant at once: a plan change, then a deletion', async () => {
    await api.call('PUT', `${P}/tenants/globex`, { body: { traits: { plan: 'enterprise', seats: 250 } } });
    expect((await identify('bo', { tenant: 'globex' })).sso?.feature_state_value).toBe(true);
    await api.call('DELETE', `${P}/tenants/globex`);
    const gone = await identify('bo', { tenant: 'globex' });
    expect(gone.sso?.feature_state_value).toBe(false);
    expect(gone.max_seats?.feature_state_value).toBe(500);
    await api.call('PUT', `${P}/tenants/globex`, { body: { name: 'Globex', traits: { plan: 'free', seats: 250 } } });
  });

  it('agree identity by identity across tenants: remote evaluation, flagsmith-nodejs evaluating locally, and the Vexilla SDK in local mode', async () => {
    const remote = new Flagsmith({ environmentKey: clientKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds });
    const local = new Flagsmith({ environmentKey: serverKey, apiUrl: `${api.url}/api/v1/`, enableLocalEvaluation: true, retries: 0, requestTimeoutSeconds });
    const ours = createClient({ environmentKey: serverKey, apiUrl: api.url, mode: 'local', requestTimeoutMs: requestTimeoutSeconds * 1000, analytics: false });
    const tenants: unknown[] = ['acme', 'globex', 1042, '1042', 'initech', undefined];
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 60; i++) {
        const tenant = tenants[i % tenants.length];
        const traits: Record<string, string | number> = tenant === undefined ? { n: i } : { tenant: tenant as string | number, n: i };
        const [viaApi, viaDocument, viaSdk] = await Promise.all([remote.getIdentityFlags(`user-${i}`, traits), local.getIdentityFlags(`user-${i}`, traits), ours.getFlags({ identifier: `user-${i}`, traits })]);
        for (const name of ['sso', 'max_seats']) {
          const expected = { name, tenant, enabled: viaApi.isFeatureEnabled(name), value: viaApi.getFeatureValue(name) };
          expect({ name, tenant, enabled: viaDocument.isFeatureEnabled(name), value: viaDocument.getFeatureValue(name) }).toEqual(expected);
          expect({ name, tenant, enabled: viaSdk.isEnabled(name, false), value: viaSdk.getValue(name, null) }).toEqual(expected);
          seen.add(`${name}=${JSON.stringify(expected.value)}`);
        }
      }
    } finally {
      await Promise.all([remote.close(), local.close(), ours.close()]);
    }
    // Both values of both features were served: the tenants' traits made the difference.
    expect([...seen].sort()).toEqual(['max_seats=5', 'max_seats=500', 'sso=false', 'sso=true']);
  });
});
