/**
 * The writes of a rollout's transitions, through the one write path: every step, the completion
 * and a rollback are a feature-state change (state, version record, `feature-state.changed`
 * event, conditional on the version read) committed with the rollout's own update and
 * `rollout.changed` event, conditional on the rollout's version. So a step is applied once
 * however often, late or concurrently its schedule fires, and every step is audited, published
 * and delivered to webhooks like any other change.
 *
 * Shared by the rollout use cases and by change requests (applying one starts its rollout).
 */
import type { AlarmState, ChangeAction, Environment, Feature, FeatureState, FeatureStateContent, Rollout, RolloutChange, RolloutConflict, RolloutStatus } from '../entities.js';
import { Conflict } from '../errors.js';
import type { Write } from '../ports.js';
import { afterStep, isActive, nextStep, scheduleName, servedSplit, targetContent } from '../rollout-plan.js';
import { checkContent, effectiveState, featureStateWrites } from './features.js';
import { type Actor, type Deps, eventWrite, isoNow } from './support.js';

/** A commit and what must happen around it: a schedule created before (a commit that fails leaves a stray fire, which finds nothing to do) or deleted after. */
export interface RolloutPlan {
  next: Rollout;
  writes: Write[];
  schedule?: { name: string; at: Date; step: number } | undefined;
  unschedule?: string | undefined;
}

export const contentOf = (state: FeatureStateContent): FeatureStateContent => ({ enabled: state.enabled, value: state.value, weights: state.weights });

/** The name of a guard alarm given by name or ARN (`arn:…:alarm:<name>`). */
export const alarmNameOf = (guard: string): string => (guard.startsWith('arn:') && guard.includes(':alarm:') ? guard.slice(guard.indexOf(':alarm:') + ':alarm:'.length) : guard);

/** Whether a rollout is guarded by an alarm: by its name, or by its exact ARN when the rollout names an ARN. */
export const guardedBy = (rollout: Pick<Rollout, 'guardAlarms'>, alarm: Pick<AlarmState, 'name' | 'arn'>): boolean =>
  rollout.guardAlarms.some((guard) => (guard.startsWith('arn:') ? guard === alarm.arn : guard === alarm.name));

/** Steps act on behalf of whoever created the rollout, so audit names them. */
export const rolloutActor = (rollout: Rollout): Actor => ({ id: rollout.createdBy.tokenId, name: `${rollout.createdBy.name} (rollout ${rollout.id})`, orgId: rollout.orgId, roles: {} });
/** A rollback an alarm causes names the alarm as its actor. */
export const alarmActor = (rollout: Rollout, alarm: AlarmState): Actor => ({ id: `alarm:${alarm.name}`, name: `CloudWatch alarm ${alarm.name} (rollout ${rollout.id})`, orgId: rollout.orgId, roles: {} });

/** The rollout's update and its event. A rollout not stored yet (version 0) is put only if absent. */
export function rolloutWrites(deps: Deps, actor: Actor, before: Rollout, after: Rollout, action: ChangeAction, subject: Record<string, string> = {}): Write[] {
  return [
    { kind: 'put', entity: after, expect: before.version === 0 ? 'absent' : before.version },
    eventWrite(deps, actor, {
      detailType: 'rollout.changed',
      action,
      orgId: after.orgId,
      projectId: after.projectId,
      envId: after.envId,
      subject: { kind: 'rollout', id: after.id, featureName: after.featureName, ...subject },
      before: before.version === 0 ? null : before,
      after,
      version: after.version,
    }),
  ];
}

/** The guard alarm in ALARM, if one is, and the guard alarms that do not exist. */
export async function checkAlarms(deps: Deps, rollout: Pick<Rollout, 'guardAlarms'>): Promise<{ firing?: AlarmState | undefined; missing: string[] }> {
  if (rollout.guardAlarms.length === 0) return { missing: [] };
  if (!deps.alarms) throw new Conflict('Rollouts are not configured in this deployment (no access to CloudWatch alarms).');
  const names = [...new Set(rollout.guardAlarms.map(alarmNameOf))];
  const states = await deps.alarms.describe(names);
  const found = new Set(states.map((state) => state.name));
  return { firing: states.find((state) => state.state === 'ALARM' && guardedBy(rollout, state)), missing: names.filter((name) => !found.has(name)) };
}

