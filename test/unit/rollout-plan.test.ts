/**
 * The rollout state machine's pure parts: the percentages a plan serves, which commands each
 * status accepts, the next step, and the rule that routes alarm state changes.
 */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../functions/domain/entities.js';
import { afterStep, commandRefusal, nextStep, planPercentages, scheduleName } from '../../functions/domain/rollout-plan.js';
import { guardAlarmProblems } from '../../functions/domain/use-cases/rollouts.js';
import { alarmNameOf, guardedBy } from '../../functions/domain/use-cases/rollout-steps.js';
import { defaultBusRules, eventPattern, matchingConsumers } from '../../functions/events/rules.js';

const rollout = (fields: Partial<Rollout>): Rollout =>
  ({ id: 'ro_1', version: 3, status: 'running', step: 0, percentage: 10, percentages: [10, 50, 100], bakeSeconds: 600, finalBakeSeconds: 0, history: [], ...fields }) as Rollout;

describe('rollout plans', () => {
  it('splits linear plans into equal steps, to two decimals', () => {
    expect(planPercentages({ type: 'linear', steps: 4 })).toEqual({ percentages: [25, 50, 75, 100] });
    expect(planPercentages({ type: 'linear', steps: 3 })).toEqual({ percentages: [33.33, 66.67, 100] });
    expect(planPercentages({ type: 'linear', steps: 1 })).toEqual({ percentages: [100] });
  });

  it('multiplies exponential plans until 100', () => {
    expect(planPercentages({ type: 'exponential', start: 1, factor: 5 })).toEqual({ percentages: [1, 5, 25, 100] });
    expect(planPercentages({ type: 'exponential', start: 0.5, factor: 2 })).toEqual({ percentages: [0.5, 1, 2, 4, 8, 16, 32, 64, 100] });
  });

  it('takes explicit percentages as given, adding 100, and refuses ones that do not rise', () => {
    expect(planPercentages({ type: 'percentages', percentages: [1, 5, 25] })).toEqual({ percentages: [1, 5, 25, 100] });
    expect(planPercentages({ type: 'percentages', percentages: [10, 100] })).toEqual({ percentages: [10, 100] });
    expect(planPercentages({ type: 'percentages', percentages: [10, 10] })).toEqual({ problem: 'percentages must rise step by step (10 then 10)' });
  });

  it('caps the number of steps, and says when small exponential steps round to the same percentage', () => {
    expect(planPercentages({ type: 'percentages', percentages: Array.from({ length: 100 }, (_, i) => (i + 1) * 0.5) })).toEqual({ problem: 'at most 100 steps, this plan has 101' });
    expect(planPercentages({ type: 'exponential', start: 0.01, factor: 1.1 })).toEqual({
      problem: 'percentages must rise step by step (0.01 then 0.01): to two decimals they do not, so start higher or grow faster',
    });
  });
});

describe('rollout commands', () => {
  it.each([
    ['pause', 'running', true],
    ['pause', 'paused', false],
    ['resume', 'paused', true],
    ['resume', 'running', false],
    ['advance', 'running', true],
    ['advance', 'paused', true],
    ['advance', 'awaiting-approval', false],
    ['abort', 'awaiting-approval', true],
    ['abort', 'running', true],
    ['abort', 'completed', false],
    ['abort', 'rolled-back', false],
  ] as const)('%s when %s: %s', (command, status, allowed) => {
    expect(commandRefusal(rollout({ status }), command) === undefined).toBe(allowed);
  });

  it('says why a command does not apply', () => {
    expect(commandRefusal(rollout({ status: 'completed' }), 'pause')).toBe('Rollout ro_1 is completed: it cannot pause (only when running).');
  });
});

describe('steps', () => {
  it('completes at the last step, or after it when a final bake is asked for', () => {
    expect(nextStep(rollout({ step: 0 }))).toEqual({ index: 1, percentage: 50, completes: false });
    expect(nextStep(rollout({ step: 1 }))).toEqual({ index: 2, percentage: 100, completes: true });
    expect(nextStep(rollout({ step: 1, finalBakeSeconds: 60 }))).toEqual({ index: 2, percentage: 100, completes: false });
    expect(nextStep(rollout({ step: 2, finalBakeSeconds: 60 }))).toEqual({ index: 3, percentage: 100, completes: true });
  });

  it('schedules the step after a bake, the final bake at 100%, and keeps a paused rollout paused', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(afterStep(rollout({ step: 0 }), { index: 1, percentage: 50, completes: false }, now, 'tok')).toMatchObject({ status: 'running', step: 1, percentage: 50, nextStepAt: '2026-12-01T10:10:00.000Z', version: 4 });
    expect(afterStep(rollout({ step: 1, finalBakeSeconds: 3600 }), { index: 2, percentage: 100, completes: false }, now, 'tok')).toMatchObject({ nextStepAt: '2026-12-01T11:00:00.000Z' });
    const paused = afterStep(rollout({ status: 'paused', step: 0 }), { index: 1, percentage: 50, completes: false }, now, 'tok');
    expect(paused).toMatchObject({ status: 'paused', remainingMs: 600_000 });
    expect(paused.nextStepAt).toBeUndefined();
    expect(afterStep(rollout({ step: 1 }), { index: 2, percentage: 100, completes: true }, now, 'tok')).toMatchObject({ status: 'completed', endedAt: '2026-12-01T10:00:00.000Z' });
  });

  it('names each schedule by rollout, step and version, so a resumed rollout never reuses a deleted name', () => {
    expect(scheduleName(rollout({}), 2)).toBe('ro_1-2-v3');
    expect(scheduleName(rollout({ version: 5 }), 2)).toBe('ro_1-2-v5');
  });
});

describe('guard alarms', () => {
  const arn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx';

  it('match an alarm by name, or by exact ARN when given as an ARN', () => {
    expect(alarmNameOf(arn)).toBe('checkout-5xx');
    expect(guardedBy({ guardAlarms: ['checkout-5xx'] }, { name: 'checkout-5xx', arn })).toBe(true);
    expect(guardedBy({ guardAlarms: [arn] }, { name: 'checkout-5xx', arn })).toBe(true);
    expect(guardedBy({ guardAlarms: [arn] }, { name: 'checkout-5xx', arn: arn.replace('eu-west-1', 'us-east-1') })).toBe(false);
  });

  it('are refused outside what the deployment may watch, which a prefix or exact ARNs declare', () => {
    const allowed = ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:vexilla-guard-*', arn];
    expect(guardAlarmProblems(allowed, ['vexilla-guard-api', 'checkout-5xx', arn, 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:vexilla-guard-x'])).toEqual([]);
    expect(guardAlarmProblems(allowed, ['other', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:vexilla-guard-x']).map((p) => p.path)).toEqual(['guardAlarms.0', 'guardAlarms.1']);
    expect(guardAlarmProblems(undefined, ['anything'])).toEqual([]);
  });

  it('are routed from the default bus only when an alarm enters ALARM', () => {
    const change = (value: string) => ({ alarmName: 'a', state: { value } });
    expect(matchingConsumers('CloudWatch Alarm State Change', defaultBusRules, 'aws.cloudwatch', change('ALARM'))).toEqual(['rollout-runner']);
    expect(matchingConsumers('CloudWatch Alarm State Change', defaultBusRules, 'aws.cloudwatch', change('OK'))).toEqual([]);
    expect(matchingConsumers('CloudWatch Alarm State Change', defaultBusRules, 'vexilla', change('ALARM'))).toEqual([]);
    expect(eventPattern(defaultBusRules[0]!)).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } });
  });
});
