/**
 * Progressive rollouts: a feature served to a growing percentage of identities, step by step
 * on one-time schedules, guarded by CloudWatch alarms. The state machine is in rollout-plan.ts;
 * the writes in rollout-steps.ts; this module is what the management API, the schedule target
 * and the alarm rule call.
 *
 * In an environment that requires approvals, creating a rollout opens a change request for it;
 * applying the request starts it, and it then runs its steps without asking again.
 */
import type * as z from 'zod';
import type { AlarmState, Environment, Rollout, RolloutChange } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { CommitConflict, type Page, type PageRequest, type RolloutStepTarget, type Write } from '../ports.js';
import { commandRefusal, isActive, nextStep, planPercentages, type RolloutCommand, scheduleName } from '../rollout-plan.js';
import type * as schemas from '../schemas.js';
import { changeRequestWrites, closedWrites, newChangeRequest } from './change-requests.js';
import { directWriteConflict, environmentUnchanged, refusalNow, requiredApprovalsOf } from './governance.js';
import {
  alarmActor,
  alarmNameOf,
  beforeCommit,
  checkAlarms,
  guardedBy,
  type RolloutPlan,
  rolloutActor,
  rolloutScheduler,
  rolloutTarget,
  rolloutWrites,
  startPlan,
  stepPlan,
  stopPlan,
  targetProblem,
} from './rollout-steps.js';
import { type Actor, allocateNumbers, type Deps, expectVersion, isoNow, newId } from './support.js';

type Problem = { path: string; message: string };

/** An environment's rollouts, newest first. */
export const listRollouts = (deps: Deps, environment: Environment, page: PageRequest): Promise<Page<Rollout>> => deps.store.list({ of: 'rollouts', envId: environment.id }, page);

export async function getRollout(deps: Deps, environment: Environment, id: string): Promise<Rollout> {
  const rollout = await deps.store.get({ type: 'rollout', envId: environment.id, id });
  if (!rollout) throw new NotFound(`No rollout ${id} in this environment.`);
  return rollout;
}

/** `pattern` is an ARN, maybe ending in `*` (any suffix). */
const arnMatches = (pattern: string, arn: string) => (pattern.endsWith('*') ? arn.startsWith(pattern.slice(0, -1)) : arn === pattern);

/** Guard alarms outside what this deployment may watch (its IAM grant and alarm rule), as problems. */
export function guardAlarmProblems(allowed: readonly string[] | undefined, guards: readonly string[]): Problem[] {
  if (allowed === undefined) return [];
  return guards.flatMap((guard, i) => {
    const ok = guard.startsWith('arn:') ? allowed.some((pattern) => arnMatches(pattern, guard)) : allowed.some((pattern) => arnMatches(alarmNameOf(pattern), guard));
    return ok
      ? []
      : [{ path: `guardAlarms.${i}`, message: `this deployment may watch only the alarms ${allowed.map(alarmNameOf).join(', ')} (its guardAlarms setting): deploy with -c guardAlarms=... to add more` }];
  });
}

/**
 * Commits a plan: the next step's schedule first (a commit that then fails leaves a stray fire,
 * which finds nothing to do), the old one deleted after. Deleting is best effort for the same
 * reason: a leftover schedule fires once, finds the rollout moved on, and is deleted by Scheduler.
 */
async function commitPlan(deps: Deps, plan: RolloutPlan, extra: Write[] = []): Promise<Rollout> {
  await beforeCommit(deps, plan)();
  try {
    await deps.store.commit([...plan.writes, ...extra]);
  } catch (error) {
    if (plan.schedule) await deps.rolloutScheduler?.delete(plan.schedule.name).catch(() => undefined);
    throw error;
  }
  if (plan.unschedule) await deps.rolloutScheduler?.delete(plan.unschedule).catch(() => undefined);
  return plan.next;
}

/** A rollout id that leads with its creation time (to the millisecond), so an environment's list comes newest first. */
const rolloutId = (at: string) => newId(`ro_${at.replace(/[-:.]/g, '')}`);