/** Why the feature cannot take the rollout's target now (a variant or value that no longer fits it), or undefined. */
export function targetProblem(feature: Feature, rollout: Pick<Rollout, 'target'>, current: FeatureStateContent): string | undefined {
  const { variant } = rollout.target;
  if (variant !== undefined && (feature.kind !== 'MULTIVARIATE' || !feature.options.some((option) => option.id === variant))) return `${feature.name} has no option ${variant}`;
  const problems = checkContent(feature, targetContent(feature, current, rollout.target));
  return problems.length ? `the target does not fit ${feature.name}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}` : undefined;
}

/** Serves the next step of a rollout (or completes it): the feature state's split moves, or the target becomes its content. */
export function stepPlan(deps: Deps, actor: Actor, environment: Environment, feature: Feature, state: FeatureState, rollout: Rollout): RolloutPlan {
  const now = deps.clock();
  const step = nextStep(rollout);
  const next = afterStep(rollout, step, now, actor.id);
  const subject = { rollout: rollout.id, percentage: String(step.percentage) };
  const change = step.completes
    ? featureStateWrites(deps, actor, environment, feature, state, rollout.targetContent as FeatureStateContent, { rollout: null, subject })
    : featureStateWrites(deps, actor, environment, feature, state, contentOf(state), { rollout: servedSplit(rollout, step.percentage), subject });
  const action: ChangeAction = step.completes ? 'completed' : rollout.step < 0 ? 'started' : 'advanced';
  return {
    next,
    writes: [...change.writes, ...rolloutWrites(deps, actor, rollout, next, action, { percentage: String(step.percentage) })],
    schedule: next.status === 'running' && next.nextStepAt ? { name: scheduleName(next, step.index + 1), at: new Date(next.nextStepAt), step: step.index + 1 } : undefined,
    unschedule: rollout.status === 'running' && rollout.step >= 0 ? scheduleName(rollout, rollout.step + 1) : undefined,
  };
}

/**
 * Stops a rollout where it is (rolled back, aborted, failed): the feature state loses the split and
 * serves what it served before the rollout began; `alarm` is named in both events.
 */
export function stopPlan(
  deps: Deps,
  actor: Actor,
  environment: Environment | undefined,
  target: { feature: Feature; state: FeatureState } | undefined,
  rollout: Rollout,
  status: Extract<RolloutStatus, 'rolled-back' | 'aborted' | 'failed' | 'cancelled'>,
  reason: string,
  alarm?: AlarmState,
): RolloutPlan {
  const at = isoNow(deps);
  const next: Rollout = { ...rollout, status, percentage: 0, stop: { reason, at, by: actor.id, ...(alarm ? { alarm } : {}) }, endedAt: at, version: rollout.version + 1, updatedAt: at };
  delete next.nextStepAt;
  delete next.remainingMs;
  const subject = { rollout: rollout.id, ...(alarm ? { alarm: alarm.name } : {}) };
  // Only a split this rollout still serves is removed (a feature deleted meanwhile has none to remove).
  const split = environment && target && target.state.rollout?.id === rollout.id ? featureStateWrites(deps, actor, environment, target.feature, target.state, contentOf(target.state), { rollout: null, subject }).writes : [];
  const action: ChangeAction = status === 'rolled-back' ? 'rolled-back' : status === 'aborted' ? 'aborted' : status === 'cancelled' ? 'cancelled' : 'failed';
  return {
    next,
    writes: [...split, ...rolloutWrites(deps, actor, rollout, next, action, alarm ? { alarm: alarm.name } : {})],
    unschedule: rollout.status === 'running' && rollout.step >= 0 ? scheduleName(rollout, rollout.step + 1) : undefined,
  };
}

