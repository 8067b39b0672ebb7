/**
 * Scheduled changes over real HTTP on DynamoDB Local, with an injected clock and the in-process
 * scheduler: a change applies once its time has come (never before), never once cancelled, once
 * however often or late it fires, and not at all if a target moved since it was scheduled.
 */
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import { EventBridgeScheduler } from '../../functions/events/eventbridge-scheduler.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { startLocalScheduler } from '../../functions/local/local-scheduler.js';
import { applyScheduledChange, cancelScheduledChange, createScheduledChange } from '../../functions/domain/use-cases/scheduled-changes.js';
import { movingClock } from '../support/moving-clock.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const HOUR = 3_600_000;
const { clock, later, advance } = movingClock();

let api: TestApi;
let projectId: string;
let approver: string;

beforeAll(async () => {
  api = await startTestApi({ clock });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  approver = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'alice', roles: { projects: { [projectId]: 'editor' } } } })).body.token;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello' } });
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'limit', initialValue: 10 } });
});
afterAll(() => api?.close());

async function newEnvironment(name: string) {
  const envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name } })).body.environment.id as string;
  const base = `/admin/v1/environments/${envId}`;
  return { envId, base, sc: `${base}/scheduled-changes`, fs: (feature: string) => `${base}/feature-states/${feature}` };
}

