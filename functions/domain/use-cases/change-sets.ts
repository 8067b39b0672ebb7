/**
 * Change sets: several feature-state changes applied atomically through the one write path
 * ({@link featureStateWrites}), together with the writes of whatever carries them (a change
 * request, a scheduled change). A change is proposed against a version; applying refuses, with
 * the diff, if any target moved since.
 */
import type { ChangeConflict, Environment, FeatureState, FeatureStateContent, JsonValue, ProposedChange } from '../entities.js';
import { Conflict, Invalid } from '../errors.js';
import { CommitConflict, type Write } from '../ports.js';
import { MAX_CHANGES } from '../schemas.js';
import { checkContent, effectiveState, featureStateWrites } from './features.js';
import { environmentUnchanged, refusalNow } from './governance.js';
import type { Actor, Deps } from './support.js';

export { MAX_CHANGES };

/** A change as people write it: the fields to change; the rest is taken from the current state. */
export interface ChangeInput {
  featureName: string;
  enabled?: boolean | undefined;
  value?: JsonValue | undefined;
  weights?: Record<string, number> | undefined;
}

/** Why a change cannot apply: its target is not at the version the change was proposed against. */
export type ChangeDiff = ChangeConflict;

const contentOf = (state: FeatureState): FeatureStateContent => ({ enabled: state.enabled, value: state.value, weights: state.weights });

/**
 * Resolves changes to complete content from the current states, recording the version each was
 * proposed against. Refuses unknown features, duplicates, invalid values and more than
 * {@link MAX_CHANGES} changes (the whole set commits in one DynamoDB transaction).
 */
export async function proposeChanges(deps: Deps, environment: Environment, inputs: ChangeInput[]): Promise<ProposedChange[]> {
  if (inputs.length === 0) throw new Invalid('A change set needs at least one change.', [{ path: 'changes', message: 'empty' }]);
  if (inputs.length > MAX_CHANGES) {
    throw new Invalid(`A change set holds at most ${MAX_CHANGES} changes (it applies in one transaction); split it.`, [
      { path: 'changes', message: `${inputs.length} changes, at most ${MAX_CHANGES}` },
    ]);
  }
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const changes: ProposedChange[] = [];
  for (const [i, input] of inputs.entries()) {
    if (seen.has(input.featureName)) {
      problems.push({ path: `changes.${i}.featureName`, message: `${input.featureName} appears twice` });
      continue;
    }
    seen.add(input.featureName);
    const feature = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: input.featureName });
    if (!feature) {
      problems.push({ path: `changes.${i}.featureName`, message: `no feature ${input.featureName} in this project` });
      continue;
    }
    const current = await effectiveState(deps, environment, feature);
    const content: FeatureStateContent = {
      enabled: input.enabled ?? current.enabled,
      value: input.value !== undefined ? input.value : current.value,
      weights: input.weights ?? current.weights,
    };
    problems.push(...checkContent(feature, content, `changes.${i}`));
    changes.push({ featureName: feature.name, featureId: feature.id, expectedVersion: current.version, content });
  }
  if (problems.length) throw new Invalid('The changes are not valid.', problems);
  return changes;
}

/** Reads every target: the writes that apply the set, or the diff of the targets that moved. */
export async function planChangeSet(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  changes: ProposedChange[],
): Promise<{ writes: Write[]; conflicts: ChangeDiff[] }> {
  const writes: Write[] = [];
  const conflicts: ChangeDiff[] = [];
  for (const change of changes) {
    const feature = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: change.featureName });
    const diff = { featureName: change.featureName, expectedVersion: change.expectedVersion, proposed: change.content };
    if (!feature || feature.id !== change.featureId) {
      conflicts.push({ ...diff, currentVersion: null, current: null });
      continue;
    }
    const current = await effectiveState(deps, environment, feature);
    if (current.version !== change.expectedVersion) {
      conflicts.push({ ...diff, currentVersion: current.version, current: contentOf(current) });
      continue;
    }
    writes.push(...featureStateWrites(deps, actor, environment, feature, current, change.content).writes);
  }
  return { writes, conflicts };
}

/** The 409 of a change set whose targets moved; `details` is the diff per feature. */
export function changeSetConflict(conflicts: ChangeDiff[]): Conflict {
  const names = conflicts.map((c) => c.featureName).join(', ');
  return new Conflict(`Nothing was applied: ${conflicts.length} feature state(s) changed since the changes were proposed (${names}). Review the diff and propose again.`, conflicts);
}

/**
 * Applies a change set and `extra` writes (the carrier's own update and events) in one commit,
 * conditional on the environment being unchanged since the caller validated its rule. Throws
 * `refusal`'s Conflict if the environment's rule now refuses the set (approvals raised
 * meanwhile), a Conflict with the diff if a target moved; `otherwise` names any other lost race.
 */
export async function applyChangeSet(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  changes: ProposedChange[],
  extra: Write[],
  refusal: (now: Environment) => Conflict | undefined,
  otherwise: () => Promise<Conflict>,
): Promise<void> {
  const { writes, conflicts } = await planChangeSet(deps, actor, environment, changes);
  if (conflicts.length) throw changeSetConflict(conflicts);
  try {
    await deps.store.commit([...writes, ...extra, environmentUnchanged(environment)]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    // Governance first: under a rule raised meanwhile the set may not apply, whatever else moved.
    const refused = await refusalNow(deps, environment, refusal);
    if (refused) throw refused;
    // A target may have moved between reading and committing: report it like one found before.
    const again = await planChangeSet(deps, actor, environment, changes);
    throw again.conflicts.length ? changeSetConflict(again.conflicts) : await otherwise();
  }
}
