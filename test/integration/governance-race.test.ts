/**
 * Governance holds at commit time, not just at read time: a write that passed the governance
 * check on an environment read before an admin turned governance on (or raised the approvals)
 * is refused with the governance 409 and writes nothing. The race is made deterministic by
 * handing the use case the environment as it was read before the admin's change, or (for the
 * scheduled apply, which reads it itself) a store that runs the admin's change right after that read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Project } from '../../functions/domain/entities.js';
import { Conflict } from '../../functions/domain/errors.js';
import type { Store } from '../../functions/domain/ports.js';
import { applyChangeRequest } from '../../functions/domain/use-cases/change-requests.js';
import { patchFeatureState, restoreVersion } from '../../functions/domain/use-cases/features.js';
import { importFlagsmithDocument } from '../../functions/domain/use-cases/import-flagsmith.js';
import { applyScheduledChange, createScheduledChange } from '../../functions/domain/use-cases/scheduled-changes.js';
import type { Actor, Deps } from '../../functions/domain/use-cases/support.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let project: Project;
let actor: Actor;
let approvers: string[];

beforeAll(async () => {
  api = await startTestApi();
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Races' } })).body.id as string;
  project = (await api.deps.store.get({ type: 'project', id: projectId }))!;
  actor = { id: 'tok_racer', name: 'racing editor', orgId: api.organisationId, roles: { organisation: 'admin' } };
  approvers = [];
  for (const name of ['alice', 'bob']) {
    const created = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name, roles: { projects: { [projectId]: 'editor' } } } });
    approvers.push(created.body.token);
  }
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello' } });
});
afterAll(() => api?.close());

async function newEnvironment(name: string, requiredApprovals = 0) {
  const envId = (await api.call('POST', `/admin/v1/projects/${project.id}/environments`, { body: { name } })).body.environment.id as string;
  const base = `/admin/v1/environments/${envId}`;
  if (requiredApprovals > 0) expect((await api.call('PATCH', base, { body: { requiredApprovals } })).status).toBe(200);
  /** The environment as a request that started now sees it. */
  const read = async () => (await api.deps.store.get({ type: 'environment', id: envId })) as Environment;
  const admin = async (body: Record<string, unknown>) => expect((await api.call('PATCH', base, { body })).status).toBe(200);
  return { envId, base, read, admin, fs: `${base}/feature-states/banner` };
}