describe('scheduled changes', () => {
  it('applies when the clock passes its time, and not before', async () => {
    const env = await newEnvironment('timed');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'banner', enabled: true, value: 'sale' }, { featureName: 'limit', value: 20 }] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'scheduled', changes: [{ featureName: 'banner', expectedVersion: 0 }, { featureName: 'limit', expectedVersion: 0 }] });
    expect(api.scheduler.pending().map((p) => p.name)).toContain(created.body.id);

    advance(HOUR - 60_000);
    await api.scheduler.tick();
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'hello', version: 0 });

    advance(61_000);
    await api.scheduler.tick();

    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ enabled: true, value: 'sale', version: 1 });
    expect((await api.call('GET', env.fs('limit'))).body).toMatchObject({ value: 20, version: 1 });
    expect((await api.call('GET', `${env.sc}/${created.body.id}`)).body).toMatchObject({ status: 'applied', version: 2 });
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${env.envId}`)).body.items;
    const changes = audit.filter((e: { detailType: string }) => e.detailType !== 'environment.changed');
    expect(changes.map((e: { detailType: string; action: string }) => `${e.detailType} ${e.action}`).sort()).toEqual([
      'feature-state.changed updated',
      'feature-state.changed updated',
      'schedule.changed applied',
      'schedule.changed created',
    ]);
  });

  it("lists an environment's scheduled changes in run-time order", async () => {
    const env = await newEnvironment('listed');
    for (const hours of [3, 1, 2]) {
      const created = await api.call('POST', env.sc, { body: { runAt: later(hours * HOUR), changes: [{ featureName: 'limit', value: hours }] } });
      expect(created.status).toBe(201);
    }

    const listed = await api.call('GET', env.sc);

    expect(listed.body.items.map((item: { changes: { content: { value: number } }[] }) => item.changes[0]?.content.value)).toEqual([1, 2, 3]);
  });

  it('does not apply once cancelled, even if the schedule fires late', async () => {
    const env = await newEnvironment('cancelled');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'banner', value: 'never' }] } });

    const cancelled = await api.call('DELETE', `${env.sc}/${created.body.id}`);

    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(api.scheduler.pending().map((p) => p.name)).not.toContain(created.body.id);
    advance(2 * HOUR);
    await api.scheduler.tick();
    // A fire that was already on its way when the schedule was deleted.
    expect(await applyScheduledChange(api.deps, { envId: env.envId, scheduledChangeId: created.body.id })).toEqual({ outcome: 'skipped', reason: 'already cancelled' });
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'hello', version: 0 });
    expect((await api.call('DELETE', `${env.sc}/${created.body.id}`)).status).toBe(409);
  });

  it('applies once when fired twice, concurrently and late', async () => {
    const env = await newEnvironment('twice');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'limit', value: 30 }] } });
    advance(5 * HOUR);
    const target = { envId: env.envId, scheduledChangeId: created.body.id };

    const outcomes = await Promise.all([applyScheduledChange(api.deps, target), applyScheduledChange(api.deps, target)]);
    await api.scheduler.tick();

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied', 'skipped']);
    expect((await api.call('GET', env.fs('limit'))).body).toMatchObject({ value: 30, version: 1 });
    expect((await api.call('GET', `${env.fs('limit')}/versions`)).body.items).toHaveLength(1);
  });

  it('a fire before its time does nothing', async () => {
    const env = await newEnvironment('early');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'limit', value: 40 }] } });

    const outcome = await applyScheduledChange(api.deps, { envId: env.envId, scheduledChangeId: created.body.id });

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'not due yet' });
    expect((await api.call('GET', `${env.sc}/${created.body.id}`)).body.status).toBe('scheduled');
  });

  it('fails, applying nothing and recording the diff, when a target moved since it was scheduled', async () => {
    const env = await newEnvironment('moved');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'banner', value: 'scheduled' }, { featureName: 'limit', value: 50 }] } });
    await api.call('PATCH', env.fs('limit'), { body: { value: 11 } });
    advance(HOUR + 1000);

    await api.scheduler.tick();

    const failed = (await api.call('GET', `${env.sc}/${created.body.id}`)).body;
    expect(failed).toMatchObject({ status: 'failed', failure: '1 feature state(s) changed since the change was scheduled: limit.' });
    expect(failed.conflicts).toEqual([
      { featureName: 'limit', expectedVersion: 0, currentVersion: 1, current: { enabled: false, value: 11, weights: {} }, proposed: { enabled: false, value: 50, weights: {} } },
    ]);
    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'hello', version: 0 });
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${env.envId}&limit=1`)).body.items;
    expect(audit[0]).toMatchObject({
      detailType: 'schedule.changed',
      action: 'failed',
      after: { conflicts: [{ featureName: 'limit', expectedVersion: 0, currentVersion: 1, current: { value: 11 }, proposed: { value: 50 } }] },
    });
  });

  it('schedules an approved change request where approvals are required, and applies the request itself', async () => {
    const env = await newEnvironment('governed');
    await api.call('PATCH', env.base, { body: { requiredApprovals: 1 } });
    const request = await api.call('POST', `${env.base}/change-requests`, { body: { title: 'Go live', changes: [{ featureName: 'banner', value: 'launch' }] } });
    const unapproved = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changeRequestId: request.body.id } });
    expect(unapproved.status).toBe(409);
    expect(unapproved.body.message).toContain('0 of the 1 approval');
    await api.call('POST', `${env.base}/change-requests/${request.body.id}/approve`, { token: approver });

    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changeRequestId: request.body.id } });
    expect(created.status).toBe(201);
    advance(HOUR + 1000);
    await api.scheduler.tick();

    expect((await api.call('GET', env.fs('banner'))).body).toMatchObject({ value: 'launch', version: 1 });
    expect((await api.call('GET', `${env.base}/change-requests/${request.body.id}`)).body).toMatchObject({ status: 'applied' });
    expect((await api.call('GET', `${env.sc}/${created.body.id}`)).body).toMatchObject({ status: 'applied' });
  });

  it('refuses a time in the past, and scheduling where no scheduler is configured', async () => {
    const env = await newEnvironment('refusals');
    const past = await api.call('POST', env.sc, { body: { runAt: later(-1000), changes: [{ featureName: 'banner', value: 'x' }] } });
    expect(past.status).toBe(422);
    const environment = await api.deps.store.get({ type: 'environment', id: env.envId });
    const actor = { id: 'tok_x', name: 'someone', orgId: api.organisationId, roles: { organisation: 'admin' as const } };
    const { scheduler: _scheduler, ...withoutScheduler } = api.deps;

    const refused = createScheduledChange(withoutScheduler, actor, environment!, { runAt: later(HOUR), changes: [{ featureName: 'banner', value: 'x' }] });

    await expect(refused).rejects.toMatchObject({ name: 'Conflict', message: 'Scheduling is not configured in this deployment.' });
  });

  it('a restarted local scheduler picks up every waiting scheduled change from the table', async () => {
    const env = await newEnvironment('restart');
    const created = await api.call('POST', env.sc, { body: { runAt: later(HOUR), changes: [{ featureName: 'limit', value: 60 }] } });
    const { scheduler: _old, ...base } = api.deps;

    const { scheduler } = await startLocalScheduler({ deps: base, intervalMs: 0 });
    advance(HOUR + 1000);
    await scheduler.tick();

    expect(scheduler.pending().map((p) => p.name)).not.toContain(created.body.id);
    expect((await api.call('GET', env.fs('limit'))).body).toMatchObject({ value: 60, version: 1 });
    await scheduler.stop();
  });
});

