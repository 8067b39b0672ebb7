/**
 * The tenant cascade through real HTTP on DynamoDB Local: templates (by rule and by assignment,
 * in rank order), tenant overrides, tenant-scoped segments and tenant-scoped features, as the
 * README's worked example sets them up. Remote evaluation, OFREP, the explain API and the
 * Vexilla SDK name each step; the unmodified flagsmith-nodejs evaluating our environment
 * document locally agrees identity by identity; changing a template is one audited event, and
 * in an environment that requires approvals it opens a change request instead of writing
 * (test/integration/template-change-requests.test.ts follows it through approval and apply).
 */
import { Flagsmith } from 'flagsmith-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../sdk/index.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let P: string;
let envId: string;
let clientKey: string;
let serverKey: string;
const requestTimeoutSeconds = 300;
const E = () => `/admin/v1/environments/${envId}`;

const ok = (method: string, path: string, body?: unknown) => okCall(api, method, path, body);

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  ({ P, envId, clientKey, serverKey } = await projectWithEnvironment(api, 'Cascade'));

  // The README's worked example.
  await ok('POST', `${P}/features`, { name: 'sso', initialValue: null });
  await ok('POST', `${P}/features`, { name: 'max_seats', initialValue: 5 });
  await ok('POST', `${P}/features`, { name: 'new_editor', initialValue: null });
  await ok('POST', `${P}/features`, { name: 'acme_reports', initialValue: null, defaultEnabled: true, tenants: ['acme'] });
  await ok('PATCH', `${E()}/feature-states/max_seats`, { enabled: true });
  await ok('PUT', `${P}/templates/enterprise`, { rank: 0, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] });
  await ok('PUT', `${P}/templates/early-access`, { rank: 1 });
  await ok('PUT', `${E()}/templates/enterprise/values`, { values: { sso: { enabled: true }, max_seats: { enabled: true, value: 500 } } });
  await ok('PUT', `${E()}/templates/early-access/values`, { values: { new_editor: { enabled: true }, max_seats: { enabled: true, value: 50 } } });
  await ok('PUT', `${P}/tenants/acme`, { name: 'Acme', traits: { plan: 'enterprise' } });
  await ok('PUT', `${P}/tenants/globex`, { name: 'Globex', traits: { plan: 'free' }, templates: ['early-access'] });
  await ok('PUT', `${P}/tenants/initech`, { name: 'Initech', traits: { plan: 'enterprise' }, templates: ['early-access'] });
  await ok('PUT', `${E()}/feature-states/max_seats/tenant-overrides/acme`, { enabled: true, value: 750 });
  const beta = await ok('POST', `${P}/segments`, { name: 'acme beta', tenantKey: 'acme', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'true' }] }] });
  await ok('PUT', `${E()}/feature-states/new_editor/segment-overrides/${beta.id}`, { enabled: true, priority: 0 });
  const staff = await ok('POST', `${P}/segments`, { name: 'staff', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'role', value: 'staff' }] }] });
  await ok('PUT', `${E()}/feature-states/max_seats/segment-overrides/${staff.id}`, { enabled: true, value: 1, priority: 0 });
});
afterAll(() => api?.close());

