/**
 * Issue 12, item 9: small holes an attacker (or a careless script) found, each closed at its
 * root: an empty If-Match, overrides for identities that do not exist, roles that outlive their
 * environment, absurd analytics counts, and OFREP attributes without a targetingKey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVALUATIONS_PER_REPORT } from '../../functions/http/sdk/inputs.js';
import { buildRichEnvironment, type RichEnvironment } from '../support/rich-environment.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
}, 120_000);
afterAll(() => api?.close());

const sdk = (path: string, key: string, body: unknown) =>
  fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-environment-key': key }, body: JSON.stringify(body) });

describe('If-Match', () => {
  it.each(['', ' ', '""', 'W/""', 'abc', '-1', '1.5', '*'])('%j is refused with a 4xx and changes nothing', async (header) => {
    const path = `/admin/v1/environments/${env.envId}/feature-states/filler_3`;
    const before = (await api.call('GET', path)).body;
    const reply = await api.call('PATCH', path, { body: { value: 'changed' }, headers: { 'if-match': header } });
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ statusCode: 422, details: [{ path: 'If-Match' }] });
    expect((await api.call('GET', path)).body).toEqual(before);
  });

  it('still takes a version, quoted or not', async () => {
    const path = `/admin/v1/environments/${env.envId}/feature-states/filler_4`;
    const { version } = (await api.call('GET', path)).body;
    expect((await api.call('PATCH', path, { body: { value: 'a' }, headers: { 'if-match': `"${version}"` } })).status).toBe(200);
    expect((await api.call('PATCH', path, { body: { value: 'b' }, headers: { 'if-match': String(version + 1) } })).status).toBe(200);
    expect((await api.call('PATCH', path, { body: { value: 'c' }, headers: { 'if-match': String(version) } })).status).toBe(409);
  });
});

describe('identity overrides', () => {
  it('answer 404 for an identity that does not exist, and store nothing', async () => {
    const reply = await api.call('PUT', `/admin/v1/environments/${env.envId}/identities/ghost/overrides/banner`, { body: { enabled: true, value: 'boo' } });
    expect(reply.status).toBe(404);
    expect(reply.body.message).toContain('create it first');
    expect((await api.call('GET', `/admin/v1/environments/${env.envId}/identities/ghost`)).status).toBe(404);
    const flags = await (await sdk('/api/v1/identities/', env.clientKey, { identifier: 'ghost', traits: [] })).json();
    expect(flags.flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'banner').feature_state_value).toBe('hello');
    const document = await (await fetch(`${api.url}/api/v1/environment-document/`, { headers: { 'x-environment-key': env.serverKey } })).json();
    expect(document.identity_overrides.map((identity: { identifier: string }) => identity.identifier)).not.toContain('ghost');
  });

  it('apply once the identity exists', async () => {
    expect((await api.call('PUT', `/admin/v1/environments/${env.envId}/identities/real`, { body: { traits: {} } })).status).toBe(200);
    expect((await api.call('PUT', `/admin/v1/environments/${env.envId}/identities/real/overrides/banner`, { body: { enabled: true, value: 'hi' } })).status).toBe(200);
    const flags = await (await sdk('/api/v1/identities/', env.clientKey, { identifier: 'real', traits: [] })).json();
    expect(flags.flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'banner').feature_state_value).toBe('hi');
  });
});

describe('roles on deleted resources', () => {
  it('an environment-scoped token loses its project reads when its environment is deleted', async () => {
    const doomed = (await api.call('POST', `/admin/v1/projects/${env.projectId}/environments`, { body: { name: 'doomed' } })).body.environment.id;
    const token = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'env viewer', roles: { environments: { [doomed]: 'viewer' } } } })).body.token;
    expect((await api.call('GET', `/admin/v1/projects/${env.projectId}`, { token })).status).toBe(200);
    expect((await api.call('GET', `/admin/v1/projects/${env.projectId}/features`, { token })).status).toBe(200);
    expect((await api.call('GET', `/admin/v1/organisations/${api.organisationId}/projects`, { token })).body.items.map((p: { id: string }) => p.id)).toContain(env.projectId);

    expect((await api.call('DELETE', `/admin/v1/environments/${doomed}`)).status).toBe(204);

    expect((await api.call('GET', `/admin/v1/projects/${env.projectId}`, { token })).status).toBe(403);
    expect((await api.call('GET', `/admin/v1/projects/${env.projectId}/features`, { token })).status).toBe(403);
    expect((await api.call('GET', `/admin/v1/organisations/${api.organisationId}`, { token })).status).toBe(403);
    expect((await api.call('GET', `/admin/v1/organisations/${api.organisationId}/projects`, { token })).status).toBe(403);
  });
});

describe('analytics', () => {
  const today = () => new Date().toISOString().slice(0, 10);

  it('refuses a count beyond the cap, and an over-long key, counting nothing', async () => {
    const before = await api.deps.store.getEvaluations(env.envId, today());
    for (const body of [{ banner: 1e9 }, { banner: MAX_EVALUATIONS_PER_REPORT + 1 }, { banner: 1, ['x'.repeat(151)]: 1 }, { banner: 1.5 }, { banner: -1 }]) {
      const reply = await sdk('/api/v1/analytics/flags/', env.clientKey, body);
      expect(reply.status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    expect(await api.deps.store.getEvaluations(env.envId, today())).toEqual(before);
  });

  it('accepts counts up to the cap', async () => {
    const before = (await api.deps.store.getEvaluations(env.envId, today())).banner ?? 0;
    expect((await sdk('/api/v1/analytics/flags/', env.clientKey, { banner: MAX_EVALUATIONS_PER_REPORT })).status).toBe(200);
    expect((await api.deps.store.getEvaluations(env.envId, today())).banner).toBe(before + MAX_EVALUATIONS_PER_REPORT);
  });
});

describe('OFREP without a targetingKey', () => {
  const ofrep = (path: string, context: unknown) =>
    fetch(`${api.url}/ofrep/v1/evaluate/flags${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${env.clientKey}` }, body: JSON.stringify({ context }) });

  it('evaluates the attributes as traits', async () => {
    const pro = await ofrep('/banner', { plan: 'pro' });
    expect(pro.status).toBe(200);
    expect(await pro.json()).toMatchObject({ key: 'banner', value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    expect(await (await ofrep('/banner', { plan: 'free' })).json()).toMatchObject({ value: 'hello' });
    expect(await (await ofrep('/max_items', { tenant: 'acme' })).json()).toMatchObject({ value: 99, reason: 'TENANT_OVERRIDE' });
  });

  it('answers TARGETING_KEY_MISSING for flags that split callers by bucket, alone and in bulk', async () => {
    const split = await ofrep('/button_color', { plan: 'pro' });
    expect(split.status).toBe(400);
    expect(await split.json()).toMatchObject({ key: 'button_color', errorCode: 'TARGETING_KEY_MISSING' });
    // dark_mode is overridden for a segment that takes ten percent of identities.
    expect(await (await ofrep('/dark_mode', { plan: 'pro' })).json()).toMatchObject({ key: 'dark_mode', errorCode: 'TARGETING_KEY_MISSING' });

    const bulk = await ofrep('', { plan: 'pro' });
    expect(bulk.status).toBe(200);
    const flags = new Map(((await bulk.json()).flags as { key: string }[]).map((flag) => [flag.key, flag]));
    expect(flags.get('banner')).toMatchObject({ value: 'welcome, pro' });
    expect(flags.get('button_color')).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    expect(flags.get('checkout')).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    expect(flags.get('filler_0')).toMatchObject({ value: 'v0', reason: 'STATIC' });
  });

  it('with a targetingKey, evaluates the identity as before', async () => {
    const split = await ofrep('/button_color', { targetingKey: 'someone', plan: 'pro' });
    expect(split.status).toBe(200);
    expect(await split.json()).toMatchObject({ reason: 'SPLIT' });
  });

  it('with no context at all, answers the environment values', async () => {
    const reply = await ofrep('/button_color', {});
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ value: 'grey' });
  });
});
