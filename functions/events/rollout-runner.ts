/**
 * The rollout-runner Lambda, invoked two ways:
 * - by EventBridge Scheduler, with `{envId, rolloutId, step}`: serves that step of the rollout,
 *   once (its guard alarms read first), and schedules the next;
 * - by the EventBridge rule on the default bus for `CloudWatch Alarm State Change` (built from
 *   `defaultBusRules`): rolls back every running or paused rollout the alarm guards.
 * Both are idempotent, so Scheduler's and EventBridge's retries and duplicates are harmless.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../data/dynamo-store.js';
import type { RolloutStepTarget } from '../domain/ports.js';
import { handleAlarmStateChange, runRolloutStep, type StepOutcome } from '../domain/use-cases/rollouts.js';
import type { Deps } from '../domain/use-cases/support.js';
import { documentClient } from '../shared/dynamodb.js';
import { requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';
import { alarmStateOf } from './alarm-events.js';
import { CloudWatchAlarms } from './cloudwatch-alarms.js';
import { EventBridgeScheduler } from './eventbridge-scheduler.js';

const stepInput = z.object({ envId: z.string().min(1), rolloutId: z.string().min(1), step: z.number().int().min(0) });

/**
 * The runner's dependencies. It schedules the next step to invoke itself: a function cannot name
 * its own ARN in its environment (CloudFormation would see a cycle), so it takes it from the
 * invocation's context.
 */
export function rolloutRunnerDeps(selfArn: string): Deps {
  return {
    store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')),
    clock: () => new Date(),
    rolloutScheduler: new EventBridgeScheduler<RolloutStepTarget>(new SchedulerClient({}), {
      groupName: requiredEnv('SCHEDULE_GROUP_NAME'),
      roleArn: requiredEnv('SCHEDULER_ROLE_ARN'),
      targetArn: selfArn,
      deadLetterArn: requiredEnv('SCHEDULER_DLQ_ARN'),
    }),
    alarms: new CloudWatchAlarms(new CloudWatchClient({})),
  };
}

let deps: Deps | undefined;

/** Handles one invocation: an alarm state change, or a rollout step. Exported for tests. */
export async function runRollouts(event: unknown, depsFor: () => Deps): Promise<StepOutcome | { rolledBack: string[] }> {
  const alarm = alarmStateOf(event);
  if (alarm) {
    const result = await handleAlarmStateChange(depsFor(), alarm);
    logger.info('Alarm state change', { alarm: alarm.name, state: alarm.state, rolledBack: result.rolledBack });
    return result;
  }
  const target = stepInput.parse(event);
  const result = await runRolloutStep(depsFor(), target);
  logger.info('Rollout step fired', { ...target, ...result });
  return result;
}

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async (event: unknown, context: Context) => runRollouts(event, () => (deps ??= rolloutRunnerDeps(context.invokedFunctionArn))));