const identify = async (identifier: string, traits: Record<string, unknown>) => {
  const reply = await fetch(`${api.url}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) }),
  });
  expect(reply.status).toBe(200);
  const body = (await reply.json()) as { flags: { feature: { name: string }; enabled: boolean; feature_state_value: unknown; reason: string }[] };
  return Object.fromEntries(body.flags.map((flag) => [flag.feature.name, { enabled: flag.enabled, value: flag.feature_state_value, reason: flag.reason }]));
};

describe('the evaluation order through the APIs', () => {
  it('serves each identity the first step that sets each feature, and names the step', async () => {
    const ana = await identify('ana', { tenant: 'acme', role: 'staff' });
    // Tenant override above the enterprise template (500) and the staff segment (1).
    expect(ana.max_seats).toEqual({ enabled: true, value: 750, reason: 'TENANT_OVERRIDE' });
    expect(ana.sso).toEqual({ enabled: true, value: null, reason: 'TEMPLATE:enterprise' });
    expect(ana.acme_reports).toMatchObject({ enabled: true, reason: 'DEFAULT' });
    expect(ana.new_editor).toMatchObject({ enabled: false, reason: 'DEFAULT' });
    // Acme's own beta cohort.
    expect((await identify('al', { tenant: 'acme', beta: 'true' })).new_editor).toEqual({ enabled: true, value: null, reason: 'TENANT_SEGMENT; segment=acme beta' });

    const gus = await identify('gus', { tenant: 'globex', role: 'staff', beta: 'true' });
    // Assigned template above the project segment; never acme's cohort or acme's feature.
    expect(gus.max_seats).toEqual({ enabled: true, value: 50, reason: 'TEMPLATE:early-access' });
    expect(gus.new_editor).toEqual({ enabled: true, value: null, reason: 'TEMPLATE:early-access' });
    expect(gus.sso).toMatchObject({ enabled: false, reason: 'DEFAULT' });
    expect(gus.acme_reports).toEqual({ enabled: false, value: null, reason: 'TENANT_SCOPED' });

    // Two templates: the lower rank wins where both set a feature.
    const ivy = await identify('ivy', { tenant: 'initech' });
    expect(ivy.max_seats).toMatchObject({ value: 500, reason: 'TEMPLATE:enterprise' });
    expect(ivy.new_editor).toMatchObject({ enabled: true, reason: 'TEMPLATE:early-access' });

    // No tenant: project segments, then the environment.
    const sam = await identify('sam', { role: 'staff' });
    expect(sam.max_seats).toMatchObject({ value: 1, reason: 'TARGETING_MATCH; segment=staff' });
    expect((await identify('zoe', {})).max_seats).toMatchObject({ value: 5, reason: 'DEFAULT' });
  });

  it('names the steps in OFREP, the explain API and the Vexilla SDK', async () => {
    const ofrep = async (flag: string, context: Record<string, unknown>) => {
      const reply = await fetch(`${api.url}/ofrep/v1/evaluate/flags/${flag}`, { method: 'POST', headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ context }) });
      return (await reply.json()) as { value: unknown; reason: string };
    };
    expect(await ofrep('max_seats', { targetingKey: 'ana', tenant: 'acme' })).toMatchObject({ value: 750, reason: 'TENANT_OVERRIDE' });
    expect(await ofrep('sso', { targetingKey: 'ana', tenant: 'acme' })).toMatchObject({ value: true, reason: 'TEMPLATE:enterprise' });
    expect(await ofrep('new_editor', { targetingKey: 'al', tenant: 'acme', beta: 'true' })).toMatchObject({ value: true, reason: 'TENANT_SEGMENT' });
    expect(await ofrep('acme_reports', { targetingKey: 'gus', tenant: 'globex' })).toMatchObject({ value: false, reason: 'TENANT_SCOPED' });

    await ok('PUT', `${E()}/identities/al`, { traits: { tenant: 'acme', beta: 'true' } });
    const explained = await ok('GET', `${E()}/identities/al/flags`);
    const reasons = Object.fromEntries(explained.flags.map((flag: { featureName: string; reason: unknown }) => [flag.featureName, flag.reason]));
    expect(reasons.max_seats).toEqual({ kind: 'tenant-override', tenantId: 'acme' });
    expect(reasons.sso).toEqual({ kind: 'template', tenantId: 'acme', templateKey: 'enterprise' });
    expect(reasons.new_editor).toMatchObject({ kind: 'tenant-segment-override', tenantId: 'acme', segmentName: 'acme beta' });
    await ok('PUT', `${E()}/identities/gus`, { traits: { tenant: 'globex' } });
    const gus = await ok('GET', `${E()}/identities/gus/flags`);
    expect(gus.flags.find((flag: { featureName: string }) => flag.featureName === 'acme_reports').reason).toEqual({ kind: 'tenant-scoped', tenantId: 'globex' });

    for (const mode of ['remote', 'local'] as const) {
      const client = createClient({ environmentKey: mode === 'local' ? serverKey : clientKey, apiUrl: api.url, mode, requestTimeoutMs: requestTimeoutSeconds * 1000, analytics: false });
      try {
        const flags = await client.getFlags({ identifier: 'ana', traits: { tenant: 'acme' } });
        expect({ mode, reason: flags.details('max_seats', 0).reason }).toEqual({ mode, reason: 'TENANT_OVERRIDE' });
        expect({ mode, reason: flags.details('sso', false).reason }).toEqual({ mode, reason: 'TEMPLATE:enterprise' });
      } finally {
        await client.close();
      }
    }
  });

  it('agrees identity by identity: remote evaluation, flagsmith-nodejs evaluating locally, the Vexilla SDK in local mode', async () => {
    const remote = new Flagsmith({ environmentKey: clientKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds });
    const local = new Flagsmith({ environmentKey: serverKey, apiUrl: `${api.url}/api/v1/`, enableLocalEvaluation: true, retries: 0, requestTimeoutSeconds });
    const ours = createClient({ environmentKey: serverKey, apiUrl: api.url, mode: 'local', requestTimeoutMs: requestTimeoutSeconds * 1000, analytics: false });
    const tenants: unknown[] = ['acme', 'globex', 'initech', 'umbrella', undefined];
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 40; i++) {
        const tenant = tenants[i % tenants.length];
        const traits: Record<string, string> = { ...(tenant === undefined ? {} : { tenant: tenant as string }), ...(i % 3 === 0 ? { role: 'staff' } : {}), ...(i % 2 === 0 ? { beta: 'true' } : {}) };
        const [viaApi, viaDocument, viaSdk] = await Promise.all([remote.getIdentityFlags(`user-${i}`, traits), local.getIdentityFlags(`user-${i}`, traits), ours.getFlags({ identifier: `user-${i}`, traits })]);
        for (const name of ['sso', 'max_seats', 'new_editor', 'acme_reports']) {
          // A null value reads as undefined from one Flagsmith client and null from the other: the same value.
          const expected = { name, traits, enabled: viaApi.isFeatureEnabled(name), value: viaApi.getFeatureValue(name) ?? null };
          expect({ name, traits, enabled: viaDocument.isFeatureEnabled(name), value: viaDocument.getFeatureValue(name) ?? null }).toEqual(expected);
          expect({ name, traits, enabled: viaSdk.isEnabled(name, false), value: viaSdk.getValue(name, null) }).toEqual(expected);
          seen.add(`${name}=${expected.enabled}:${JSON.stringify(expected.value)}`);
        }
      }
    } finally {
      await Promise.all([remote.close(), local.close(), ours.close()]);
    }
    // Every step served something: 750 (tenant override), 500 and 50 (templates), 1 (segment), 5 (environment).
    for (const value of [750, 500, 50, 1, 5]) expect(seen.has(`max_seats=true:${value}`), [...seen].join(' ')).toBe(true);
    expect(seen.has('acme_reports=true:null') && seen.has('acme_reports=false:null')).toBe(true);
  });
});

describe('tenant-scoped server keys (per-tenant documents)', () => {
  const document = async (key: string) => {
    const reply = await fetch(`${api.url}/api/v1/environment-document/`, { headers: { 'x-environment-key': key } });
    expect(reply.status).toBe(200);
    return (await reply.json()) as { updated_at?: string } & Record<string, unknown>;
  };
  /** The document without its time stamp (which moves with every change of the environment). */
  const content = async (key: string) => {
    const { updated_at: _stamp, ...rest } = await document(key);
    return JSON.stringify(rest);
  };
  const keysOf = async () => (await ok('GET', `${E()}/server-keys`)).items as { id: string; tenantKey?: string; key?: string }[];

  it('are created for an existing tenant only, shown once, and listed with their tenant', async () => {
    const before = await keysOf();
    const unknown = await api.call('POST', `${E()}/server-keys`, { body: { name: 'nobody', tenantKey: 'no-such-tenant' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.details).toEqual([{ path: 'tenantKey', message: 'no tenant no-such-tenant in this project' }]);
    expect((await api.call('POST', `${E()}/server-keys`, { body: { name: 'bad', tenantKey: 'a,b' } })).status).toBe(422);
    expect(await keysOf()).toEqual(before);
    const created = await ok('POST', `${E()}/server-keys`, { name: 'acme backend', tenantKey: 'acme' });
    expect(created).toMatchObject({ kind: 'server', tenantKey: 'acme', name: 'acme backend' });
    expect(created.key).toMatch(/^ser\./);
    const listed = (await keysOf()).find((key) => key.id === created.id);
    expect(listed).toMatchObject({ tenantKey: 'acme' });
    expect(listed).not.toHaveProperty('key');
    expect(listed).not.toHaveProperty('hash');
  });

  it("list only their tenant's data, whatever the number of tenants", async () => {
    const { key: acmeKey } = await ok('POST', `${E()}/server-keys`, { name: 'acme only', tenantKey: 'acme' });
    const full = JSON.stringify(await document(serverKey));
    for (const other of ['globex', 'initech']) expect(full).toContain(other);
    const mine = await content(acmeKey);
    for (const other of ['globex', 'initech']) expect(mine).not.toContain(other);
    expect(mine).toContain('acme');
    // Thirty more enterprise tenants: the full document lists them, acme's does not change.
    for (let i = 0; i < 30; i++) await ok('PUT', `${P}/tenants/filler-${i}`, { traits: { plan: 'enterprise' } });
    await expect.poll(async () => JSON.stringify(await document(serverKey))).toContain('filler-29');
    expect(await content(acmeKey)).toBe(mine);
    for (let i = 0; i < 30; i++) await ok('DELETE', `${P}/tenants/filler-${i}`);
  });

  it("keep unmodified flagsmith-nodejs exact for the tenant's identities; another tenant's identity is one of a tenant that does not exist", async () => {
    const { key: acmeKey } = await ok('POST', `${E()}/server-keys`, { name: 'acme local', tenantKey: 'acme' });
    const remote = new Flagsmith({ environmentKey: clientKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds });
    const local = new Flagsmith({ environmentKey: acmeKey, apiUrl: `${api.url}/api/v1/`, enableLocalEvaluation: true, retries: 0, requestTimeoutSeconds });
    const scopedRemote = new Flagsmith({ environmentKey: acmeKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds });
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 36; i++) {
        const tenant = ['acme', 'globex', 'initech'][i % 3] as string;
        const extra = { ...(i % 4 === 0 ? { role: 'staff' } : {}), ...(i % 2 === 0 ? { beta: 'true' } : {}) };
        const traits = { tenant, ...extra };
        // What the acme key must answer: the identity itself for acme's, as naming no known tenant for the others.
        const expectedTraits = tenant === 'acme' ? traits : { tenant: 'no-such-tenant', ...extra };
        const [truth, viaDocument, viaScopedApi] = await Promise.all([
          remote.getIdentityFlags(`scoped-${i}`, expectedTraits, true),
          local.getIdentityFlags(`scoped-${i}`, traits),
          scopedRemote.getIdentityFlags(`scoped-${i}`, traits, true),
        ]);
        for (const name of ['sso', 'max_seats', 'new_editor', 'acme_reports']) {
          const expected = { name, traits, enabled: truth.isFeatureEnabled(name), value: truth.getFeatureValue(name) ?? null };
          expect({ name, traits, enabled: viaDocument.isFeatureEnabled(name), value: viaDocument.getFeatureValue(name) ?? null }).toEqual(expected);
          expect({ name, traits, enabled: viaScopedApi.isFeatureEnabled(name), value: viaScopedApi.getFeatureValue(name) ?? null }).toEqual(expected);
          seen.add(`${tenant}:${name}=${expected.enabled}:${JSON.stringify(expected.value)}`);
        }
      }
    } finally {
      await Promise.all([remote.close(), local.close(), scopedRemote.close()]);
    }
    // Acme's own steps (tenant override 750, enterprise template, its feature) and, for the others, none of theirs.
    expect([...seen]).toEqual(expect.arrayContaining(['acme:max_seats=true:750', 'acme:sso=true:null', 'acme:acme_reports=true:null', 'globex:acme_reports=false:null', 'initech:sso=false:null']));
    expect([...seen].filter((entry) => /^(globex|initech):max_seats=true:(50|500|1000)$/.test(entry))).toEqual([]);
  });
});

describe('templates as one change', () => {
  it('changing a template changes every tenant it applies to, in one audited event', async () => {
    const before = await ok('GET', `${E()}/templates/enterprise/values`);
    await ok('PUT', `${E()}/templates/enterprise/values`, { values: { sso: { enabled: true }, max_seats: { enabled: true, value: 1000 } }, version: before.version });
    expect((await identify('ivy', { tenant: 'initech' })).max_seats?.value).toBe(1000);
    expect((await identify('ana', { tenant: 'acme' })).max_seats?.value).toBe(750);
    const audit = await ok('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=50`);
    const changes = audit.items.filter((event: { subject: { kind: string; templateKey?: string } }) => event.subject.kind === 'template-values' && event.subject.templateKey === 'enterprise');
    expect(changes[0]).toMatchObject({ detailType: 'feature-state.changed', action: 'updated', envId, after: { values: { max_seats: { value: 1000 } } } });
    // A stale version is refused and changes nothing.
    const stale = await api.call('PUT', `${E()}/templates/enterprise/values`, { body: { values: {}, version: before.version } });
    expect(stale.status).toBe(409);
    expect((await identify('ivy', { tenant: 'initech' })).max_seats?.value).toBe(1000);
  });

  it('in an environment that requires approvals, a template change is not a direct write: it opens a change request', async () => {
    const governed = await ok('POST', `${P}/environments`, { name: 'governed' });
    const G = `/admin/v1/environments/${governed.environment.id}`;
    await ok('PATCH', G, { requiredApprovals: 1 });
    const proposed = await api.call('PUT', `${G}/templates/enterprise/values`, { body: { values: { sso: { enabled: true } } } });
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({ type: 'change-request', status: 'open', changes: [{ target: 'template-values', templateKey: 'enterprise' }] });
    expect((await ok('GET', `${G}/templates/enterprise/values`)).version).toBe(0);
  });

  it('refuses what a template cannot be, naming the field, and unknown templates on tenants', async () => {
    const bad = await api.call('PUT', `${P}/templates/bad`, { body: { rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'x' }] }] } });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.details)).toContain('tenant.<trait>');
    expect((await api.call('PUT', `${P}/templates/${encodeURIComponent('no spaces')}`, { body: {} })).status).toBe(422);
    const values = await api.call('PUT', `${E()}/templates/enterprise/values`, { body: { values: { nope: { enabled: true }, max_seats: { enabled: true, value: 'many' } } } });
    expect(values.status).toBe(422);
    expect(values.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['values.max_seats.value', 'values.nope']);
    const tenant = await api.call('PUT', `${P}/tenants/acme`, { body: { traits: { plan: 'enterprise' }, templates: ['missing'] } });
    expect(tenant.status).toBe(422);
    expect(tenant.body.details[0].path).toBe('templates.0');
    expect((await api.call('GET', `${P}/templates/bad`)).status).toBe(404);
  });

  it('keeps assignments when a tenant update leaves them out, and a deleted template stops applying', async () => {
    await ok('PUT', `${P}/tenants/globex`, { traits: { plan: 'free', seats: 3 } });
    expect((await ok('GET', `${P}/tenants/globex`)).templates).toEqual(['early-access']);
    expect((await ok('GET', `${P}/templates`)).items.map((t: { key: string }) => t.key)).toEqual(['enterprise', 'early-access']);
    await ok('DELETE', `${P}/templates/early-access`);
    expect((await identify('gus', { tenant: 'globex' })).new_editor).toMatchObject({ enabled: false, reason: 'DEFAULT' });
    expect((await api.call('GET', `${E()}/templates/early-access/values`)).status).toBe(404);
  });
});