describe('scheduled changes on EventBridge Scheduler', () => {
  it('creates the one-time schedule for a new scheduled change and deletes it on cancel', async () => {
    const schedulerApi = mockClient(SchedulerClient);
    onTestFinished(() => schedulerApi.restore());
    schedulerApi.on(CreateScheduleCommand).resolves({});
    schedulerApi.on(DeleteScheduleCommand).resolves({});
    const options = { groupName: 'g', roleArn: 'arn:role', targetArn: 'arn:apply', deadLetterArn: 'arn:dlq' };
    const deps = { ...api.deps, scheduler: new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), options) };
    const env = await newEnvironment('eventbridge');
    const environment = (await api.deps.store.get({ type: 'environment', id: env.envId }))!;
    const actor = { id: 'tok_x', name: 'someone', orgId: api.organisationId, roles: { organisation: 'admin' as const } };
    const runAt = new Date(Math.floor(clock().getTime() / 1000) * 1000 + HOUR + 500);

    const created = await createScheduledChange(deps, actor, environment, { runAt: runAt.toISOString(), changes: [{ featureName: 'banner', value: 'x' }] });
    await cancelScheduledChange(deps, actor, environment, created.id);

    expect(schedulerApi.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: created.id,
        GroupName: 'g',
        ScheduleExpression: `at(${new Date(runAt.getTime() + 500).toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: 'arn:apply',
          RoleArn: 'arn:role',
          Input: JSON.stringify({ envId: env.envId, scheduledChangeId: created.id }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: 'arn:dlq' },
        },
        ClientToken: created.id,
      },
    ]);
    expect(schedulerApi.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([{ Name: created.id, GroupName: 'g' }]);
    expect((await api.call('GET', `${env.sc}/${created.id}`)).body.status).toBe('cancelled');
  });

  it('deletes the schedule again when the scheduled change cannot be committed', async () => {
    const schedulerApi = mockClient(SchedulerClient);
    onTestFinished(() => schedulerApi.restore());
    schedulerApi.on(CreateScheduleCommand).resolves({});
    schedulerApi.on(DeleteScheduleCommand).resolves({});
    const env = await newEnvironment('orphan');
    const environment = (await api.deps.store.get({ type: 'environment', id: env.envId }))!;
    const actor = { id: 'tok_x', name: 'someone', orgId: api.organisationId, roles: { organisation: 'admin' as const } };
    // Reads from the real table; commits to a table that does not exist, so DynamoDB refuses the transaction.
    const missing = new DynamoStore(documentClient(localDynamoClientConfig(testDynamoEndpoint())), 'vexilla-missing-table');
    const store = Object.assign(Object.create(Object.getPrototypeOf(api.deps.store)), api.deps.store, { commit: missing.commit.bind(missing) });
    const scheduler = new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), { groupName: 'g', roleArn: 'r', targetArn: 't', deadLetterArn: 'd' });

    const created = createScheduledChange({ ...api.deps, store, scheduler }, actor, environment, { runAt: later(HOUR), changes: [{ featureName: 'banner', value: 'x' }] });

    await expect(created).rejects.toThrow();
    const name = schedulerApi.commandCalls(CreateScheduleCommand)[0]?.args[0].input.Name;
    expect(name).toMatch(/^sch_/);
    expect(schedulerApi.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([{ Name: name, GroupName: 'g' }]);
    expect((await api.call('GET', env.sc)).body.items).toEqual([]);
  });
});
