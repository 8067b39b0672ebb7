/**
 * The rollout state machine, pure: the percentages a plan serves, which commands a status
 * accepts, what the next step is, and the rollout after it. The use cases (use-cases/rollouts.ts)
 * read and write around it; nothing here does I/O.
 *
 *   awaiting-approval ──apply the change request──┐
 *   (create, ungoverned) ─────────────────────────┴─► running ◄──resume── paused
 *   running ──step due / advance──► running (next percentage) ... ──► completed
 *   running | paused ──pause──► paused        running | paused ──an alarm──► rolled-back
 *   running | paused ──abort──► aborted       awaiting-approval ──abort / close the request──► cancelled
 *   any step that cannot apply (the feature or its target option is gone) ──► failed
 */
import type { FeatureStateContent, Feature, Rollout, RolloutSteps, RolloutStatus, RolloutTarget, ServedRollout } from './entities.js';
import { MAX_ROLLOUT_STEPS } from './schemas.js';

/** Two decimals: PERCENTAGE_SPLIT buckets are 1/9,999 wide, so finer thresholds mean nothing. */
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The percentages a plan serves, ascending, ending at 100: `linear` in equal steps,
 * `exponential` multiplying from `start` until it reaches 100, `percentages` as given (100 added
 * when missing). Returns problems instead when the plan makes no sense.
 */
export function planPercentages(steps: RolloutSteps): { percentages: number[] } | { problem: string } {
  let percentages: number[];
  switch (steps.type) {
    case 'linear':
      percentages = Array.from({ length: steps.steps }, (_, i) => round2((100 * (i + 1)) / steps.steps));
      break;
    case 'exponential': {
      percentages = [];
      for (let p = steps.start; p < 100 && percentages.length < MAX_ROLLOUT_STEPS; p *= steps.factor) percentages.push(round2(p));
      percentages.push(100);
      break;
    }
    case 'percentages':
      percentages = steps.percentages.at(-1) === 100 ? [...steps.percentages] : [...steps.percentages, 100];
      break;
  }
  if (percentages.length > MAX_ROLLOUT_STEPS) return { problem: `at most ${MAX_ROLLOUT_STEPS} steps, this plan has ${percentages.length}` };
  for (let i = 0; i < percentages.length; i++) {
    const p = percentages[i] as number;
    if (!(p > 0 && p <= 100)) return { problem: `every percentage is above 0 and at most 100 (got ${p})` };
    if (i > 0 && p <= (percentages[i - 1] as number)) {
      const hint = steps.type === 'exponential' ? ': to two decimals they do not, so start higher or grow faster' : '';
      return { problem: `percentages must rise step by step (${percentages[i - 1]} then ${p})${hint}` };
    }
  }
  return { percentages };
}

/** The statuses a rollout can still act in: its split is served (an alarm rolls it back). */
export const isActive = (status: RolloutStatus): boolean => status === 'running' || status === 'paused';
export const isFinished = (status: RolloutStatus): boolean => !isActive(status) && status !== 'awaiting-approval';

export type RolloutCommand = 'pause' | 'resume' | 'advance' | 'abort';

/** Why a command does not apply to a rollout in its status, or undefined when it does. */
export function commandRefusal(rollout: Pick<Rollout, 'id' | 'status'>, command: RolloutCommand): string | undefined {
  const allowed: Record<RolloutCommand, RolloutStatus[]> = {
    pause: ['running'],
    resume: ['paused'],
    advance: ['running', 'paused'],
    abort: ['running', 'paused', 'awaiting-approval'],
  };
  return allowed[command].includes(rollout.status) ? undefined : `Rollout ${rollout.id} is ${rollout.status}: it cannot ${command} (only when ${allowed[command].join(' or ')}).`;
}

/**
 * The step after the one served: its index, the percentage it serves and whether it completes
 * the rollout. Index `percentages.length` is the completion that follows a final bake.
 */
export function nextStep(rollout: Pick<Rollout, 'step' | 'percentages' | 'finalBakeSeconds'>): { index: number; percentage: number; completes: boolean } {
  const index = rollout.step + 1;
  const last = rollout.percentages.length - 1;
  if (index > last) return { index, percentage: 100, completes: true };
  return { index, percentage: rollout.percentages[index] as number, completes: index === last && rollout.finalBakeSeconds === 0 };
}

/** How long the step at `index` is served before the next one: the bake, or the final bake at 100%. */
export const bakeMsAfter = (rollout: Pick<Rollout, 'percentages' | 'bakeSeconds' | 'finalBakeSeconds'>, index: number): number =>
  (index === rollout.percentages.length - 1 ? rollout.finalBakeSeconds : rollout.bakeSeconds) * 1000;

/**
 * The schedule of the step due at `step`, unique per rollout version: a schedule deleted on pause
 * is never confused with the one resume creates.
 */
export const scheduleName = (rollout: Pick<Rollout, 'id' | 'version'>, step: number): string => `${rollout.id}-${step}-v${rollout.version}`;

/** What the feature state serves at 100% for a target, from its content when the rollout starts. */
export function targetContent(feature: Pick<Feature, 'options'>, current: FeatureStateContent, target: RolloutTarget): FeatureStateContent {
  return {
    enabled: target.enabled,
    value: target.value !== undefined ? target.value : current.value,
    // A variant target: every identity lands in that option (the others get no weight).
    weights: target.variant !== undefined ? Object.fromEntries(feature.options.map((option) => [option.id, option.id === target.variant ? 100 : 0])) : current.weights,
  };
}

/** The split a rollout serves at a percentage. */
export const servedSplit = (rollout: Pick<Rollout, 'id' | 'segmentId' | 'targetContent'>, percentage: number): ServedRollout => ({
  id: rollout.id,
  percentage,
  segmentId: rollout.segmentId,
  target: rollout.targetContent as FeatureStateContent,
});

/** The rollout once the step at `index` is served, at `now`, by `by` (an actor id). */
export function afterStep(rollout: Rollout, step: { index: number; percentage: number; completes: boolean }, now: Date, by: string): Rollout {
  const at = now.toISOString();
  const next: Rollout = {
    ...rollout,
    step: Math.min(step.index, rollout.percentages.length - 1),
    percentage: step.percentage,
    history: [...rollout.history, { step: step.index, percentage: step.percentage, at, by }],
    version: rollout.version + 1,
    updatedAt: at,
    ...(rollout.startedAt ? {} : { startedAt: at }),
  };
  delete next.remainingMs;
  if (step.completes) {
    delete next.nextStepAt;
    return { ...next, status: 'completed', endedAt: at };
  }
  const bake = bakeMsAfter(rollout, step.index);
  if (rollout.status === 'paused') return { ...next, remainingMs: bake };
  return { ...next, status: 'running', nextStepAt: new Date(now.getTime() + bake).toISOString() };
}
