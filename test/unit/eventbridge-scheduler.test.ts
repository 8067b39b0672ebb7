import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { atExpression, EventBridgeScheduler } from '../../functions/events/eventbridge-scheduler.js';

const schedulerApi = mockClient(SchedulerClient);
afterEach(() => schedulerApi.reset());

const options = {
  groupName: 'vexilla-schedules',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler',
  targetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:apply-scheduled-change',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:scheduler-dlq',
};
const scheduler = () => new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), options);

describe('EventBridgeScheduler', () => {
  it('creates one one-time schedule with exactly these settings', async () => {
    schedulerApi.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });

    await scheduler().create('sch_abc', new Date('2026-12-01T09:30:00.000Z'), { envId: 'env_1', scheduledChangeId: 'sch_abc' });

    const calls = schedulerApi.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Name: 'sch_abc',
      GroupName: 'vexilla-schedules',
      ScheduleExpression: 'at(2026-12-01T09:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: options.targetArn,
        RoleArn: options.roleArn,
        Input: '{"envId":"env_1","scheduledChangeId":"sch_abc"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: options.deadLetterArn },
      },
      ClientToken: 'sch_abc',
    });
  });

  it('rounds an instant with milliseconds up to the next second, so it never fires early', () => {
    expect(atExpression(new Date('2026-12-01T09:30:00.001Z'))).toBe('at(2026-12-01T09:30:01)');
    expect(atExpression(new Date('2026-12-31T23:59:59.999Z'))).toBe('at(2027-01-01T00:00:00)');
    expect(atExpression(new Date('2026-12-01T09:30:00.000Z'))).toBe('at(2026-12-01T09:30:00)');
  });

  it('takes retry settings from its options', async () => {
    schedulerApi.on(CreateScheduleCommand).resolves({});
    const custom = new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), { ...options, maximumRetryAttempts: 10, maximumEventAgeInSeconds: 600 });

    await custom.create('sch_x', new Date('2026-12-01T09:30:00.250Z'), { envId: 'env_1', scheduledChangeId: 'sch_x' });

    const input = schedulerApi.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input?.Target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 600 });
    expect(input?.ScheduleExpression).toBe('at(2026-12-01T09:30:01)');
  });

  it('treats a schedule that already exists as created (a retried create)', async () => {
    schedulerApi.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule sch_abc already exists.', Message: 'Schedule sch_abc already exists.', $metadata: {} }));

    await expect(scheduler().create('sch_abc', new Date('2026-12-01T09:30:00Z'), { envId: 'env_1', scheduledChangeId: 'sch_abc' })).resolves.toBeUndefined();
  });

  it('passes on other create failures', async () => {
    schedulerApi.on(CreateScheduleCommand).rejects(new Error('throttled'));

    await expect(scheduler().create('sch_abc', new Date('2026-12-01T09:30:00Z'), { envId: 'env_1', scheduledChangeId: 'sch_abc' })).rejects.toThrow('throttled');
  });

  it('deletes the schedule by name in its group', async () => {
    schedulerApi.on(DeleteScheduleCommand).resolves({});

    await scheduler().delete('sch_abc');

    const calls = schedulerApi.commandCalls(DeleteScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ Name: 'sch_abc', GroupName: 'vexilla-schedules' });
  });

  it('treats a schedule that no longer exists (fired and deleted) as deleted', async () => {
    schedulerApi.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule sch_abc does not exist.', Message: 'Schedule sch_abc does not exist.', $metadata: {} }));

    await expect(scheduler().delete('sch_abc')).resolves.toBeUndefined();
  });

  it('passes on other delete failures', async () => {
    schedulerApi.on(DeleteScheduleCommand).rejects(new Error('access denied'));

    await expect(scheduler().delete('sch_abc')).rejects.toThrow('access denied');
  });
});

describe('EventBridgeScheduler for rollout steps', () => {
  it('fires the rollout-runner with the step it is due to serve', async () => {
    schedulerApi.on(CreateScheduleCommand).resolves({});
    const runner = 'arn:aws:lambda:eu-west-1:123456789012:function:rollout-runner';
    const rollouts = new EventBridgeScheduler<{ envId: string; rolloutId: string; step: number }>(new SchedulerClient({ region: 'eu-west-1' }), { ...options, targetArn: runner });

    await rollouts.create('ro_1-2-v3', new Date('2026-12-01T10:00:00.500Z'), { envId: 'env_1', rolloutId: 'ro_1', step: 2 });

    expect(schedulerApi.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toMatchObject({
      Name: 'ro_1-2-v3',
      ScheduleExpression: 'at(2026-12-01T10:00:01)',
      Target: { Arn: runner, Input: '{"envId":"env_1","rolloutId":"ro_1","step":2}' },
      ClientToken: 'ro_1-2-v3',
    });
  });
});
