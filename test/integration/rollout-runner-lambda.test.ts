/**
 * The rollout-runner Lambda entry as AWS invokes it, on DynamoDB Local (through the SDK's
 * AWS_ENDPOINT_URL_DYNAMODB), with EventBridge Scheduler, CloudWatch and EventBridge mocked and
 * their calls asserted exactly: creating a rollout describes its guard alarms and schedules the
 * next step on the runner; a schedule's fire describes them again, serves the step and schedules
 * the one after; an alarm in ALARM, read before a step or arriving as a state-change event, rolls
 * it back, and the event the publisher puts on the bus names the alarm.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { itemOf } from '../../functions/data/dynamo-store.js';
import type { Environment, Rollout } from '../../functions/domain/entities.js';
import type { RolloutStepTarget } from '../../functions/domain/ports.js';
import { createRollout } from '../../functions/domain/use-cases/rollouts.js';
import type { Actor, Deps } from '../../functions/domain/use-cases/support.js';
import { CloudWatchAlarms } from '../../functions/events/cloudwatch-alarms.js';
import { EventBridgeBus } from '../../functions/events/eventbridge-bus.js';
import { atExpression, EventBridgeScheduler } from '../../functions/events/eventbridge-scheduler.js';
import { publishStreamRecords } from '../../functions/events/publisher.js';
import { handler } from '../../functions/events/rollout-runner.js';
import { stubLambdaEnv } from '../support/lambda-env.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const RUNNER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:vexilla-rollout-runner';
const ADMIN_RUNNER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:vexilla-rollout-runner-from-env';
const settings = {
  SCHEDULE_GROUP_NAME: 'vexilla-schedules',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/vexilla-scheduler',
  SCHEDULER_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:vexilla-scheduler-dlq',
};
const context = { functionName: 'rollout-runner', awsRequestId: 'req-1', invokedFunctionArn: RUNNER_ARN, getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const HOUR = 3_600_000;

const scheduler = mockClient(SchedulerClient);
const cloudwatch = mockClient(CloudWatchClient);
const eventBridge = mockClient(EventBridgeClient);

let api: TestApi;
let environment: Environment;
let actor: Actor;

const alarmsIn = (state: 'OK' | 'ALARM', name = 'checkout-5xx') => ({
  MetricAlarms: [{ AlarmName: name, AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`, StateValue: state, StateReason: `Threshold crossed: ${state}` }],
  CompositeAlarms: [],
});

/** The admin API's dependencies (as admin-api.ts builds them) with a clock two hours behind, so the first step is already baked for the real-time Lambda. */
function adminDeps(): Deps {
  return {
    store: api.deps.store,
    clock: () => new Date(Date.now() - 2 * HOUR),
    rolloutScheduler: new EventBridgeScheduler<RolloutStepTarget>(new SchedulerClient({ region: 'eu-west-1' }), {
      groupName: settings.SCHEDULE_GROUP_NAME,
      roleArn: settings.SCHEDULER_ROLE_ARN,
      targetArn: ADMIN_RUNNER_ARN,
      deadLetterArn: settings.SCHEDULER_DLQ_ARN,
    }),
    alarms: new CloudWatchAlarms(new CloudWatchClient({ region: 'eu-west-1' })),
  };
}

async function newRollout(feature: string, alarm = 'checkout-5xx'): Promise<Rollout> {
  await api.call('POST', `/admin/v1/projects/${environment.projectId}/features`, { body: { name: feature } });
  return createRollout(adminDeps(), actor, environment, {
    featureName: feature,
    target: { enabled: true },
    steps: { type: 'linear', steps: 4 },
    bakeSeconds: 3600,
    finalBakeSeconds: 0,
    guardAlarms: [alarm],
    description: '',
  });
}

const stored = async (rollout: Rollout) => (await api.deps.store.get({ type: 'rollout', envId: rollout.envId, id: rollout.id })) as Rollout;
const invoke = (event: unknown) => (handler as unknown as (event: unknown, context: Context) => Promise<unknown>)(event, context);

beforeAll(async () => {
  api = await startTestApi();
  stubLambdaEnv(api.tableName, { ...settings, AWS_REGION: 'eu-west-1' });
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'P' } })).body.id;
  const envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  environment = (await api.deps.store.get({ type: 'environment', id: envId })) as Environment;
  actor = { id: 'tok_ops', name: 'ops', orgId: api.organisationId, roles: { organisation: 'admin' } };
});
beforeEach(() => {
  scheduler.reset();
  cloudwatch.reset();
  eventBridge.reset();
  scheduler.on(CreateScheduleCommand).resolves({});
  scheduler.on(DeleteScheduleCommand).resolves({});
});
afterAll(async () => {
  vi.unstubAllEnvs();
  scheduler.restore();
  cloudwatch.restore();
  eventBridge.restore();
  await api?.close();
});

