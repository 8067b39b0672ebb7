/**
 * Issue 12, item 7: deleting anything deletes all of it, in as many transactions as needed, and
 * is safe to retry: a crash half-way leaves nothing that still applies, and a retry finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Identity, Project, WebhookDelivery } from '../../functions/domain/entities.js';
import type { Collection, Write } from '../../functions/domain/ports.js';
import { jobWorks } from '../../functions/domain/use-cases/job-works.js';
import { runJob, sweepJobs } from '../../functions/domain/use-cases/jobs.js';
import { deleteEnvironment } from '../../functions/domain/use-cases/organisation.js';
import { deleteIdentity, segmentOverrideWrites } from '../../functions/domain/use-cases/targeting.js';
import type { Actor } from '../../functions/domain/use-cases/support.js';
import { deliveryWrite } from '../../functions/domain/webhook-deliveries.js';
import { movingClock } from '../support/moving-clock.js';
import { crashingAfter } from '../support/crashing-store.js';
import { seedFeatures, seedIdentities } from '../support/seed-identities.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const moving = movingClock();

let api: TestApi;
let project: Project;
let environment: Environment;
let clientKey: string;
let serverKey: string;
const actor: Actor = { id: 'test', name: 'test', orgId: '', roles: { organisation: 'admin' } };
const FEATURES = 150;
const featureNames = Array.from({ length: FEATURES }, (_, i) => `f_${String(i).padStart(3, '0')}`);
const features: { featureId: string; featureName: string }[] = [];

beforeAll(async () => {
  api = await startTestApi({ clock: moving.clock });
  actor.orgId = api.organisationId;
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Cascades' } })).body.id;
  const created = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body;
  clientKey = created.clientKey;
  serverKey = (await api.call('POST', `/admin/v1/environments/${created.environment.id}/server-keys`, { body: { name: 's' } })).body.key;
  project = (await api.call('GET', `/admin/v1/projects/${projectId}`)).body;
  environment = (await api.call('GET', `/admin/v1/environments/${created.environment.id}`)).body;
  const seeded = await seedFeatures(api.deps, project, featureNames, { initialValue: 'default', defaultEnabled: true });
  features.push(...seeded.map((feature) => ({ featureId: feature.id, featureName: feature.name })));
}, 300_000);
afterAll(() => api?.close());

/**
 * An identity with an override of every feature, stored as the PUTs store them (test/support/
 * seed-identities.ts): 150 override PUTs, each reading all of the identity's overrides, were
 * most of this file's time; what is tested here is deleting them.
 */
async function identityWithOverrides(identifier: string) {
  const overrides = features.map((feature) => ({ ...feature, enabled: true, value: `for ${identifier}` }));
  await seedIdentities(api.deps, environment, [{ identifier, traits: { plan: 'pro' }, overrides }]);
}