/** Feature-state changes this environment's audit records (the outbox the pipeline publishes). */
async function stateEvents(envId: string) {
  const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${envId}&limit=100`)).body.items as { detailType: string }[];
  return audit.filter((event) => event.detailType === 'feature-state.changed');
}

async function versions(fs: string) {
  return ((await api.call('GET', `${fs}/versions`)).body.items as { version: number }[]).map((v) => v.version);
}

const governanceRefusal = (name: string, required: number) =>
  `Environment ${name} requires ${required} approval${required === 1 ? '' : 's'} for changes to feature states and overrides: open a change request instead.`;

describe('direct writes racing governance', () => {
  it('a feature-state PATCH that read the environment before governance was turned on is refused, nothing written', async () => {
    const env = await newEnvironment('patch-race');
    const stale = await env.read();
    await env.admin({ requiredApprovals: 1 });

    const write = patchFeatureState(api.deps, actor, stale, project, 'banner', { value: 'sneaked in' }, undefined);

    const error = await write.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Conflict);
    expect(error).toMatchObject({ message: governanceRefusal('patch-race', 1), details: { requiredApprovals: 1 } });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'hello', version: 0 });
    expect(await versions(env.fs)).toEqual([]);
    expect(await stateEvents(env.envId)).toEqual([]);
  });

  it('a restore that read the environment before governance was turned on is refused, history unchanged', async () => {
    const env = await newEnvironment('restore-race');
    await api.call('PATCH', env.fs, { body: { value: 'first' } });
    await api.call('PATCH', env.fs, { body: { value: 'second' } });
    const stale = await env.read();
    await env.admin({ requiredApprovals: 2 });

    const restore = restoreVersion(api.deps, actor, stale, project, 'banner', 1, undefined);

    await expect(restore).rejects.toMatchObject({ message: governanceRefusal('restore-race', 2), details: { requiredApprovals: 2 } });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'second', version: 2 });
    expect(await versions(env.fs)).toEqual([2, 1]);
    expect(await stateEvents(env.envId)).toHaveLength(2);
  });

  it('an import that read the environment before governance was turned on is refused, nothing written', async () => {
    const env = await newEnvironment('import-race');
    const stale = await env.read();
    await env.admin({ requiredApprovals: 1 });
    const document = {
      api_key: stale.hashKey,
      feature_states: [
        { feature: { id: 1, name: 'banner' }, enabled: true, feature_state_value: 'imported' },
        { feature: { id: 2, name: 'brand_new' }, enabled: true, feature_state_value: 'imported' },
      ],
      project: { segments: [] },
    };

    const imported = importFlagsmithDocument(api.deps, actor, stale, project, document);

    await expect(imported).rejects.toMatchObject({ message: governanceRefusal('import-race', 1), details: { requiredApprovals: 1 } });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'hello', version: 0 });
    // The feature the document would have created was in the same refused batch.
    expect((await api.call('GET', `/admin/v1/projects/${project.id}/features/brand_new`)).status).toBe(404);
    expect(await stateEvents(env.envId)).toEqual([]);
  });

  it('scheduling raw changes on an environment read before governance was turned on is refused, with no schedule left', async () => {
    const env = await newEnvironment('schedule-race');
    const stale = await env.read();
    await env.admin({ requiredApprovals: 1 });

    const created = createScheduledChange(api.deps, actor, stale, { runAt: new Date(Date.now() + 3_600_000).toISOString(), changes: [{ featureName: 'banner', value: 'later' }] });

    await expect(created).rejects.toMatchObject({ message: governanceRefusal('schedule-race', 1), details: { requiredApprovals: 1 } });
    expect((await api.call('GET', `${env.base}/scheduled-changes`)).body.items).toEqual([]);
    expect(api.scheduler.pending().filter((schedule) => schedule.target.envId === env.envId)).toEqual([]);
  });

  it('an unrelated change to the environment meanwhile is the usual "changed meanwhile" 409; reloading and retrying works', async () => {
    const env = await newEnvironment('rename-race');
    const stale = await env.read();
    await env.admin({ name: 'renamed' });

    const write = patchFeatureState(api.deps, actor, stale, project, 'banner', { value: 'first try' }, undefined);

    await expect(write).rejects.toMatchObject({ message: 'Environment rename-race changed meanwhile: reload and try again.' });
    expect(await versions(env.fs)).toEqual([]);
    const retried = await patchFeatureState(api.deps, actor, await env.read(), project, 'banner', { value: 'second try' }, undefined);
    expect(retried).toMatchObject({ value: 'second try', version: 1 });
  });
});

describe('the sanctioned path racing a raised approval requirement', () => {
  async function approvedRequest(env: Awaited<ReturnType<typeof newEnvironment>>) {
    const created = await api.call('POST', `${env.base}/change-requests`, { body: { title: 'Sale', changes: [{ featureName: 'banner', value: 'sale' }] } });
    const approved = await api.call('POST', `${env.base}/change-requests/${created.body.id}/approve`, { token: approvers[0] });
    expect(approved.body.approvals).toHaveLength(1);
    return created.body.id as string;
  }

  it('a change request approved once does not apply if the environment now requires two approvals', async () => {
    const env = await newEnvironment('apply-race', 1);
    const id = await approvedRequest(env);
    const stale = await env.read();
    await env.admin({ requiredApprovals: 2 });

    const apply = applyChangeRequest(api.deps, actor, stale, id, undefined);

    await expect(apply).rejects.toMatchObject({ message: `Change request ${id} has 1 of the 2 approvals environment apply-race requires.`, details: { approvals: 1, requiredApprovals: 2 } });
    expect((await api.call('GET', `${env.base}/change-requests/${id}`)).body).toMatchObject({ status: 'open', version: 2 });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'hello', version: 0 });
    expect(await stateEvents(env.envId)).toEqual([]);
    // With the second approval it applies as usual.
    await api.call('POST', `${env.base}/change-requests/${id}/approve`, { token: approvers[1] });
    expect((await api.call('POST', `${env.base}/change-requests/${id}/apply`)).status).toBe(200);
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'sale', version: 1 });
  });

  /** Deps whose store lets `meanwhile` run once, right after the scheduled apply has read the environment. */
  function racingDeps(meanwhile: () => Promise<void>): Deps {
    let raced = false;
    const store: Store = Object.create(api.deps.store);
    store.get = async (ref) => {
      const found = await api.deps.store.get(ref);
      if (ref.type === 'environment' && !raced) {
        raced = true;
        await meanwhile();
      }
      return found;
    };
    // Due: the schedule's time has come.
    return { ...api.deps, store, clock: () => new Date(Date.now() + 2 * 3_600_000) };
  }

  it('a scheduled change request whose approvals fall short after a raise, between its read and commit, fails and applies nothing', async () => {
    const env = await newEnvironment('scheduled-race', 1);
    const id = await approvedRequest(env);
    const scheduled = await api.call('POST', `${env.base}/scheduled-changes`, { body: { runAt: new Date(Date.now() + 3_600_000).toISOString(), changeRequestId: id } });
    expect(scheduled.status).toBe(201);

    const outcome = await applyScheduledChange(racingDeps(() => env.admin({ requiredApprovals: 2 })), { envId: env.envId, scheduledChangeId: scheduled.body.id });

    expect(outcome).toEqual({ outcome: 'failed', reason: `Change request ${id} has 1 of the 2 approvals environment scheduled-race requires.` });
    expect((await api.call('GET', `${env.base}/scheduled-changes/${scheduled.body.id}`)).body).toMatchObject({ status: 'failed' });
    expect((await api.call('GET', `${env.base}/change-requests/${id}`)).body).toMatchObject({ status: 'open' });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'hello', version: 0 });
    expect(await stateEvents(env.envId)).toEqual([]);
  });

  it('a raw scheduled change fails, applying nothing, when governance is turned on between its read and commit', async () => {
    const env = await newEnvironment('raw-scheduled-race');
    const scheduled = await api.call('POST', `${env.base}/scheduled-changes`, { body: { runAt: new Date(Date.now() + 3_600_000).toISOString(), changes: [{ featureName: 'banner', value: 'scheduled' }] } });
    expect(scheduled.status).toBe(201);

    const outcome = await applyScheduledChange(racingDeps(() => env.admin({ requiredApprovals: 1 })), { envId: env.envId, scheduledChangeId: scheduled.body.id });

    expect(outcome).toEqual({ outcome: 'failed', reason: governanceRefusal('raw-scheduled-race', 1) });
    expect((await api.call('GET', `${env.base}/scheduled-changes/${scheduled.body.id}`)).body).toMatchObject({ status: 'failed' });
    expect((await api.call('GET', env.fs)).body).toMatchObject({ value: 'hello', version: 0 });
    expect(await stateEvents(env.envId)).toEqual([]);
  });
});