/**
 * Creates a rollout. Where the environment requires approvals it waits, with a change request
 * opened for it; elsewhere it starts at once (its first step, the guard alarms checked first).
 */
export async function createRollout(deps: Deps, actor: Actor, environment: Environment, body: z.infer<typeof schemas.createRolloutBody>): Promise<Rollout> {
  rolloutScheduler(deps);
  const problems: Problem[] = [];
  const feature = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: body.featureName });
  if (!feature) problems.push({ path: 'featureName', message: `no feature ${body.featureName} in this project` });
  const plan = planPercentages(body.steps);
  if ('problem' in plan) problems.push({ path: 'steps', message: plan.problem });
  problems.push(...guardAlarmProblems(deps.guardAlarmArns, body.guardAlarms));
  const target = { enabled: body.target.enabled, ...(body.target.value !== undefined ? { value: body.target.value } : {}), ...(body.target.variant !== undefined ? { variant: body.target.variant } : {}) };
  if (feature) {
    const problem = targetProblem(feature, { target }, { enabled: feature.defaultEnabled, value: feature.initialValue, weights: {} });
    if (problem) problems.push({ path: 'target', message: problem });
  }
  if (problems.length || !feature || 'problem' in plan) throw new Invalid('The rollout is not valid.', problems);

  const at = isoNow(deps);
  const unsaved: Rollout = {
    type: 'rollout',
    id: rolloutId(at),
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    featureId: feature.id,
    featureName: feature.name,
    target,
    steps: body.steps,
    percentages: plan.percentages,
    bakeSeconds: body.bakeSeconds,
    finalBakeSeconds: body.finalBakeSeconds,
    guardAlarms: body.guardAlarms,
    description: body.description,
    segmentId: await allocateNumbers(deps),
    status: 'awaiting-approval',
    step: -1,
    percentage: 0,
    history: [],
    createdBy: { tokenId: actor.id, name: actor.name },
    createdAt: at,
    updatedAt: at,
    version: 0,
  };
  // Whether it could start now: the same checks applying its change request makes, so a request is not opened in vain.
  const started = await startPlan(deps, actor, environment, unsaved);
  if ('refusal' in started) throw new Conflict(`The rollout cannot start: ${started.refusal}.`);
  if (requiredApprovalsOf(environment) > 0) return awaitApproval(deps, actor, environment, unsaved);
  try {
    return await commitPlan(deps, started, [environmentUnchanged(environment)]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    throw (await refusalNow(deps, environment, directWriteConflict)) ?? new Conflict(`Feature ${feature.name} or environment ${environment.name} changed meanwhile: reload and try again.`);
  }
}