/** What an SDK is served for the identity: the values of overridden flags. */
async function served(identifier: string): Promise<string[]> {
  const reply = await fetch(`${api.url}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: [] }),
  });
  const body = (await reply.json()) as { flags: { feature_state_value: string }[] };
  return body.flags.map((flag) => flag.feature_state_value).filter((value) => value !== 'default');
}

/** The identity overrides the environment document carries for the identity, across pages. */
async function documentOverrides(identifier: string): Promise<number> {
  let url: string | undefined = '/api/v1/environment-document/';
  let count = 0;
  while (url) {
    const page: Response = await fetch(`${api.url}${url}`, { headers: { 'x-environment-key': serverKey } });
    const document = (await page.json()) as { identity_overrides: { identifier: string; identity_features: unknown[] }[] };
    for (const identity of document.identity_overrides) if (identity.identifier === identifier) count += identity.identity_features.length;
    url = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
  }
  return count;
}

const storedItems = (identifier: string) => api.deps.store.listAll({ of: 'identity-with-overrides', envId: environment.id, identifier });

describe('deleting an identity', () => {
  it(`deletes all ${FEATURES} of its overrides`, async () => {
    await identityWithOverrides('many');
    expect(await served('many')).toHaveLength(FEATURES);
    expect(await documentOverrides('many')).toBe(FEATURES);

    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/many`)).status).toBe(204);

    expect(await storedItems('many')).toEqual([]);
    expect(await served('many')).toEqual([]);
    expect(await documentOverrides('many')).toBe(0);
    expect((await api.call('GET', `/admin/v1/environments/${environment.id}/identities/many`)).status).toBe(404);
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${environment.id}&limit=5`)).body.items;
    expect(audit[0]).toMatchObject({ detailType: 'identity.changed', action: 'deleted', subject: { identifier: 'many' } });
  }, 300_000);

  it('killed half-way, leaves nothing that applies, and deleting again finishes', async () => {
    await identityWithOverrides('crash');
    // The mark, then one batch of overrides; the process dies before the rest.
    await expect(deleteIdentity(crashingAfter(api.deps, 2), actor, environment, 'crash')).rejects.toThrow('killed');
    const left = await storedItems('crash');
    expect(left.filter((item) => item.type === 'identity-override').length).toBe(FEATURES - 100);

    expect(await served('crash')).toEqual([]);
    expect(await documentOverrides('crash')).toBe(0);
    expect((await api.call('GET', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(404);
    const listed = (await api.call('GET', `/admin/v1/environments/${environment.id}/identities?limit=1000`)).body.items.map((i: { identifier: string }) => i.identifier);
    expect(listed).not.toContain('crash');
    expect((await api.call('PUT', `/admin/v1/environments/${environment.id}/identities/crash/overrides/f_000`, { body: { enabled: true } })).status).toBe(404);

    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(204);
    expect(await storedItems('crash')).toEqual([]);
    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(404);
  }, 300_000);

  it('creating the identity again while a deletion is half-done finishes the deletion first', async () => {
    await identityWithOverrides('again');
    await expect(deleteIdentity(crashingAfter(api.deps, 1), actor, environment, 'again')).rejects.toThrow('killed');
    const created = await api.call('PUT', `/admin/v1/environments/${environment.id}/identities/again`, { body: { traits: { plan: 'free' } } });
    expect(created.status).toBe(200);
    const items = await storedItems('again');
    expect(items).toEqual([expect.objectContaining({ type: 'identity', traits: { plan: 'free' } })]);
    expect(await served('again')).toEqual([]);
  }, 300_000);
});

// --- Everything else that owns something: purged in the background, in batches, after a deletion that already made it inert. ---

const call = async (method: string, path: string, body?: unknown) => {
  const reply = await api.call(method, path, body === undefined ? {} : { body });
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
};
const count = async (collection: Collection) => (await api.deps.store.listAll(collection)).length;
/** Waits for every queued job (the purges) to finish, then checks none is left unfinished. */
async function purged() {
  await api.jobs.idle();
  expect(await api.deps.store.listAll({ of: 'pending-jobs' })).toEqual([]);
}

async function newProject(name: string, environments: string[]) {
  const projectId = (await call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name })).id as string;
  const envs: { id: string; clientKey: string; environment: Environment }[] = [];
  for (const envName of environments) {
    const created = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: envName });
    envs.push({ id: created.environment.id, clientKey: created.clientKey, environment: created.environment });
  }
  const segment = (segmentName: string) => call('POST', `/admin/v1/projects/${projectId}/segments`, { name: segmentName, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] });
  return { projectId, envs, segment, project: (await call('GET', `/admin/v1/projects/${projectId}`)) as Project };
}

/** `n` stored deliveries of a webhook (what the dispatcher leaves behind). */
async function deliveries(envId: string, webhookId: string, n: number) {
  const at = new Date().toISOString();
  const writes: Write[] = Array.from({ length: n }, (_, i) =>
    deliveryWrite(
      { type: 'webhook-delivery', id: `dlv_${i}`, orgId: api.organisationId, envId, webhookId, eventId: `evt_${i}`, detailType: 'feature.changed', status: 'delivered', attempts: 1, payload: '{}', createdAt: at, updatedAt: at, version: 1 } satisfies WebhookDelivery,
      'absent',
    ),
  );
  for (let i = 0; i < writes.length; i += 100) await api.deps.store.commit(writes.slice(i, i + 100));
}

describe('deleting a feature', () => {
  it('purges its states, versions and every override of it in every environment; identities left without overrides expire again', async () => {
    const { projectId, envs, segment } = await newProject('Feature purge', ['one', 'two']);
    await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'doomed', initialValue: 'x', defaultEnabled: true });
    await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'kept', initialValue: 'k' });
    const seg = await segment('pros');
    for (const env of envs) {
      const fs = `/admin/v1/environments/${env.id}/feature-states/doomed`;
      for (const value of ['a', 'b', 'c']) await call('PATCH', fs, { value });
      await call('PUT', `${fs}/segment-overrides/${seg.id}`, { enabled: true, value: 'pro' });
      await call('PUT', `${fs}/tenant-overrides/acme`, { enabled: true, value: 'acme' });
      for (const identifier of ['only-doomed', 'both']) {
        await call('PUT', `/admin/v1/environments/${env.id}/identities/${identifier}`, { traits: {} });
        await call('PUT', `/admin/v1/environments/${env.id}/identities/${identifier}/overrides/doomed`, { enabled: true, value: 'mine' });
      }
      await call('PUT', `/admin/v1/environments/${env.id}/identities/both/overrides/kept`, { enabled: true, value: 'still' });
    }
    const featureId = (await call('GET', `/admin/v1/projects/${projectId}/features/doomed`)).id as string;

    expect((await api.call('DELETE', `/admin/v1/projects/${projectId}/features/doomed`)).status).toBe(204);
    await purged();

    for (const env of envs) {
      expect(await api.deps.store.get({ type: 'feature-state', envId: env.id, featureId })).toBeUndefined();
      expect(await count({ of: 'feature-state-versions', envId: env.id, featureId })).toBe(0);
      expect(await count({ of: 'segment-overrides', envId: env.id, featureId })).toBe(0);
      expect(await count({ of: 'tenant-overrides', envId: env.id, featureId })).toBe(0);
      const overrides = await api.deps.store.listAll({ of: 'environment-identity-overrides', envId: env.id });
      expect(overrides.map((o) => `${o.identifier}:${o.featureName}`)).toEqual(['both:kept']);
      const identity = (identifier: string) => api.deps.store.get({ type: 'identity', envId: env.id, identifier }) as Promise<Identity>;
      expect((await identity('only-doomed')).hasOverrides).toBeUndefined();
      expect((await identity('both')).hasOverrides).toBe(true);
    }
    // A feature created again under the name starts clean.
    await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'doomed', initialValue: 'fresh' });
    expect((await call('GET', `/admin/v1/environments/${envs[0]?.id}/feature-states/doomed/overrides`)).segmentOverrides).toEqual([]);
  }, 300_000);
});

describe('deleting a segment', () => {
  it('purges its overrides of more than 100 features in every environment, and no other segment\'s', async () => {
    const { projectId, project, envs, segment } = await newProject('Segment purge', ['one', 'two']);
    const doomed = await segment('doomed');
    const kept = await segment('kept');
    const [one, two] = envs as [(typeof envs)[0], (typeof envs)[0]];
    // 110 features and overrides stored as their creation stores them (the override PUT's own
    // writes, events included), 50 overrides per transaction: through the API, each write reads
    // every environment's document first, and the setup took a minute.
    const features = await seedFeatures(api.deps, project, Array.from({ length: 110 }, (_, i) => `s_${i}`));
    const overrides = features.flatMap((feature) => segmentOverrideWrites(api.deps, actor, one.environment, feature, doomed.id, undefined, { enabled: true, value: 'd', priority: 0 }).writes);
    for (let i = 0; i < overrides.length; i += 100) await api.deps.store.commit(overrides.slice(i, i + 100));
    expect(await count({ of: 'segment-overrides', envId: one.id })).toBe(110);
    await call('PUT', `/admin/v1/environments/${two.id}/feature-states/s_0/segment-overrides/${doomed.id}`, { enabled: true, value: 'd' });
    await call('PUT', `/admin/v1/environments/${one.id}/feature-states/s_0/segment-overrides/${kept.id}`, { enabled: true, value: 'k' });

    expect((await api.call('DELETE', `/admin/v1/projects/${projectId}/segments/${doomed.id}`)).status).toBe(204);
    await purged();

    const left = [...(await api.deps.store.listAll({ of: 'segment-overrides', envId: one.id })), ...(await api.deps.store.listAll({ of: 'segment-overrides', envId: two.id }))];
    expect(left.map((o) => o.segmentId)).toEqual([kept.id]);
  }, 300_000);
});

describe('deleting a webhook', () => {
  it('purges its deliveries (more than 100)', async () => {
    const { envs } = await newProject('Webhook purge', ['one']);
    const envId = envs[0]?.id as string;
    const webhook = await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url: 'http://127.0.0.1:9/hook' });
    await deliveries(envId, webhook.id, 150);
    expect(await count({ of: 'webhook-deliveries', webhookId: webhook.id })).toBe(150);
    expect((await api.call('DELETE', `/admin/v1/environments/${envId}/webhooks/${webhook.id}`)).status).toBe(204);
    await purged();
    expect(await count({ of: 'webhook-deliveries', webhookId: webhook.id })).toBe(0);
  });
});

/** An environment with more than 100 of everything it can own. */
async function richEnvironment(name: string) {
  const { projectId, envs, project } = await newProject(name, ['doomed', 'neighbour']);
  const [env, neighbour] = envs as [(typeof envs)[0], (typeof envs)[0]];
  const environment = env.environment;
  for (let i = 0; i < 3; i++) await call('POST', `/admin/v1/projects/${projectId}/features`, { name: `e_${i}`, initialValue: 'x' });
  for (let i = 0; i < 3; i++) for (const value of ['a', 'b']) await call('PATCH', `/admin/v1/environments/${env.id}/feature-states/e_${i}`, { value });
  await call('PATCH', `/admin/v1/environments/${neighbour.id}/feature-states/e_0`, { value: 'neighbour' });
  await call('POST', `/admin/v1/environments/${env.id}/server-keys`, { name: 'backend' });
  const webhook = await call('POST', `/admin/v1/environments/${env.id}/webhooks`, { url: 'http://127.0.0.1:9/hook' });
  await deliveries(env.id, webhook.id, 120);
  await call('POST', `/admin/v1/environments/${env.id}/change-requests`, { title: 'later', changes: [{ featureName: 'e_0', value: 'cr' }] });
  await call('POST', `/admin/v1/environments/${env.id}/scheduled-changes`, { runAt: new Date(Date.now() + 86_400_000).toISOString(), changes: [{ featureName: 'e_1', value: 'sc' }] });
  const at = new Date().toISOString();
  const identities: Write[] = Array.from({ length: 150 }, (_, i) => ({
    kind: 'put',
    entity: { type: 'identity', orgId: environment.orgId, projectId, envId: env.id, identifier: `user-${i}`, traits: { plan: 'pro' }, createdAt: at, updatedAt: at, version: 1 } satisfies Identity,
  }));
  for (let i = 0; i < identities.length; i += 100) await api.deps.store.commit(identities.slice(i, i + 100));
  for (let i = 0; i < 3; i++) await call('PUT', `/admin/v1/environments/${env.id}/identities/user-${i}/overrides/e_0`, { enabled: true, value: 'mine' });
  return { projectId, project, env, neighbour, webhookId: webhook.id as string };
}

/** Everything stored under an environment: the counts a purge must bring to zero. */
async function storedUnder(envId: string, webhookId: string) {
  const states = await api.deps.store.listAll({ of: 'feature-states', envId });
  let versions = 0;
  for (const state of states) versions += await count({ of: 'feature-state-versions', envId, featureId: state.featureId });
  return {
    items: await count({ of: 'environment-items', envId }),
    versions,
    identities: await count({ of: 'identities', envId }),
    identityOverrides: await count({ of: 'environment-identity-overrides', envId }),
    keys: await count({ of: 'api-keys', envId }),
    deliveries: await count({ of: 'webhook-deliveries', webhookId }),
  };
}
const nothing = { items: 0, versions: 0, identities: 0, identityOverrides: 0, keys: 0, deliveries: 0 };

describe('deleting an environment', () => {
  it('purges everything it owned (more than 100 identities, deliveries and items), and nothing of its neighbour', async () => {
    const { env, neighbour, webhookId } = await richEnvironment('Environment purge');
    expect(await storedUnder(env.id, webhookId)).toMatchObject({ identities: 150, identityOverrides: 3, keys: 2, deliveries: 120, versions: 6 });
    expect((await api.call('DELETE', `/admin/v1/environments/${env.id}`)).status).toBe(204);
    await purged();
    expect(await storedUnder(env.id, webhookId)).toEqual(nothing);
    expect((await call('GET', `/admin/v1/environments/${neighbour.id}/feature-states/e_0`)).value).toBe('neighbour');
  }, 300_000);

  it('killed mid-purge, serves and shows nothing of it; the sweep finishes the purge', async () => {
    const { env, webhookId, projectId } = await richEnvironment('Environment crash');
    // Deleted without a queue, then purged by a process that dies after a few batches.
    await deleteEnvironment({ ...api.deps, jobs: undefined }, actor, (await call('GET', `/admin/v1/environments/${env.id}`)) as Environment);
    const job = (await api.deps.store.listAll({ of: 'pending-jobs' })).find((candidate) => candidate.input.kind === 'purge' && candidate.input.target.type === 'environment' && candidate.input.target.envId === env.id);
    expect(job).toBeDefined();
    await expect(runJob(crashingAfter(api.deps, 4), job?.id as string, jobWorks, { deadline: Date.now() + 600_000 })).rejects.toThrow('killed');
    const half = await storedUnder(env.id, webhookId);
    expect(half).not.toEqual(nothing);

    expect((await api.call('GET', `/admin/v1/environments/${env.id}`)).status).toBe(404);
    expect((await api.call('GET', `/admin/v1/environments/${env.id}/identities/user-100`)).status).toBe(404);
    const flags = await fetch(`${api.url}/api/v1/flags/`, { headers: { 'x-environment-key': env.clientKey } });
    expect(flags.status).toBe(401);
    const listed = (await call('GET', `/admin/v1/projects/${projectId}/environments`)).items.map((e: { id: string }) => e.id);
    expect(listed).not.toContain(env.id);

    moving.advance(60 * 60_000);
    expect(await sweepJobs(api.deps, api.jobs)).toBeGreaterThanOrEqual(1);
    await purged();
    expect(await storedUnder(env.id, webhookId)).toEqual(nothing);
  }, 300_000);
});

describe('deleting a project', () => {
  it('purges its features and segments (more than 100)', async () => {
    const { projectId, project, envs, segment } = await newProject('Project purge', ['only']);
    await seedFeatures(api.deps, project, Array.from({ length: 105 }, (_, i) => `p_${i}`));
    await segment('one');
    await call('DELETE', `/admin/v1/environments/${envs[0]?.id}`);
    expect((await api.call('DELETE', `/admin/v1/projects/${projectId}`)).status).toBe(204);
    await purged();
    expect(await count({ of: 'features', projectId })).toBe(0);
    expect(await count({ of: 'segments', projectId })).toBe(0);
  }, 300_000);
});
