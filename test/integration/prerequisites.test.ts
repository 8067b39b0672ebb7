/**
 * Prerequisites through the management API, on DynamoDB Local over real HTTP: what is refused
 * (unknown features, wrong variants or values, cycles named feature by feature, chains too long),
 * deleting a required feature (409 naming its dependents, or forced), and what SDKs are served
 * (the Flagsmith identities API and OFREP, with reason PREREQUISITE_FAILED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PREREQUISITE_CHAIN } from '../../functions/domain/schemas.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let envId: string;
let clientKey: string;

const features = () => `/admin/v1/projects/${projectId}/features`;
const state = (name: string) => `/admin/v1/environments/${envId}/feature-states/${name}`;
const create = (body: object) => api.call('POST', features(), { body });
const identityFlags = async (identifier: string, traits: Record<string, unknown> = {}) => {
  const response = await fetch(`${api.url}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) }),
  });
  const body = (await response.json()) as { flags: { feature: { name: string }; enabled: boolean; reason: string }[] };
  return Object.fromEntries(body.flags.map((flag) => [flag.feature.name, flag]));
};

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Prerequisites' } })).body.id;
  const created = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } });
  envId = created.body.environment.id;
  clientKey = created.body.clientKey;
  await create({ name: 'api', defaultEnabled: false });
  await create({ name: 'theme', initialValue: 'light', defaultEnabled: true });
  await create({ name: 'experiment', type: 'MULTIVARIATE', initialValue: 'control', defaultEnabled: true, options: [{ value: 'a', defaultWeight: 100 }] });
});
afterAll(() => api?.close());

describe('prerequisites: what the API refuses', () => {
  it('names unknown features, a feature requiring itself, wrong variants and wrong values', async () => {
    const experiment = (await api.call('GET', `${features()}/experiment`)).body;

    const reply = await create({
      name: 'ui',
      prerequisites: [
        { featureName: 'nope' },
        { featureName: 'api', variant: experiment.options[0].id },
        { featureName: 'experiment', variant: 'opt_missing' },
        { featureName: 'theme', value: 3 },
      ],
    });
    const self = await create({ name: 'loop', prerequisites: [{ featureName: 'loop' }] });

    expect(reply.status).toBe(422);
    expect(reply.body.details).toEqual([
      { path: 'prerequisites.0.featureName', message: 'no feature nope in this project' },
      { path: 'prerequisites.1.variant', message: 'api is not multivariate: it has no variants' },
      { path: 'prerequisites.2.variant', message: 'experiment has no option opt_missing' },
      { path: 'prerequisites.3.value', message: 'theme holds string values' },
    ]);
    expect((await api.call('GET', `${features()}/ui`)).status).toBe(404);
    expect(self.status).toBe(422);
    expect(self.body.details).toEqual([{ path: 'prerequisites.0.featureName', message: 'a feature cannot require itself' }]);
  });

  it('refuses a cycle with a 422 that names it, and changes nothing', async () => {
    await create({ name: 'c1' });
    await create({ name: 'c2', prerequisites: [{ featureName: 'c1' }] });
    await create({ name: 'c3', prerequisites: [{ featureName: 'c2' }] });

    const reply = await api.call('PATCH', `${features()}/c1`, { body: { prerequisites: [{ featureName: 'c3' }] } });

    expect(reply.status).toBe(422);
    expect(reply.body.message).toBe('These prerequisites would form a cycle: c1 → c3 → c2 → c1.');
    expect(reply.body.details).toEqual([{ path: 'prerequisites.0.featureName', message: 'cycle: c1 → c3 → c2 → c1' }]);
    expect((await api.call('GET', `${features()}/c1`)).body).toMatchObject({ version: 1 });
    expect((await api.call('GET', `${features()}/c1`)).body.prerequisites).toBeUndefined();
  });

  it(`refuses chains longer than ${MAX_PREREQUISITE_CHAIN}, counting the features above as well as below`, async () => {
    await create({ name: 'l1' });
    for (let i = 2; i <= MAX_PREREQUISITE_CHAIN; i++) expect((await create({ name: `l${i}`, prerequisites: [{ featureName: `l${i - 1}` }] })).status).toBe(201);
    await create({ name: 'l0' });

    const above = await create({ name: 'too-long', prerequisites: [{ featureName: `l${MAX_PREREQUISITE_CHAIN}` }] });
    const below = await api.call('PATCH', `${features()}/l1`, { body: { prerequisites: [{ featureName: 'l0' }] } });

    expect(above.status).toBe(422);
    expect(above.body.message).toContain(`this one would be ${MAX_PREREQUISITE_CHAIN + 1}`);
    expect(below.status).toBe(422);
  });

  it('refuses to delete a required feature, naming its dependents, unless forced', async () => {
    await create({ name: 'base', defaultEnabled: true });
    await create({ name: 'needs-base-1', defaultEnabled: true, prerequisites: [{ featureName: 'base' }] });
    await create({ name: 'needs-base-2', defaultEnabled: true, prerequisites: [{ featureName: 'base' }] });
    expect((await identityFlags('ana'))['needs-base-1']).toMatchObject({ enabled: true });

    const refused = await api.call('DELETE', `${features()}/base`);
    const forced = await api.call('DELETE', `${features()}/base?force=true`);

    expect(refused.status).toBe(409);
    expect(refused.body.details).toEqual({ dependents: ['needs-base-1', 'needs-base-2'] });
    expect(refused.body.message).toContain('Feature base is required by needs-base-1, needs-base-2');
    expect(forced.status).toBe(204);
    expect((await identityFlags('ana'))['needs-base-1']).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=base' });
    // Bound by name: a feature of that name makes the requirement hold again.
    await create({ name: 'base', defaultEnabled: true });
    expect((await identityFlags('ana'))['needs-base-2']).toMatchObject({ enabled: true });
  });
});

describe('prerequisites: what SDKs are served', () => {
  it('serves a feature off while what it requires is off, per identity, and on once it is on', async () => {
    const segment = (await api.call('POST', `/admin/v1/projects/${projectId}/segments`, { body: { name: 'beta', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'beta', value: 'true' }] }] } })).body;
    await api.call('PUT', `${state('api')}/segment-overrides/${segment.id}`, { body: { enabled: true } });
    const created = await create({ name: 'checkout', defaultEnabled: true, prerequisites: [{ featureName: 'api' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ prerequisites: [{ featureName: 'api' }], warnings: [] });

    expect((await identityFlags('beta-user', { beta: true })).checkout).toMatchObject({ enabled: true });
    expect((await identityFlags('other-user', { beta: false })).checkout).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=api' });
    const ofrep = await fetch(`${api.url}/ofrep/v1/evaluate/flags/checkout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'other-user', beta: false } }),
    });
    expect(await ofrep.json()).toMatchObject({ key: 'checkout', value: false, reason: 'PREREQUISITE_FAILED' });

    await api.call('PATCH', state('api'), { body: { enabled: true } });
    expect((await identityFlags('other-user', { beta: false })).checkout).toMatchObject({ enabled: true, reason: 'DEFAULT' });
  });

  it('requires a variant of a multivariate feature', async () => {
    const experiment = (await api.call('GET', `${features()}/experiment`)).body;
    const created = await create({ name: 'variant-a-extra', defaultEnabled: true, prerequisites: [{ featureName: 'experiment', variant: experiment.options[0].id }] });

    expect(created.status).toBe(201);
    expect((await identityFlags('someone')).experiment).toMatchObject({ enabled: true });
    expect((await identityFlags('someone'))['variant-a-extra']).toMatchObject({ enabled: true });
    await api.call('PATCH', state('experiment'), { body: { weights: { [experiment.options[0].id]: 0 } } });
    expect((await identityFlags('someone'))['variant-a-extra']).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=experiment' });
  });

  it('warns, in the answer, where Flagsmith-format documents cannot be exact', async () => {
    await create({ name: 'canary', defaultEnabled: false });
    const split = (await api.call('POST', `/admin/v1/projects/${projectId}/segments`, { body: { name: 'ten percent', rules: [{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', value: '10' }] }] } })).body;
    await api.call('PUT', `${state('canary')}/segment-overrides/${split.id}`, { body: { enabled: true } });

    const created = await create({ name: 'canary-ui', defaultEnabled: true, prerequisites: [{ featureName: 'canary' }] });

    expect(created.body.warnings).toEqual([
      'In production, Flagsmith SDKs evaluating locally may disagree for some identities — canary: segment "ten percent" splits identities by percentage. Remote evaluation, OFREP and the Vexilla SDK are exact.',
    ]);
    const updated = await api.call('PATCH', `${features()}/canary-ui`, { body: { prerequisites: [] } });
    expect(updated.body.warnings).toEqual([]);
    expect(updated.body.prerequisites).toBeUndefined();
  });
});