describe('rollout-runner Lambda', () => {
  it('creating a rollout describes its guard alarms and schedules the next step on the runner, exactly', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('OK'));

    const rollout = await newRollout('exact-calls');

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([{ AlarmNames: ['checkout-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }]);
    expect(scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input)).toEqual([
      {
        Name: `${rollout.id}-1-v1`,
        GroupName: settings.SCHEDULE_GROUP_NAME,
        ScheduleExpression: atExpression(new Date(rollout.nextStepAt as string)),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: ADMIN_RUNNER_ARN,
          RoleArn: settings.SCHEDULER_ROLE_ARN,
          Input: JSON.stringify({ envId: environment.id, rolloutId: rollout.id, step: 1 }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: settings.SCHEDULER_DLQ_ARN },
        },
        ClientToken: `${rollout.id}-1-v1`,
      },
    ]);
    expect(rollout).toMatchObject({ status: 'running', percentage: 25 });
  });

  it("serves a step when its schedule fires, after reading the alarms, and schedules the next on itself", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('OK'));
    const rollout = await newRollout('fired');
    cloudwatch.reset();
    scheduler.reset();
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('OK'));
    scheduler.on(CreateScheduleCommand).resolves({});
    scheduler.on(DeleteScheduleCommand).resolves({});

    const result = await invoke({ envId: environment.id, rolloutId: rollout.id, step: 1 });

    expect(result).toEqual({ outcome: 'applied' });
    const after = await stored(rollout);
    expect(after).toMatchObject({ status: 'running', step: 1, percentage: 50, version: 2 });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([{ AlarmNames: ['checkout-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }]);
    const created = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ Name: `${rollout.id}-2-v2`, ScheduleExpression: atExpression(new Date(after.nextStepAt as string)), Target: { Arn: RUNNER_ARN, Input: JSON.stringify({ envId: environment.id, rolloutId: rollout.id, step: 2 }) } });
    // The schedule that just fired is deleted (Scheduler deletes it after completion anyway).
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([{ Name: `${rollout.id}-1-v1`, GroupName: settings.SCHEDULE_GROUP_NAME }]);
    expect(await invoke({ envId: environment.id, rolloutId: rollout.id, step: 1 })).toEqual({ outcome: 'skipped', reason: 'step 1 is not the next step' });
  });

  it('rolls back instead of stepping when DescribeAlarms finds a guard alarm in ALARM', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('OK'));
    const rollout = await newRollout('pre-checked');
    scheduler.reset();
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('ALARM'));

    const result = await invoke({ envId: environment.id, rolloutId: rollout.id, step: 1 });

    expect(result).toMatchObject({ outcome: 'rolled-back', reason: 'guard alarm checkout-5xx was in ALARM before step 2: Threshold crossed: ALARM' });
    expect(await stored(rollout)).toMatchObject({ status: 'rolled-back', percentage: 0, stop: { alarm: { name: 'checkout-5xx', state: 'ALARM' } } });
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    const state = await api.deps.store.get({ type: 'feature-state', envId: environment.id, featureId: rollout.featureId });
    expect(state?.rollout).toBeUndefined();
  });

  it('rolls back on a CloudWatch Alarm State Change event, and the event it publishes names the alarm', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarmsIn('OK', 'payments-5xx'));
    const rollout = await newRollout('event-driven', 'payments-5xx');
    cloudwatch.reset();
    scheduler.reset();
    scheduler.on(DeleteScheduleCommand).resolves({});

    const result = await invoke({
      version: '0',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2026-12-01T17:04:40Z',
      region: 'eu-west-1',
      resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-5xx'],
      detail: { alarmName: 'payments-5xx', state: { value: 'ALARM', reason: 'Threshold Crossed: 5 datapoints', timestamp: '2026-12-01T17:04:40.000+0000' }, previousState: { value: 'OK', reason: '' } },
    });

    expect(result).toEqual({ rolledBack: [rollout.id] });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(0);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input)).toEqual([{ Name: `${rollout.id}-1-v1`, GroupName: settings.SCHEDULE_GROUP_NAME }]);
    expect(await stored(rollout)).toMatchObject({ status: 'rolled-back', stop: { reason: 'CloudWatch alarm payments-5xx entered ALARM: Threshold Crossed: 5 datapoints' } });

    // The outbox item of that rollback, through the stream publisher, onto the bus.
    const audit = await api.deps.store.list({ of: 'audit', orgId: api.organisationId, filter: { envId: environment.id } }, { limit: 2 });
    const event = audit.items.find((item) => item.detailType === 'rollout.changed');
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    await publishStreamRecords([{ eventName: 'INSERT', dynamodb: { NewImage: marshall(itemOf(event!), { removeUndefinedValues: true }) } }], { bus: new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' })), busName: 'vexilla-events' });
    const entries = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toHaveLength(1);
    expect(entries[0]?.[0]).toMatchObject({ Source: 'vexilla', DetailType: 'rollout.changed', EventBusName: 'vexilla-events' });
    expect(JSON.parse(entries[0]?.[0]?.Detail ?? '{}')).toMatchObject({
      action: 'rolled-back',
      environmentId: environment.id,
      subject: { kind: 'rollout', id: rollout.id, featureName: 'event-driven', alarm: 'payments-5xx' },
      actor: { tokenId: 'alarm:payments-5xx', name: `CloudWatch alarm payments-5xx (rollout ${rollout.id})` },
      after: { status: 'rolled-back', stop: { alarm: { name: 'payments-5xx', arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-5xx' } } },
    });
  });

  it('ignores an alarm that recovers, and an alarm no rollout names', async () => {
    const event = (alarmName: string, value: string) => ({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', resources: [], detail: { alarmName, state: { value } } });

    expect(await invoke(event('checkout-5xx', 'OK'))).toEqual({ rolledBack: [] });
    expect(await invoke({ ...event('checkout-5xx', 'ALARM'), source: 'not.cloudwatch' }).catch((error: Error) => error.name)).toBe('ZodError');
    expect(await invoke(event('unrelated', 'ALARM'))).toEqual({ rolledBack: [] });
  });
});
