/**
 * The SchedulerPort on Amazon EventBridge Scheduler (production): one one-time schedule per
 * scheduled change, firing the apply-scheduled-change function with `{envId, scheduledChangeId}`,
 * or per rollout step, firing the rollout-runner with `{envId, rolloutId, step}` (the target is
 * the input as is). Exactly-once is not promised by Scheduler (retries, at-least-once); both
 * targets are idempotent, so a schedule may fire late or twice.
 */
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ScheduledChangeTarget, SchedulerPort } from '../domain/ports.js';

export interface EventBridgeSchedulerOptions {
  /** The schedule group every schedule is created in. */
  groupName: string;
  /** The role Scheduler assumes to invoke the target. */
  roleArn: string;
  /** The function each schedule invokes (apply-scheduled-change, or the rollout-runner). */
  targetArn: string;
  /** Where invocations that exhausted their retries go. */
  deadLetterArn: string;
  /** @default 3 */
  maximumRetryAttempts?: number;
  /** How long Scheduler keeps retrying a fire. @default 3600 */
  maximumEventAgeInSeconds?: number;
}

/**
 * Scheduler's one-time expression `at(yyyy-mm-ddThh:mm:ss)` in UTC. It has no milliseconds, so
 * the instant is rounded up: a schedule never fires before its time (applying early is a no-op).
 */
export function atExpression(at: Date): string {
  const seconds = Math.ceil(at.getTime() / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}

export class EventBridgeScheduler<T extends object = ScheduledChangeTarget> implements SchedulerPort<T> {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeSchedulerOptions,
  ) {}

  async create(name: string, at: Date, target: T): Promise<void> {
    const { groupName, roleArn, targetArn, deadLetterArn, maximumRetryAttempts = 3, maximumEventAgeInSeconds = 3600 } = this.options;
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: groupName,
          ScheduleExpression: atExpression(at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: targetArn,
            RoleArn: roleArn,
            Input: JSON.stringify(target),
            RetryPolicy: { MaximumRetryAttempts: maximumRetryAttempts, MaximumEventAgeInSeconds: maximumEventAgeInSeconds },
            DeadLetterConfig: { Arn: deadLetterArn },
          },
          // The name is unique per scheduled change (and per rollout step and version), so a retried create is the same request.
          ClientToken: name,
        }),
      );
    } catch (error) {
      // Already created (a retry of this very create): the schedule exists, which is what we want.
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      // Already fired and deleted after completion, or never created: nothing to delete.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
