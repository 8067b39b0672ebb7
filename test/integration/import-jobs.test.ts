/**
 * Issue 12 item 8 and issue 13 item 7: an import validates the whole document with the routes'
 * own rules before writing anything, runs as a job a user can follow (in batches, across as many
 * runs as it takes), switches the environment's hash key last, and is resumed after a crash.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Project } from '../../functions/domain/entities.js';
import { startImport } from '../../functions/domain/use-cases/import-flagsmith.js';
import { jobWorks } from '../../functions/domain/use-cases/job-works.js';
import { runJob, sweepJobs } from '../../functions/domain/use-cases/jobs.js';
import type { Actor } from '../../functions/domain/use-cases/support.js';
import { importJob, waitForImport } from '../support/imports.js';
import { movingClock } from '../support/moving-clock.js';
import { crashingAfter } from '../support/crashing-store.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const moving = movingClock();
let api: TestApi;
const actor: Actor = { id: 'tok_test', name: 'test', orgId: '', roles: { organisation: 'admin' } };

beforeAll(async () => {
  api = await startTestApi({ clock: moving.clock });
  actor.orgId = api.organisationId;
}, 120_000);
afterAll(() => api?.close());

async function newEnvironment(name: string) {
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name } })).body.id as string;
  const created = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production', hashKey: 'original-key' } })).body;
  const envId = created.environment.id as string;
  return {
    projectId,
    envId,
    clientKey: created.clientKey as string,
    project: async () => (await api.call('GET', `/admin/v1/projects/${projectId}`)).body as Project,
    environment: async () => (await api.call('GET', `/admin/v1/environments/${envId}`)).body as Environment,
    features: async () => (await api.deps.store.listAll({ of: 'features', projectId })).map((feature) => feature.name).sort(),
    audit: async () => (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=1000`)).body.items.length as number,
  };
}

const state = (id: number, name: string, value: unknown, extra: Record<string, unknown> = {}) => ({ feature: { id, name, type: 'STANDARD' }, enabled: true, feature_state_value: value, django_id: 10_000 + id, ...extra });
const document = (states: unknown[], extra: Record<string, unknown> = {}) => ({ api_key: 'FlagsmithKey', feature_states: states, project: { segments: [] }, identity_overrides: [], ...extra });
const manyFeatures = (count: number, value: (i: number) => unknown = (i) => `value ${i}`) => Array.from({ length: count }, (_, i) => state(i + 1, `feature_${String(i).padStart(5, '0')}`, value(i)));


describe('validation before anything is written', () => {
  it('refuses, with every problem named, a document whose late parts the routes would refuse, and stores nothing', async () => {
    const env = await newEnvironment('refused');
    await api.call('POST', `/admin/v1/projects/${env.projectId}/features`, { body: { name: 'typed', initialValue: 1 } });
    const auditBefore = await env.audit();
    const bad = document(
      [
        ...manyFeatures(50),
        state(901, 'has space', 'x'),
        state(902, 'nul\u0000name', 'x'),
        state(903, '<script>', 'x'),
        state(904, 'typed', 'not a number'),
        {
          ...state(905, 'split', 'control'),
          multivariate_feature_state_values: [
            { id: 1, percentage_allocation: 100, multivariate_feature_option: { id: 1, value: 'a' } },
            { id: 2, percentage_allocation: 60, multivariate_feature_option: { id: 2, value: 'b' } },
          ],
        },
      ],
      {
        project: {
          segments: [
            { id: 77, name: '   ', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property_: 'plan', value: 'pro' }] }], feature_states: [state(1, 'feature_00000', 'seg', { feature_segment: { priority: -5 } })] },
            { id: 78, name: 'no rules', rules: [], feature_states: [state(1, 'unknown_feature', 'x')] },
          ],
        },
      },
    );
    const reply = await api.call('POST', `/admin/v1/environments/${env.envId}/import`, { body: bad });
    expect(reply.status).toBe(422);
    const paths = (reply.body.details as { path: string; message: string }[]).map((detail) => detail.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'feature_states.50.feature.name',
        'feature_states.51.feature.name',
        'feature_states.52.feature.name',
        'feature_states.53.value',
        'feature_states.54.multivariate_feature_state_values',
        'project.segments.0.name',
        'project.segments.0.feature_states.0.feature_segment.priority',
        'project.segments.1.rules',
        'project.segments.1.feature_states.0.feature.name',
      ]),
    );
    expect(reply.body.details).toContainEqual({ path: 'feature_states.54.multivariate_feature_state_values', message: 'weights add up to 160, more than 100' });
    expect(await env.features()).toEqual(['typed']);
    expect((await env.environment()).hashKey).toBe('original-key');
    expect(await env.audit()).toBe(auditBefore);
    // The same names are refused by the create route, with the same rule.
    for (const name of ['has space', 'nul\u0000name', '<script>']) {
      expect((await api.call('POST', `/admin/v1/projects/${env.projectId}/features`, { body: { name } })).status).toBe(422);
    }
  });
});

describe('an import job', () => {
  it('killed mid-way, leaves the hash key as it was and a status that says so; the sweep resumes it to the end', async () => {
    const env = await newEnvironment('resumed');
    const features = manyFeatures(300);
    const source = document([
      ...features,
      {
        ...state(9001, 'checkout', 'control'),
        multivariate_feature_state_values: [
          { id: 1, percentage_allocation: 30, multivariate_feature_option: { id: 1, value: 'one_page' } },
          { id: 2, percentage_allocation: 40, multivariate_feature_option: { id: 2, value: 'wizard' } },
        ],
      },
    ]);
    // Started without a queue, then run by a process that dies after a few batches.
    const started = await startImport({ ...api.deps, jobs: undefined }, actor, await env.environment(), await env.project(), source);
    await expect(runJob(crashingAfter(api.deps, 6), started.id, jobWorks, { deadline: Date.now() + 600_000 })).rejects.toThrow('killed');

    const stalled = (await api.call('GET', started.location)).body;
    expect(stalled).toMatchObject({ status: 'running', progress: { total: 603 } });
    expect(stalled.progress.done).toBeGreaterThan(0);
    expect(stalled.progress.done).toBeLessThan(stalled.progress.total);
    const half = (await env.features()).length;
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(features.length + 1);
    expect((await env.environment()).hashKey).toBe('original-key');

    // Once the dead run's lease is over, the sweep queues the job again and it finishes.
    moving.advance(60 * 60_000);
    expect(await sweepJobs(api.deps, api.jobs)).toBeGreaterThanOrEqual(1);
    const finished = await waitForImport(api, started.location);
    expect(finished).toMatchObject({ status: 'succeeded', progress: { done: 603, total: 603 }, summary: { created: { features: 301, featureStates: 301 }, updated: { environment: 1 } } });
    expect(await env.features()).toHaveLength(features.length + 1);
    expect((await env.environment()).hashKey).toBe('FlagsmithKey');
    // Nothing was written twice: one audit record per change.
    const again = (await importJob(api, env.envId, source)).job;
    expect(again?.summary).toMatchObject({ created: {}, updated: {} });
  }, 300_000);

  it('hands the job back at its deadline, and the next run carries on where it stopped', async () => {
    const env = await newEnvironment('continued');
    const started = await startImport({ ...api.deps, jobs: undefined }, actor, await env.environment(), await env.project(), document(manyFeatures(100)));
    // A run whose time is up commits one batch with its progress, then hands the job back.
    expect(await runJob(api.deps, started.id, jobWorks, { deadline: Date.now() })).toBe('continue');
    const first = (await api.call('GET', started.location)).body;
    expect(first).toMatchObject({ status: 'queued', progress: { total: 201 } });
    expect(first.progress.done).toBeGreaterThan(0);
    expect(await runJob(api.deps, started.id, jobWorks, { deadline: Date.now() })).toBe('continue');
    const second = (await api.call('GET', started.location)).body;
    expect(second.progress.done).toBeGreaterThan(first.progress.done);
    expect((await env.environment()).hashKey).toBe('original-key');
    await api.jobs.enqueue(started.id);
    expect(await waitForImport(api, started.location)).toMatchObject({ status: 'succeeded', progress: { done: 201, total: 201 } });
    expect(await env.features()).toHaveLength(100);
    expect((await env.environment()).hashKey).toBe('FlagsmithKey');
  }, 120_000);

  it('takes a 5 MB document (what an import reads is stored in chunks next to the job), answers at once, and cleans up after itself', async () => {
    const env = await newEnvironment('large');
    // What Flagsmith documents carry and Vexilla ignores, made incompressible: the stored document spans several chunks.
    const metadata = (i: number) => randomBytes(7_700).toString('base64') + i;
    const source = document(manyFeatures(500).map((feature, i) => ({ ...feature, description: metadata(i) })));
    const bytes = Buffer.byteLength(JSON.stringify(source));
    expect(bytes).toBeGreaterThan(5_000_000);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);

    const { started, job } = await importJob(api, env.envId, source);
    expect(started.status).toBe(202);
    expect(job).toMatchObject({ status: 'succeeded', progress: { done: 1001, total: 1001 } });
    expect(await env.features()).toHaveLength(500);
    expect(await api.deps.store.listAll({ of: 'job-chunks', jobId: started.body.id })).toEqual([]);
    const flags = await (await fetch(`${api.url}/api/v1/flags/`, { headers: { 'x-environment-key': env.clientKey } })).json();
    expect(flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'feature_00499').feature_state_value).toBe('value 499');
  }, 300_000);

  it('belongs to its environment: another environment, or another organisation, finds no such import', async () => {
    const env = await newEnvironment('owner');
    const other = await newEnvironment('other');
    const { job } = await importJob(api, env.envId, document(manyFeatures(2)), { dryRun: true });
    expect(job?.status).toBe('succeeded');
    expect((await api.call('GET', `/admin/v1/environments/${other.envId}/imports/${job?.id}`)).status).toBe(404);
    const stranger = await api.newOrganisation('Stranger');
    expect((await api.call('GET', job?.location as string, { token: stranger.adminToken })).status).toBe(404);
  });
});