/** The rollout's feature and its state, when the feature still exists (under the same id). */
export async function rolloutTarget(deps: Deps, environment: Environment, rollout: Rollout): Promise<{ feature: Feature; state: FeatureState } | undefined> {
  const feature = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: rollout.featureName });
  if (!feature || feature.id !== rollout.featureId) return undefined;
  return { feature, state: await effectiveState(deps, environment, feature) };
}

/**
 * Plans a rollout's start, its first step: refused (with the reason) when the feature is gone,
 * already being rolled out, already serving the target, or a guard alarm is in ALARM or missing.
 */
export async function startPlan(deps: Deps, actor: Actor, environment: Environment, rollout: Rollout): Promise<RolloutPlan | { refusal: string }> {
  const target = await rolloutTarget(deps, environment, rollout);
  if (!target) return { refusal: `feature ${rollout.featureName} no longer exists` };
  const { feature, state } = target;
  if (state.rollout) return { refusal: `feature ${feature.name} is already being rolled out (rollout ${state.rollout.id})` };
  const problem = targetProblem(feature, rollout, state);
  if (problem) return { refusal: problem };
  const content = targetContent(feature, contentOf(state), rollout.target);
  if (JSON.stringify(content) === JSON.stringify(contentOf(state))) return { refusal: `feature ${feature.name} already serves that in ${environment.name}: there is nothing to roll out` };
  const alarms = await checkAlarms(deps, rollout);
  if (alarms.firing) return { refusal: `guard alarm ${alarms.firing.name} is in ALARM${alarms.firing.reason ? ` (${alarms.firing.reason})` : ''}` };
  if (alarms.missing.length) return { refusal: `no CloudWatch alarm named ${alarms.missing.join(', ')} in this account and region` };
  const starting: Rollout = { ...rollout, start: { version: state.version, content: contentOf(state) }, targetContent: content };
  return stepPlan(deps, actor, environment, feature, state, starting);
}

/** A change request's rollout change, applied: the rollout starts, or the diff says why it cannot. */
export async function planRolloutChange(deps: Deps, actor: Actor, environment: Environment, change: RolloutChange): Promise<RolloutPlan | { conflict: RolloutConflict }> {
  const rollout = await deps.store.get({ type: 'rollout', envId: environment.id, id: change.rolloutId });
  const conflict = (currentVersion: number | null, reason: string) => ({ conflict: { featureName: change.featureName, rolloutId: change.rolloutId, expectedVersion: change.expectedVersion, currentVersion, reason } });
  if (!rollout) return conflict(null, 'the rollout no longer exists');
  if (rollout.version !== change.expectedVersion || rollout.status !== 'awaiting-approval') return conflict(rollout.version, `the rollout is ${rollout.status}`);
  const plan = await startPlan(deps, actor, environment, rollout);
  return 'refusal' in plan ? conflict(rollout.version, plan.refusal) : plan;
}

/** Closing a change request cancels the rollouts it would have started. */
export async function cancelledRolloutWrites(deps: Deps, actor: Actor, environment: Environment, changes: readonly { target?: string | undefined }[]): Promise<Write[]> {
  const writes: Write[] = [];
  for (const change of changes) {
    if (change.target !== 'rollout') continue;
    const rollout = await deps.store.get({ type: 'rollout', envId: environment.id, id: (change as RolloutChange).rolloutId });
    if (rollout?.status === 'awaiting-approval') writes.push(...stopPlan(deps, actor, environment, undefined, rollout, 'cancelled', 'its change request was closed').writes);
  }
  return writes;
}

/** The rollout scheduler, or the 409 of a deployment without one. */
export function rolloutScheduler(deps: Deps) {
  if (!deps.rolloutScheduler) throw new Conflict('Rollouts are not configured in this deployment (no scheduler for their steps).');
  return deps.rolloutScheduler;
}

/** What must run before a plan's commit: creating the schedule of its next step. */
export function beforeCommit(deps: Deps, plan: RolloutPlan): () => Promise<void> {
  const schedule = plan.schedule;
  if (!schedule) return async () => {};
  const scheduler = rolloutScheduler(deps);
  return () => scheduler.create(schedule.name, schedule.at, { envId: plan.next.envId, rolloutId: plan.next.id, step: schedule.step });
}

export { isActive };