/** Stores a rollout awaiting approval with the change request that starts it, in one commit. */
async function awaitApproval(deps: Deps, actor: Actor, environment: Environment, unsaved: Rollout): Promise<Rollout> {
  const request = newChangeRequest(deps, actor, environment, { title: `Roll out ${unsaved.featureName} in ${environment.name}`, description: unsaved.description, changes: [] });
  const rollout: Rollout = { ...unsaved, changeRequestId: request.id, version: 1 };
  const change: RolloutChange = {
    target: 'rollout',
    featureName: rollout.featureName,
    featureId: rollout.featureId,
    rolloutId: rollout.id,
    expectedVersion: rollout.version,
    rollout: { target: rollout.target, percentages: rollout.percentages, bakeSeconds: rollout.bakeSeconds, finalBakeSeconds: rollout.finalBakeSeconds, guardAlarms: rollout.guardAlarms },
  };
  request.changes = [change];
  try {
    await deps.store.commit([...rolloutWrites(deps, actor, unsaved, rollout, 'created'), ...changeRequestWrites(deps, actor, null, request, 'created'), environmentUnchanged(environment)]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    throw new Conflict(`Environment ${environment.name} changed meanwhile: reload and try again.`);
  }
  return rollout;
}

/** Loads a rollout for a command: at the version the caller saw, in a status the command applies to. */
async function forCommand(deps: Deps, environment: Environment, id: string, expected: number | undefined, command: RolloutCommand): Promise<Rollout> {
  const rollout = await getRollout(deps, environment, id);
  expectVersion(rollout.version, expected, `Rollout ${id}`);
  const refusal = commandRefusal(rollout, command);
  if (refusal) throw new Conflict(refusal, { status: rollout.status });
  return rollout;
}

const changedMeanwhile = (id: string) => new Conflict(`Rollout ${id} changed meanwhile (a step, an alarm or another person): reload and try again.`);

async function commitCommand(deps: Deps, plan: RolloutPlan, extra: Write[] = []): Promise<Rollout> {
  try {
    return await commitPlan(deps, plan, extra);
  } catch (error) {
    throw error instanceof CommitConflict ? changedMeanwhile(plan.next.id) : error;
  }
}

/** Holds a running rollout at its percentage: no step until it is resumed (an alarm still rolls it back). */
export async function pauseRollout(deps: Deps, actor: Actor, environment: Environment, id: string, expected?: number): Promise<Rollout> {
  const rollout = await forCommand(deps, environment, id, expected, 'pause');
  const now = deps.clock();
  const next: Rollout = { ...rollout, status: 'paused', remainingMs: Math.max(0, Date.parse(rollout.nextStepAt ?? '') - now.getTime() || 0), version: rollout.version + 1, updatedAt: now.toISOString() };
  delete next.nextStepAt;
  return commitCommand(deps, { next, writes: rolloutWrites(deps, actor, rollout, next, 'paused'), unschedule: scheduleName(rollout, rollout.step + 1) });
}

/** Runs a paused rollout again: the next step comes after what was left of the bake. */
export async function resumeRollout(deps: Deps, actor: Actor, environment: Environment, id: string, expected?: number): Promise<Rollout> {
  const rollout = await forCommand(deps, environment, id, expected, 'resume');
  const now = deps.clock();
  const next: Rollout = { ...rollout, status: 'running', nextStepAt: new Date(now.getTime() + (rollout.remainingMs ?? 0)).toISOString(), version: rollout.version + 1, updatedAt: now.toISOString() };
  delete next.remainingMs;
  delete next.stop;
  const step = rollout.step + 1;
  return commitCommand(deps, { next, writes: rolloutWrites(deps, actor, rollout, next, 'resumed'), schedule: { name: scheduleName(next, step), at: new Date(next.nextStepAt as string), step } });
}

/**
 * Moves a rollout one step on now (a paused one stays paused). The guard alarms are checked first,
 * as before every step: one in ALARM rolls it back instead, which the answer shows.
 */
export async function advanceRollout(deps: Deps, actor: Actor, environment: Environment, id: string, expected?: number): Promise<Rollout> {
  const rollout = await forCommand(deps, environment, id, expected, 'advance');
  const plan = await nextTransition(deps, actor, environment, rollout);
  if ('refusal' in plan) throw new Conflict(plan.refusal);
  return commitCommand(deps, plan);
}

/**
 * Stops a rollout by hand: a running or paused one is rolled back to where it started (status
 * aborted); one awaiting approval is cancelled, with its change request closed.
 */
export async function abortRollout(deps: Deps, actor: Actor, environment: Environment, id: string, expected?: number): Promise<Rollout> {
  const rollout = await forCommand(deps, environment, id, expected, 'abort');
  if (rollout.status === 'awaiting-approval') {
    const plan = stopPlan(deps, actor, environment, undefined, rollout, 'cancelled', `cancelled by ${actor.name}`);
    const request = rollout.changeRequestId ? await deps.store.get({ type: 'change-request', envId: environment.id, id: rollout.changeRequestId }) : undefined;
    return commitCommand(deps, plan, request?.status === 'open' ? closedWrites(deps, actor, request).writes : []);
  }
  const target = await rolloutTarget(deps, environment, rollout);
  return commitCommand(deps, stopPlan(deps, actor, environment, target, rollout, 'aborted', `aborted by ${actor.name}`));
}

/**
 * What happens when a rollout's next step is due (or asked for): the guard alarms are read; one
 * in ALARM rolls it back, a missing one pauses it; a feature deleted meanwhile fails it, and a
 * target that no longer fits rolls it back as failed; otherwise the next step is served.
 */
async function nextTransition(deps: Deps, actor: Actor, environment: Environment, rollout: Rollout): Promise<RolloutPlan | { refusal: string }> {
  const target = await rolloutTarget(deps, environment, rollout);
  if (!target) return stopPlan(deps, actor, environment, undefined, rollout, 'failed', `feature ${rollout.featureName} no longer exists`);
  if (target.state.rollout?.id !== rollout.id) return stopPlan(deps, actor, environment, target, rollout, 'failed', `feature ${rollout.featureName} no longer carries this rollout`);
  const problem = targetProblem(target.feature, rollout, rollout.start?.content ?? target.state);
  if (problem) return stopPlan(deps, actor, environment, target, rollout, 'failed', problem);
  const alarms = await checkAlarms(deps, rollout);
  if (alarms.firing) {
    const alarm = alarms.firing;
    return stopPlan(deps, alarmActor(rollout, alarm), environment, target, rollout, 'rolled-back', `guard alarm ${alarm.name} was in ALARM before step ${nextStep(rollout).index + 1}${alarm.reason ? `: ${alarm.reason}` : ''}`, alarm);
  }
  if (alarms.missing.length) {
    const reason = `guard alarm ${alarms.missing.join(', ')} does not exist: the rollout holds here until it does, or is aborted`;
    if (rollout.status === 'paused') return { refusal: `The rollout cannot advance: ${reason}.` };
    const now = deps.clock();
    const next: Rollout = { ...rollout, status: 'paused', remainingMs: 0, stop: { reason, at: now.toISOString(), by: actor.id }, version: rollout.version + 1, updatedAt: now.toISOString() };
    delete next.nextStepAt;
    return { next, writes: rolloutWrites(deps, actor, rollout, next, 'paused', { alarm: alarms.missing.join(',') }) };
  }
  return stepPlan(deps, actor, environment, target.feature, target.state, rollout);
}

/** What a schedule's fire did. */
export type StepOutcome = { outcome: 'applied' | 'completed' | 'rolled-back' | 'paused' | 'failed' | 'skipped'; reason?: string | undefined };

/**
 * The rollout schedule's target: serves the step it names, once. A fire for a step already
 * served, a rollout no longer running, or before its time does nothing (an early one makes sure
 * the schedule for the right time exists), so fires that come twice, late or concurrently apply
 * the step once.
 */
export async function runRolloutStep(deps: Deps, target: RolloutStepTarget, attempt = 1): Promise<StepOutcome> {
  const rollout = await deps.store.get({ type: 'rollout', envId: target.envId, id: target.rolloutId });
  if (!rollout) return { outcome: 'skipped', reason: 'no such rollout' };
  if (rollout.status !== 'running') return { outcome: 'skipped', reason: `already ${rollout.status}` };
  if (rollout.step + 1 !== target.step) return { outcome: 'skipped', reason: `step ${target.step} is not the next step` };
  const due = new Date(rollout.nextStepAt ?? 0);
  if (deps.clock().getTime() < due.getTime()) {
    await rolloutScheduler(deps).create(scheduleName(rollout, target.step), due, target);
    return { outcome: 'skipped', reason: 'not due yet' };
  }
  const environment = await deps.store.get({ type: 'environment', id: target.envId });
  const actor = rolloutActor(rollout);
  const plan = environment ? await nextTransition(deps, actor, environment, rollout) : stopPlan(deps, actor, undefined, undefined, rollout, 'failed', 'its environment no longer exists');
  if ('refusal' in plan) return { outcome: 'skipped', reason: plan.refusal };
  try {
    await commitPlan(deps, plan);
  } catch (error) {
    // Another fire, a person or an alarm won the race: read again and decide again.
    if (error instanceof CommitConflict && attempt < 3) return runRolloutStep(deps, target, attempt + 1);
    throw error;
  }
  const status = plan.next.status;
  const outcome = status === 'running' ? 'applied' : status === 'completed' ? 'completed' : status === 'rolled-back' ? 'rolled-back' : status === 'paused' ? 'paused' : 'failed';
  return { outcome, reason: plan.next.stop?.reason };
}

/**
 * An alarm's state changed (the EventBridge rule on `CloudWatch Alarm State Change`, or the local
 * simulation): every running or paused rollout it guards is rolled back to where it started,
 * the alarm named in its audit records and events. Other states change nothing.
 */
export async function handleAlarmStateChange(deps: Deps, alarm: AlarmState): Promise<{ rolledBack: string[] }> {
  if (alarm.state !== 'ALARM') return { rolledBack: [] };
  const guarded = (await deps.store.listAll({ of: 'active-rollouts' })).filter((rollout) => guardedBy(rollout, alarm));
  const rolledBack: string[] = [];
  for (const candidate of guarded) {
    if (await rollBackOnAlarm(deps, candidate.envId, candidate.id, alarm)) rolledBack.push(candidate.id);
  }
  return { rolledBack };
}

async function rollBackOnAlarm(deps: Deps, envId: string, id: string, alarm: AlarmState, attempt = 1): Promise<boolean> {
  const rollout = await deps.store.get({ type: 'rollout', envId, id });
  const environment = await deps.store.get({ type: 'environment', id: envId });
  if (!rollout || !isActive(rollout.status)) return false;
  const target = environment ? await rolloutTarget(deps, environment, rollout) : undefined;
  const reason = `CloudWatch alarm ${alarm.name} entered ALARM${alarm.reason ? `: ${alarm.reason}` : ''}`;
  try {
    await commitPlan(deps, stopPlan(deps, alarmActor(rollout, alarm), environment, target, rollout, 'rolled-back', reason, alarm));
    return true;
  } catch (error) {
    if (error instanceof CommitConflict && attempt < 3) return rollBackOnAlarm(deps, envId, id, alarm, attempt + 1);
    throw error;
  }
}

/** The current state of each of a rollout's guard alarms (null state: no such alarm). */
export async function guardAlarmStates(deps: Deps, environment: Environment, id: string) {
  const rollout = await getRollout(deps, environment, id);
  if (rollout.guardAlarms.length === 0) return { items: [] };
  if (!deps.alarms) throw new Conflict('Rollouts are not configured in this deployment (no access to CloudWatch alarms).');
  const states = await deps.alarms.describe([...new Set(rollout.guardAlarms.map(alarmNameOf))]);
  return {
    items: rollout.guardAlarms.map((guard) => {
      const state = states.find((candidate) => candidate.name === alarmNameOf(guard));
      return { alarm: guard, name: alarmNameOf(guard), state: state?.state ?? null, reason: state?.reason ?? null, updatedAt: state?.updatedAt ?? null };
    }),
  };
}

/** The local stack only: sets an alarm's state as CloudWatch would, so the whole story runs on a laptop. */
export async function simulateAlarm(deps: Deps, body: z.infer<typeof schemas.simulateAlarmBody>) {
  if (!deps.alarms?.simulate) {
    throw new Conflict(
      `Simulated alarms are for the local stack only. In AWS, set the alarm's state for a test: aws cloudwatch set-alarm-state --alarm-name ${JSON.stringify(body.alarmName)} --state-value ${body.state} --state-reason test`,
    );
  }
  const { changed } = await deps.alarms.simulate(body.alarmName, body.state, body.reason);
  return { alarmName: body.alarmName, state: body.state, reason: body.reason, changed };
}
