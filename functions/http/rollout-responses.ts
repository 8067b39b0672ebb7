/**
 * What the rollout operations answer, as zod schemas keyed by operation name: the OpenAPI document
 * describes their responses from them (functions/http/openapi.ts), so a client generated from it
 * (the dashboard's) is typed. Each is checked against the domain type (`satisfies`), and
 * test/integration/rollouts.test.ts parses real answers with them.
 */
import * as z from 'zod';
import type { AlarmState, JsonValue, Rollout } from '../domain/entities.js';
import { actorRefSchema } from '../domain/actor-schema.js';
import { jsonValue } from '../domain/schemas.js';

const json = jsonValue as z.ZodType<JsonValue>;
const alarmStateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const actorRef = actorRefSchema;
const content = z.object({ enabled: z.boolean(), value: json, weights: z.record(z.string(), z.number()) });

export const alarmState = z
  .object({ name: z.string(), arn: z.string().optional(), state: alarmStateValue, reason: z.string().optional(), updatedAt: z.string().optional() }) satisfies z.ZodType<AlarmState>;

export const rollout = z
  .object({
    type: z.literal('rollout'),
    id: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    envId: z.string(),
    featureId: z.string(),
    featureName: z.string(),
    target: z.object({ enabled: z.boolean(), value: json.optional(), variant: z.string().optional() }),
    steps: z.union([
      z.object({ type: z.literal('linear'), steps: z.number().int() }),
      z.object({ type: z.literal('exponential'), start: z.number(), factor: z.number() }),
      z.object({ type: z.literal('percentages'), percentages: z.array(z.number()) }),
    ]),
    percentages: z.array(z.number()).describe('The percentages served, step by step; the last is 100.'),
    bakeSeconds: z.number().int(),
    finalBakeSeconds: z.number().int(),
    guardAlarms: z.array(z.string()),
    description: z.string(),
    segmentId: z.number().int().describe("The Flagsmith-format id of the rollout's segment: its bucketing key."),
    status: z.enum(['awaiting-approval', 'running', 'paused', 'completed', 'rolled-back', 'aborted', 'cancelled', 'failed']),
    step: z.number().int().describe('Index in percentages of the step served; -1 before the first.'),
    percentage: z.number(),
    nextStepAt: z.string().optional(),
    remainingMs: z.number().optional(),
    start: z.object({ version: z.number().int(), content }).optional().describe('The feature state a rollback serves again.'),
    targetContent: content.optional(),
    changeRequestId: z.string().optional(),
    history: z.array(z.object({ step: z.number().int(), percentage: z.number(), at: z.string(), by: z.string() })),
    stop: z.object({ reason: z.string(), at: z.string(), by: z.string(), alarm: alarmState.optional() }).optional(),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    createdBy: actorRef,
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  }) satisfies z.ZodType<Rollout>;

const guardAlarmStates = z.object({
  items: z.array(
    z.object({
      alarm: z.string().describe('As the rollout names it: a name or an ARN.'),
      name: z.string(),
      state: alarmStateValue.nullable().describe('null: no such alarm (the rollout holds before its next step).'),
      reason: z.string().nullable(),
      updatedAt: z.string().nullable(),
    }),
  ),
});

/** The success body of each rollout operation. */
export const rolloutResponses: Record<string, z.ZodType> = {
  listRollouts: z.object({ items: z.array(rollout), cursor: z.string().optional().describe('Pass it back for the next page; absent on the last.') }),
  createRollout: rollout,
  getRollout: rollout,
  getRolloutAlarms: guardAlarmStates,
  pauseRollout: rollout,
  resumeRollout: rollout,
  advanceRollout: rollout,
  abortRollout: rollout,
  simulateAlarm: z.object({ alarmName: z.string(), state: alarmStateValue, reason: z.string(), changed: z.boolean().describe('false: the alarm was already in that state.') }),
};
