/**
 * Change requests and governance over real HTTP on DynamoDB Local: approvals by others than the
 * author, approval bound to the exact changes, atomic apply with a diff on conflict, and an
 * environment that requires approvals refusing every direct path to its feature states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetailType } from '../../functions/domain/entities.js';
import { detailSchemas, toEventDetail } from '../../functions/events/detail-types.js';
import { importJob } from '../support/imports.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
const approvers: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  for (const name of ['alice', 'bob']) {
    const created = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name, roles: { projects: { [projectId]: 'editor' } } } });
    approvers.push(created.body.token);
  }
  for (const [name, initialValue] of [['banner', 'hello'], ['limit', 10], ['dark_mode', null]] as const) {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name, initialValue } });
  }
});
afterAll(() => api?.close());

async function newEnvironment(name: string, requiredApprovals: number) {
  const envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name } })).body.environment.id as string;
  if (requiredApprovals > 0) {
    const updated = await api.call('PATCH', `/admin/v1/environments/${envId}`, { body: { requiredApprovals } });
    expect(updated.body).toMatchObject({ requiredApprovals });
  }
  const base = `/admin/v1/environments/${envId}`;
  return { envId, cr: `${base}/change-requests`, fs: (feature: string) => `${base}/feature-states/${feature}`, base };
}

const threeChanges = [
  { featureName: 'banner', value: 'sale' },
  { featureName: 'limit', enabled: true, value: 20 },
  { featureName: 'dark_mode', enabled: true },
];

describe('change requests', () => {
  it('needs approvals from people other than its author, then applies every change at once, with audit', async () => {
    const env = await newEnvironment('approvals', 2);
    const created = await api.call('POST', env.cr, { body: { title: 'Spring sale', description: 'Turn it all on', changes: threeChanges } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'open', version: 1, approvals: [], author: { name: 'bootstrap admin' } });
    // Resolved to complete content against the version it was proposed on.
    expect(created.body.changes[0]).toMatchObject({ featureName: 'banner', expectedVersion: 0, content: { enabled: false, value: 'sale', weights: {} } });
    const path = `${env.cr}/${created.body.id}`;

    const selfApproval = await api.call('POST', `${path}/approve`);
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.message).toMatch(/author .* cannot approve/);
    const tooEarly = await api.call('POST', `${path}/apply`);
    expect(tooEarly.status).toBe(409);
    expect(tooEarly.body.message).toContain('0 of the 2 approvals');

    expect((await api.call('POST', `${path}/approve`, { token: approvers[0] })).body.approvals).toHaveLength(1);
    expect((await api.call('POST', `${path}/approve`, { token: approvers[0] })).status).toBe(409);
    expect((await api.call('POST', `${path}/apply`)).body.message).toContain('1 of the 2 approvals');
    const approved = await api.call('POST', `${path}/approve`, { token: approvers[1], body: { version: 2 } });
    expect(approved.body.approvals.map((a: { name: string }) => a.name)).toEqual(['alice', 'bob']);

    const applied = await api.call('POST', `${path}/apply`);

    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'applied', version: 4 });
    const states = (await api.call('GET', `${env.base}/feature-states`)).body.items;
    expect(states.map((s: { featureName: string; enabled: boolean; value: unknown; version: number }) => [s.featureName, s.enabled, s.value, s.version])).toEqual([
      ['banner', false, 'sale', 1],
      ['dark_mode', true, null, 1],
      ['limit', true, 20, 1],
    ]);
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${env.envId}&limit=20`)).body.items;
    const appliedEvent = audit.find((e: { detailType: string; action: string }) => e.detailType === 'change-request.changed' && e.action === 'applied');
    expect(appliedEvent).toMatchObject({ subject: { kind: 'change-request', id: created.body.id }, after: { status: 'applied' } });
    // The only feature-state changes in this environment are the request's, as ordinary events.
    const stateEvents = audit.filter((e: { detailType: string }) => e.detailType === 'feature-state.changed');
    expect(stateEvents.map((e: { subject: { featureName: string } }) => e.subject.featureName).sort()).toEqual(['banner', 'dark_mode', 'limit']);
    expect(audit.filter((e: { detailType: string }) => e.detailType === 'change-request.changed').map((e: { action: string }) => e.action)).toEqual([
      'applied',
      'approved',
      'approved',
      'created',
    ]);
    expect((await api.call('POST', `${path}/apply`)).status).toBe(409);
    // What the bus will carry matches the published schema of each detail-type.
    for (const event of audit) expect(() => detailSchemas[event.detailType as DetailType].parse(toEventDetail(event))).not.toThrow();
  });

  it('editing the changes empties the approvals, and approving a version that was edited since is refused', async () => {
    const env = await newEnvironment('edits', 1);
    const created = await api.call('POST', env.cr, { body: { title: 'Banner', changes: [{ featureName: 'banner', value: 'v1' }] } });
    const path = `${env.cr}/${created.body.id}`;
    await api.call('POST', `${path}/approve`, { token: approvers[0] });

    const retitled = await api.call('PATCH', path, { body: { title: 'Banner copy', version: 2 } });
    expect(retitled.body).toMatchObject({ title: 'Banner copy', version: 3 });
    expect(retitled.body.approvals).toHaveLength(1);
    const edited = await api.call('PATCH', path, { body: { changes: [{ featureName: 'banner', value: 'v2' }] } });

    expect(edited.body.approvals).toEqual([]);
    expect(edited.body.changes[0].content.value).toBe('v2');
    const stale = await api.call('POST', `${path}/approve`, { token: approvers[1], body: { version: 3 } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('at version 4, not 3');
    expect((await api.call('POST', `${path}/apply`)).body.message).toContain('0 of the 1 approval');
    expect((await api.call('POST', `${path}/approve`, { token: approvers[1], body: { version: 4 } })).status).toBe(200);
    expect((await api.call('POST', `${path}/apply`)).status).toBe(200);
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'v2', version: 1 });
  });

  it('applies nothing when one target moved since it was proposed, and answers 409 with the diff', async () => {
    const env = await newEnvironment('atomic', 0);
    const created = await api.call('POST', env.cr, { body: { title: 'Three', changes: threeChanges } });
    await api.call('PATCH', env.fs('limit'), { body: { value: 99 } });

    const applied = await api.call('POST', `${env.cr}/${created.body.id}/apply`);

    expect(applied.status).toBe(409);
    expect(applied.body.message).toContain('Nothing was applied');
    expect(applied.body.details).toEqual([
      {
        featureName: 'limit',
        expectedVersion: 0,
        currentVersion: 1,
        current: { enabled: false, value: 99, weights: {} },
        proposed: { enabled: true, value: 20, weights: {} },
      },
    ]);
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'hello', version: 0 });
    expect((await api.call('GET', env.fs('dark_mode'))).body).toMatchObject({ enabled: false, version: 0 });
    expect((await api.call('GET', `${env.cr}/${created.body.id}`)).body).toMatchObject({ status: 'open', version: 1 });
  });

  it('refuses invalid change sets: unknown features, duplicates, wrong value types, more than 25 changes', async () => {
    const env = await newEnvironment('invalid', 0);
    const bad = await api.call('POST', env.cr, {
      body: { title: 'Bad', changes: [{ featureName: 'nope' }, { featureName: 'limit', value: 'ten' }, { featureName: 'limit', enabled: true }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([
      { path: 'changes.0.featureName', message: 'no feature nope in this project' },
      { path: 'changes.1.value', message: 'expected a number value (or null)' },
      { path: 'changes.2.featureName', message: 'limit appears twice' },
    ]);
    const tooMany = await api.call('POST', env.cr, {
      body: { title: 'Many', changes: Array.from({ length: 26 }, (_, i) => ({ featureName: `f${i}`, enabled: true })) },
    });
    expect(tooMany.status).toBe(422);
    expect(JSON.stringify(tooMany.body.details)).toContain('at most 25 changes');
  });

  it('takes comments, closes without applying, and lists newest first with a cursor', async () => {
    const env = await newEnvironment('lifecycle', 1);
    const first = await api.call('POST', env.cr, { body: { title: 'First', changes: [{ featureName: 'banner', value: 'a' }] } });
    const second = await api.call('POST', env.cr, { body: { title: 'Second', changes: [{ featureName: 'banner', value: 'b' }] } });

    const commented = await api.call('POST', `${env.cr}/${first.body.id}/comments`, { token: approvers[0], body: { text: 'Looks good' } });
    expect(commented.status).toBe(201);
    expect(commented.body.comments).toEqual([expect.objectContaining({ name: 'alice', text: 'Looks good' })]);
    const closed = await api.call('POST', `${env.cr}/${first.body.id}/close`);
    expect(closed.body.status).toBe('closed');
    expect((await api.call('POST', `${env.cr}/${first.body.id}/approve`, { token: approvers[0] })).status).toBe(409);

    const page1 = await api.call('GET', `${env.cr}?limit=1`);
    const page2 = await api.call('GET', `${env.cr}?limit=1&cursor=${encodeURIComponent(page1.body.cursor)}`);
    expect([...page1.body.items, ...page2.body.items].map((r: { title: string }) => r.title)).toEqual(['Second', 'First']);
    expect(second.status).toBe(201);
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${env.envId}`)).body.items;
    expect(audit.filter((e: { subject: { id?: string } }) => e.subject.id === first.body.id).map((e: { action: string }) => e.action)).toEqual([
      'cancelled',
      'commented',
      'created',
    ]);
  });
});

describe('governance: an environment that requires approvals', () => {
  it('refuses every direct write to its feature states, and allows them through an approved change request', async () => {
    const env = await newEnvironment('governed', 0);
    const other = await newEnvironment('source', 0);
    await api.call('PATCH', env.fs('banner'), { body: { value: 'before' } });
    await api.call('PATCH', other.fs('banner'), { body: { enabled: true, value: 'imported' } });
    const document = (await api.call('GET', `${other.base}/export`)).body;
    expect((await api.call('PATCH', env.base, { body: { requiredApprovals: 6 } })).status).toBe(422);
    await api.call('PATCH', env.base, { body: { requiredApprovals: 1 } });

    const patch = await api.call('PATCH', env.fs('banner'), { body: { value: 'direct' } });
    const restore = await api.call('POST', `${env.fs('banner')}/versions/1/restore`);
    const imported = (await importJob(api, env.envId, document)).job;
    const dryRun = (await importJob(api, env.envId, document, { dryRun: true })).job;
    const scheduled = await api.call('POST', `${env.base}/scheduled-changes`, {
      body: { runAt: new Date(Date.now() + 3_600_000).toISOString(), changes: [{ featureName: 'banner', value: 'later' }] },
    });

    const refusal = 'Environment governed requires 1 approval for changes to feature states and overrides: open a change request instead.';
    for (const refused of [patch, restore, scheduled]) {
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(refusal);
    }
    expect(imported).toMatchObject({ status: 'failed', error: { error: 'Conflict', message: refusal } });
    expect(dryRun).toMatchObject({ status: 'succeeded', summary: { refused: expect.stringContaining('requires 1 approval') } });
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'before', version: 1 });

    const request = await api.call('POST', env.cr, { body: { title: 'Through review', changes: [{ featureName: 'banner', value: 'reviewed' }] } });
    await api.call('POST', `${env.cr}/${request.body.id}/approve`, { token: approvers[0] });
    const applied = await api.call('POST', `${env.cr}/${request.body.id}/apply`, { token: approvers[1] });
    expect(applied.status).toBe(200);
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'reviewed', version: 2, updatedBy: expect.any(String) });
  });
});

describe('rollback', () => {
  it('restoring writes a new version with the old content, audited as restored', async () => {
    const env = await newEnvironment('rollback', 0);
    await api.call('PATCH', env.fs('limit'), { body: { value: 1 } });
    await api.call('PATCH', env.fs('limit'), { body: { value: 2 } });

    const restored = await api.call('POST', `${env.fs('limit')}/versions/1/restore`);

    expect(restored.body).toMatchObject({ value: 1, version: 3 });
    const versions = (await api.call('GET', `${env.fs('limit')}/versions`)).body.items;
    expect(versions.map((v: { version: number; value: number }) => [v.version, v.value])).toEqual([[3, 1], [2, 2], [1, 1]]);
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${env.envId}&limit=1`)).body.items;
    expect(audit[0]).toMatchObject({ detailType: 'feature-state.changed', action: 'restored', version: 3, after: { value: 1, version: 3 } });
  });
});
