/**
 * Governance over overrides, over real HTTP on DynamoDB Local: in an environment that requires
 * approvals, segment and tenant overrides change only through change requests (identity
 * overrides stay direct); a request mixing feature-state and override changes applies atomically;
 * a moved override refuses the whole set with its diff; a scheduled override change applies at
 * its time (injected clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict } from '../../functions/domain/errors.js';
import { putTenantOverride } from '../../functions/domain/use-cases/targeting.js';
import { movingClock } from '../support/moving-clock.js';
import { importJob } from '../support/imports.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const HOUR = 3_600_000;
const { clock, later, advance } = movingClock();

let api: TestApi;
let projectId: string;
let segmentId: string;
let approver: string;

beforeAll(async () => {
  // No snapshot cache: each evaluation reads what the last commit left, whatever the timing.
  api = await startTestApi({ clock, snapshotTtlMs: 0 });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  approver = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'alice', roles: { projects: { [projectId]: 'editor' } } } })).body.token;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello' } });
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'limit', initialValue: 10 } });
  const segment = await api.call('POST', `/admin/v1/projects/${projectId}/segments`, {
    body: { name: 'pros', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] },
  });
  expect(segment.status).toBe(201);
  segmentId = segment.body.id;
});
afterAll(() => api?.close());

/** An environment whose `limit` has a tenant override for acme (99), then governed if asked. */
async function newEnvironment(name: string, requiredApprovals: number) {
  const created = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name } })).body;
  const envId = created.environment.id as string;
  const base = `/admin/v1/environments/${envId}`;
  const fs = (feature: string) => `${base}/feature-states/${feature}`;
  expect((await api.call('PUT', `${fs('limit')}/tenant-overrides/acme`, { body: { enabled: true, value: 99 } })).status).toBe(200);
  if (requiredApprovals > 0) expect((await api.call('PATCH', base, { body: { requiredApprovals } })).status).toBe(200);
  /** What an identity is served, per feature, through the SDK API. */
  const served = async (identifier: string, traits: Record<string, string>) => {
    const response = await fetch(`${api.url}/api/v1/identities/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-environment-key': created.clientKey },
      body: JSON.stringify({ identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) }),
    });
    expect(response.status).toBe(200);
    const flags = (await response.json()).flags as { feature: { name: string }; enabled: boolean; feature_state_value: unknown }[];
    return Object.fromEntries(flags.map((f) => [f.feature.name, [f.enabled, f.feature_state_value]]));
  };
  const overrides = async (feature: string) => (await api.call('GET', `${fs(feature)}/overrides`)).body;
  return { envId, base, fs, cr: `${base}/change-requests`, sc: `${base}/scheduled-changes`, served, overrides };
}

const featureStateEvents = async (envId: string) =>
  ((await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${envId}&limit=100`)).body.items as { detailType: string; action: string; subject: Record<string, string> }[])
    .filter((e) => e.detailType === 'feature-state.changed')
    .map((e) => `${e.action} ${e.subject.kind} ${e.subject.featureName}`)
    .sort();

