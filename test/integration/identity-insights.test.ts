/**
 * The support answers behind the dashboard: why an identity got each value, and how often each
 * flag was evaluated per day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let envId = '';
let clientKey = '';
let segmentId = '';
let projectId = '';

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'P' } })).body.id;
  const environment = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } });
  envId = environment.body.environment.id;
  clientKey = environment.body.clientKey;
  for (const name of ['banner', 'checkout', 'support_chat', 'plain']) {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name, initialValue: `${name}-default`, defaultEnabled: true } });
  }
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, {
    body: { name: 'pricing', type: 'MULTIVARIATE', initialValue: 'control', options: [{ value: 'a', defaultWeight: 50 }, { value: 'b', defaultWeight: 50 }] },
  });
  segmentId = (
    await api.call('POST', `/admin/v1/projects/${projectId}/segments`, {
      body: { name: 'pro users', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] },
    })
  ).body.id;
  await api.call('PUT', `/admin/v1/environments/${envId}/feature-states/banner/segment-overrides/${segmentId}`, { body: { enabled: true, value: 'pro banner' } });
  await api.call('PUT', `/admin/v1/environments/${envId}/feature-states/checkout/tenant-overrides/acme`, { body: { enabled: false } });
  await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana`, { body: { traits: { plan: 'pro', tenant: 'acme' } } });
  await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana/overrides/support_chat`, { body: { enabled: true, value: 'ana only' } });
});
afterAll(() => api?.close());

describe("an identity's flags with reasons", () => {
  it('names the source of every value: identity override, tenant override, segment by name, split bucket, default', async () => {
    const reply = await api.call('GET', `/admin/v1/environments/${envId}/identities/ana/flags`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ identifier: 'ana', stored: true, traits: { plan: 'pro', tenant: 'acme' }, segments: [{ id: segmentId, name: 'pro users' }] });
    const flags = Object.fromEntries(reply.body.flags.map((flag: { featureName: string }) => [flag.featureName, flag]));
    expect(flags.support_chat).toMatchObject({ value: 'ana only', reason: { kind: 'identity-override' } });
    expect(flags.checkout).toMatchObject({ enabled: false, reason: { kind: 'tenant-override', tenantId: 'acme' } });
    expect(flags.banner).toMatchObject({ value: 'pro banner', reason: { kind: 'segment-override', segmentId, segmentName: 'pro users' } });
    expect(flags.plain).toMatchObject({ value: 'plain-default', reason: { kind: 'default' } });
    expect(flags.pricing.reason.kind).toBe('split');
    expect(flags.pricing.reason.bucket).toBeGreaterThanOrEqual(0);
    expect(flags.pricing.reason.bucket).toBeLessThan(100);
    expect(['a', 'b']).toContain(flags.pricing.value);
  });

  it('agrees with what the SDK API serves the same identity', async () => {
    const explained = await api.call('GET', `/admin/v1/environments/${envId}/identities/ana/flags`);
    const served = await fetch(`${api.url}/api/v1/identities/?identifier=ana`, { headers: { 'x-environment-key': clientKey } }).then((r) => r.json());
    const servedByName = Object.fromEntries(served.flags.map((flag: { feature: { name: string }; enabled: boolean; feature_state_value: unknown }) => [flag.feature.name, flag]));
    for (const flag of explained.body.flags) {
      expect(servedByName[flag.featureName].enabled, flag.featureName).toBe(flag.enabled);
      expect(servedByName[flag.featureName].feature_state_value, flag.featureName).toEqual(flag.value);
    }
  });

  it('evaluates an identifier never stored without traits, and says so', async () => {
    const reply = await api.call('GET', `/admin/v1/environments/${envId}/identities/nobody/flags`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ identifier: 'nobody', stored: false, traits: {}, segments: [] });
  });

  it('names the prerequisite that failed, ahead of the override that would otherwise serve the value', async () => {
    // checkout is off for ana (her tenant's override); gated requires it, and has an identity override of its own for her.
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'gated', initialValue: 'on', defaultEnabled: true, prerequisites: [{ featureName: 'checkout' }] } });
    await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana/overrides/gated`, { body: { enabled: true, value: 'ana gated' } });
    const ana = await api.call('GET', `/admin/v1/environments/${envId}/identities/ana/flags`);
    expect(ana.body.flags.find((flag: { featureName: string }) => flag.featureName === 'gated')).toMatchObject({
      enabled: false,
      reason: { kind: 'prerequisite-failed', featureName: 'checkout' },
      engineReason: 'PREREQUISITE_FAILED; feature=checkout',
    });
    // Without the tenant override checkout is on, and gated is served as its own state says.
    const nobody = await api.call('GET', `/admin/v1/environments/${envId}/identities/nobody/flags`);
    expect(nobody.body.flags.find((flag: { featureName: string }) => flag.featureName === 'gated')).toMatchObject({ enabled: true, reason: { kind: 'default' } });
    await api.call('DELETE', `/admin/v1/environments/${envId}/identities/ana/overrides/gated`);
    await api.call('DELETE', `/admin/v1/projects/${projectId}/features/gated`);
  });
});

describe('evaluation analytics', () => {
  it('counts evaluations per flag per day from what SDKs report', async () => {
    for (const body of [{ banner: 3, checkout: 1 }, { banner: 2 }]) {
      const posted = await fetch(`${api.url}/api/v1/analytics/flags/`, {
        method: 'POST',
        headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(posted.status).toBeLessThan(300);
    }
    const reply = await api.call('GET', `/admin/v1/environments/${envId}/analytics/evaluations?days=7`);
    expect(reply.status).toBe(200);
    expect(reply.body.days).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(reply.body.to).toBe(today);
    expect(reply.body.days.at(-1)).toEqual({ day: today, counts: { banner: 5, checkout: 1 } });
    expect(reply.body.totals).toEqual({ banner: 5, checkout: 1 });
    const one = await api.call('GET', `/admin/v1/environments/${envId}/analytics/evaluations?days=1&feature=checkout`);
    expect(one.body.totals).toEqual({ checkout: 1 });
  });

  it('refuses a window over 90 days, naming the field', async () => {
    const reply = await api.call('GET', `/admin/v1/environments/${envId}/analytics/evaluations?days=91`);
    expect(reply.status).toBe(422);
    expect(JSON.stringify(reply.body.details)).toContain('days');
  });
});

describe("an environment's overrides", () => {
  it('lists segment, tenant and identity overrides together, or those of one feature', async () => {
    const all = await api.call('GET', `/admin/v1/environments/${envId}/overrides`);
    expect(all.status).toBe(200);
    expect(all.body.segmentOverrides.map((o: { featureName: string }) => o.featureName)).toEqual(['banner']);
    expect(all.body.tenantOverrides.map((o: { featureName: string; tenantId: string }) => [o.featureName, o.tenantId])).toEqual([['checkout', 'acme']]);
    expect(all.body.identityOverrides.map((o: { featureName: string; identifier: string }) => [o.featureName, o.identifier])).toEqual([['support_chat', 'ana']]);
    const one = await api.call('GET', `/admin/v1/environments/${envId}/overrides?feature=checkout`);
    expect(one.body).toMatchObject({ segmentOverrides: [], identityOverrides: [], tenantOverrides: [{ tenantId: 'acme' }] });
  });
});