describe('governed overrides', () => {
  it('refuses direct segment- and tenant-override writes with 409 and stores nothing; identity overrides stay direct', async () => {
    const env = await newEnvironment('refuses', 1);
    const before = await env.overrides('limit');
    const eventsBefore = await featureStateEvents(env.envId);

    const putSegment = await api.call('PUT', `${env.fs('banner')}/segment-overrides/${segmentId}`, { body: { enabled: true, value: 'direct' } });
    const putTenant = await api.call('PUT', `${env.fs('limit')}/tenant-overrides/acme`, { body: { enabled: false, value: 1 } });
    const deleteTenant = await api.call('DELETE', `${env.fs('limit')}/tenant-overrides/acme`);
    const deleteSegment = await api.call('DELETE', `${env.fs('banner')}/segment-overrides/${segmentId}`);
    await api.call('PUT', `${env.base}/identities/support-case`, { body: { traits: {} } });
    const identity = await api.call('PUT', `${env.base}/identities/support-case/overrides/banner`, { body: { enabled: true, value: 'just for you' } });

    for (const refused of [putSegment, putTenant, deleteTenant, deleteSegment]) {
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ statusCode: 409, details: { requiredApprovals: 1 } });
      expect(refused.body.message).toContain('open a change request instead');
    }
    expect(await env.overrides('limit')).toEqual(before);
    expect((await env.overrides('banner')).segmentOverrides).toEqual([]);
    expect(await featureStateEvents(env.envId)).toEqual(eventsBefore);
    expect(identity.status).toBe(200);
    expect((await env.served('support-case', {})).banner).toEqual([true, 'just for you']);
  });

  it('refuses an import that would change only a segment override, and a write that read the environment before governance', async () => {
    const source = await newEnvironment('import-source', 0);
    expect((await api.call('PUT', `${source.fs('banner')}/segment-overrides/${segmentId}`, { body: { enabled: true, value: 'imported' } })).status).toBe(200);
    // Without its feature states (their hashing keys differ per environment): only the overrides are left to import.
    const document = { ...(await api.call('GET', `${source.base}/export`)).body, feature_states: [] };
    const env = await newEnvironment('import-target', 0);
    const stale = (await api.deps.store.get({ type: 'environment', id: env.envId }))!;
    expect((await api.call('PATCH', env.base, { body: { requiredApprovals: 1 } })).status).toBe(200);

    const plan = (await importJob(api, env.envId, document, { dryRun: true })).job;
    const imported = (await importJob(api, env.envId, document)).job;
    const project = (await api.deps.store.get({ type: 'project', id: projectId }))!;
    const actor = { id: 'tok_racer', name: 'racing editor', orgId: api.organisationId, roles: { organisation: 'admin' as const } };
    const raced = await putTenantOverride(api.deps, actor, stale, project, 'limit', 'acme', { enabled: false, value: 1 }).catch((e: unknown) => e);

    expect(plan).toMatchObject({ status: 'succeeded', summary: { created: { segmentOverrides: 1 }, refused: expect.stringContaining('open a change request instead') } });
    expect(plan?.summary?.created.featureStates ?? 0).toBe(0);
    expect(imported).toMatchObject({ status: 'failed', error: { error: 'Conflict', message: expect.stringContaining('open a change request instead'), details: { requiredApprovals: 1 } } });
    expect(raced).toBeInstanceOf(Conflict);
    expect(raced).toMatchObject({ details: { requiredApprovals: 1 } });
    expect((await env.overrides('banner')).segmentOverrides).toEqual([]);
    expect((await env.overrides('limit')).tenantOverrides).toMatchObject([{ tenantId: 'acme', enabled: true, value: 99, version: 1 }]);
    expect(await featureStateEvents(env.envId)).toEqual(['created tenant-override limit']);
  });

  it('applies a feature-state change, a segment-override change and a tenant-override removal atomically after approval', async () => {
    const env = await newEnvironment('mixed', 1);
    expect(await env.served('pro-at-acme', { plan: 'pro', tenant: 'acme' })).toEqual({ banner: [false, 'hello'], limit: [true, 99] });
    const created = await api.call('POST', env.cr, {
      body: {
        title: 'Pro banner, acme back to normal',
        changes: [
          { featureName: 'banner', value: 'sale' },
          { featureName: 'banner', segmentId, enabled: true, value: 'pro sale', priority: 2 },
          { featureName: 'limit', tenantId: 'acme', remove: true },
        ],
      },
    });
    expect(created.status).toBe(201);
    // Resolved against the current targets: complete content and the version proposed against (0: absent).
    expect(created.body.changes).toEqual([
      { featureName: 'banner', featureId: expect.any(String), expectedVersion: 0, content: { enabled: false, value: 'sale', weights: {} } },
      { target: 'segment-override', featureName: 'banner', featureId: expect.any(String), segmentId, expectedVersion: 0, content: { enabled: true, value: 'pro sale', priority: 2 } },
      { target: 'tenant-override', featureName: 'limit', featureId: expect.any(String), tenantId: 'acme', expectedVersion: 1, content: null },
    ]);
    const path = `${env.cr}/${created.body.id}`;
    expect((await api.call('POST', `${path}/apply`)).status).toBe(409);
    expect(await env.served('pro-at-acme', { plan: 'pro', tenant: 'acme' })).toEqual({ banner: [false, 'hello'], limit: [true, 99] });
    expect((await api.call('POST', `${path}/approve`, { token: approver })).status).toBe(200);

    const applied = await api.call('POST', `${path}/apply`);

    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'applied' });
    expect(await env.served('pro-at-acme', { plan: 'pro', tenant: 'acme' })).toEqual({ banner: [true, 'pro sale'], limit: [false, 10] });
    expect(await env.served('basic-at-acme', { plan: 'basic', tenant: 'acme' })).toEqual({ banner: [false, 'sale'], limit: [false, 10] });
    expect((await env.overrides('banner')).segmentOverrides).toMatchObject([{ segmentId, enabled: true, value: 'pro sale', priority: 2, version: 1 }]);
    expect((await env.overrides('limit')).tenantOverrides).toEqual([]);
    // The same events the direct routes produce, one per change (plus the setup's tenant override).
    expect(await featureStateEvents(env.envId)).toEqual([
      'created segment-override banner',
      'created tenant-override limit',
      'deleted tenant-override limit',
      'updated feature-state banner',
    ]);
  });

  it('refuses the whole set with the diff when an override moved since it was proposed', async () => {
    const env = await newEnvironment('moved', 1);
    const approveAndApply = async (id: string) => {
      expect((await api.call('POST', `${env.cr}/${id}/approve`, { token: approver })).status).toBe(200);
      return api.call('POST', `${env.cr}/${id}/apply`);
    };
    const stale = await api.call('POST', env.cr, {
      body: { title: 'Stale', changes: [{ featureName: 'limit', value: 50 }, { featureName: 'limit', tenantId: 'acme', value: 100 }] },
    });
    const first = await api.call('POST', env.cr, { body: { title: 'First', changes: [{ featureName: 'limit', tenantId: 'acme', enabled: false }] } });
    expect((await approveAndApply(first.body.id)).status).toBe(200);

    const applied = await approveAndApply(stale.body.id);

    expect(applied.status).toBe(409);
    expect(applied.body.message).toContain('Nothing was applied: 1 feature state(s) or override(s) changed');
    expect(applied.body.details).toEqual([
      { featureName: 'limit', tenantId: 'acme', expectedVersion: 1, currentVersion: 2, current: { enabled: false, value: 99 }, proposed: { enabled: true, value: 100 } },
    ]);
    expect((await api.call('GET', env.fs('limit'))).body).toMatchObject({ value: 10, version: 0 });
    expect((await env.overrides('limit')).tenantOverrides).toMatchObject([{ tenantId: 'acme', enabled: false, value: 99, version: 2 }]);
    expect((await api.call('GET', `${env.cr}/${stale.body.id}`)).body).toMatchObject({ status: 'open' });
  });

  it('applies a scheduled override change when its time comes, and not before', async () => {
    const env = await newEnvironment('scheduled', 0);
    const created = await api.call('POST', env.sc, {
      body: { runAt: later(HOUR), changes: [{ featureName: 'banner', segmentId, enabled: true, value: 'pro night' }, { featureName: 'limit', tenantId: 'acme', remove: true }] },
    });
    expect(created.status).toBe(201);

    advance(HOUR - 60_000);
    await api.scheduler.tick();
    expect(await env.served('night-pro', { plan: 'pro', tenant: 'acme' })).toEqual({ banner: [false, 'hello'], limit: [true, 99] });

    advance(61_000);
    await api.scheduler.tick();

    expect((await api.call('GET', `${env.sc}/${created.body.id}`)).body).toMatchObject({ status: 'applied' });
    expect(await env.served('night-pro', { plan: 'pro', tenant: 'acme' })).toEqual({ banner: [true, 'pro night'], limit: [false, 10] });
  });

  it('refuses invalid override changes with every problem', async () => {
    const env = await newEnvironment('invalid', 1);
    const shape = await api.call('POST', env.cr, {
      body: { title: 'Bad shape', changes: [{ featureName: 'banner', segmentId, tenantId: 'acme', enabled: true }, { featureName: 'banner', remove: true }, { featureName: 'banner', priority: 1 }] },
    });
    expect(shape.status).toBe(422);
    expect(shape.body.details.map((d: { path: string }) => d.path)).toEqual(['changes.0.tenantId', 'changes.1.remove', 'changes.2.priority']);

    const content = await api.call('POST', env.cr, {
      body: {
        title: 'Bad content',
        changes: [
          { featureName: 'banner', segmentId: 'seg_nope', enabled: true },
          { featureName: 'banner', tenantId: 'globex' },
          { featureName: 'limit', tenantId: 'globex', remove: true },
          { featureName: 'limit', tenantId: 'acme', value: 'many' },
          { featureName: 'limit', tenantId: 'acme', enabled: true },
        ],
      },
    });
    expect(content.status).toBe(422);
    expect(content.body.details).toEqual([
      { path: 'changes.0.segmentId', message: 'no segment seg_nope in this project' },
      { path: 'changes.1.enabled', message: 'required for a new override' },
      { path: 'changes.2.remove', message: 'there is no such override to remove' },
      { path: 'changes.3.value', message: 'expected a number value (or null)' },
      { path: 'changes.4.featureName', message: 'the override of limit for tenant acme appears twice' },
    ]);
  });
});
