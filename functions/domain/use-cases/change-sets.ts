/**
 * Change sets: several changes to feature states, segment overrides and tenant overrides,
 * applied atomically through the write paths the direct routes use ({@link featureStateWrites},
 * {@link segmentOverrideWrites}, {@link tenantOverrideWrites}), together with the writes of
 * whatever carries them (a change request, a scheduled change). A change is proposed against a
 * version; applying refuses, with the diff, if any target moved since.
 */
import type {
  ChangeConflict,
  Environment,
  Feature,
  FeatureState,
  FeatureStateContent,
  JsonValue,
  ProposedChange,
  SegmentOverride,
  SegmentOverrideContent,
  TenantOverride,
  TenantOverrideContent,
} from '../entities.js';
import { Conflict, Invalid, TooLarge } from '../errors.js';
import { LIMITS } from '../limits.js';
import { CommitConflict, type Write } from '../ports.js';
import { MAX_CHANGES } from '../schemas.js';
import { checkContent, effectiveState, featureStateWrites, refuseDuringRollout } from './features.js';
import { documentGrowth, documentRoom } from './document-budget.js';
import { environmentUnchanged, refusalNow } from './governance.js';
import { beforeCommit, planRolloutChange } from './rollout-steps.js';
import { overrideValueProblems, segmentOverrideWrites, tenantOverrideWrites } from './targeting.js';
import { planTemplateValuesChange } from './template-values.js';
import type { Actor, Deps } from './support.js';

export { MAX_CHANGES };

/**
 * A change as people write it: the fields to change; the rest is taken from the current state.
 * With `segmentId` or `tenantId` it changes that override of the feature (`remove` deletes it).
 */
export interface ChangeInput {
  featureName: string;
  segmentId?: string | undefined;
  tenantId?: string | undefined;
  enabled?: boolean | undefined;
  value?: JsonValue | undefined;
  weights?: Record<string, number> | undefined;
  priority?: number | undefined;
  remove?: true | undefined;
}

/** Why a change cannot apply: its target is not at the version the change was proposed against. */
export type ChangeDiff = ChangeConflict;

type Problem = { path: string; message: string };

const contentOf = (state: FeatureState): FeatureStateContent => ({ enabled: state.enabled, value: state.value, weights: state.weights });
const segmentContentOf = (o: SegmentOverride | undefined): SegmentOverrideContent | null => (o ? { enabled: o.enabled, value: o.value, priority: o.priority } : null);
const tenantContentOf = (o: TenantOverride | undefined): TenantOverrideContent | null => (o ? { enabled: o.enabled, value: o.value } : null);

/** The target a change names, as a key (one change per target in a set) and as people read it. */
function targetOf(input: ChangeInput): { key: string; label: string } {
  if (input.segmentId !== undefined) return { key: `s:${input.featureName}:${input.segmentId}`, label: `the override of ${input.featureName} for segment ${input.segmentId}` };
  if (input.tenantId !== undefined) return { key: `t:${input.featureName}:${input.tenantId}`, label: `the override of ${input.featureName} for tenant ${input.tenantId}` };
  return { key: `f:${input.featureName}`, label: input.featureName };
}

/** Resolves an override change to complete content (null: remove) against the current override; problems are reported, not thrown. */
function overrideContent<C extends { enabled: boolean; value: JsonValue }>(
  feature: Feature,
  input: ChangeInput,
  current: (C & { version: number }) | undefined,
  extra: (current: C | undefined) => Omit<C, 'enabled' | 'value'>,
  path: string,
  problems: Problem[],
): C | null | undefined {
  if (input.remove) {
    if (!current) problems.push({ path: `${path}.remove`, message: 'there is no such override to remove' });
    return null;
  }
  const enabled = input.enabled ?? current?.enabled;
  if (enabled === undefined) {
    problems.push({ path: `${path}.enabled`, message: 'required for a new override' });
    return undefined;
  }
  // As the direct routes do: a new override without a value serves the feature's initial value.
  const value = input.value !== undefined ? input.value : current ? current.value : feature.initialValue;
  problems.push(...overrideValueProblems(feature, value, `${path}.value`));
  return { ...extra(current), enabled, value } as C;
}

/** Resolves one change against the current target, or undefined (with problems) when it cannot be proposed. */
async function proposeChange(deps: Deps, environment: Environment, feature: Feature, input: ChangeInput, path: string, problems: Problem[]): Promise<ProposedChange | undefined> {
  const base = { featureName: feature.name, featureId: feature.id };
  if (input.segmentId !== undefined) {
    const segmentId = input.segmentId;
    const segment = await deps.store.get({ type: 'segment', projectId: environment.projectId, id: segmentId });
    if (!segment) {
      problems.push({ path: `${path}.segmentId`, message: `no segment ${segmentId} in this project` });
      return undefined;
    }
    const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId });
    const content = overrideContent<SegmentOverrideContent>(feature, input, current, (c) => ({ priority: input.priority ?? c?.priority ?? 0 }), path, problems);
    return content === undefined ? undefined : { target: 'segment-override', ...base, segmentId, expectedVersion: current?.version ?? 0, content };
  }
  if (input.tenantId !== undefined) {
    const tenantId = input.tenantId;
    const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
    const content = overrideContent<TenantOverrideContent>(feature, input, current, () => ({}), path, problems);
    return content === undefined ? undefined : { target: 'tenant-override', ...base, tenantId, expectedVersion: current?.version ?? 0, content };
  }
  const current = await effectiveState(deps, environment, feature);
  refuseDuringRollout(current);
  const content: FeatureStateContent = {
    enabled: input.enabled ?? current.enabled,
    value: input.value !== undefined ? input.value : current.value,
    weights: input.weights ?? current.weights,
  };
  problems.push(...checkContent(feature, content, path));
  // No `target` on feature-state changes: the shape stays what it was before overrides.
  return { ...base, expectedVersion: current.version, content };
}

/**
 * Resolves changes to complete content from the current feature states and overrides,
 * recording the version each was proposed against (0: absent). Refuses unknown features and
 * segments, two changes to one target, invalid values, removals of absent overrides and more
 * than {@link MAX_CHANGES} changes (the whole set commits in one DynamoDB transaction).
 */
export async function proposeChanges(deps: Deps, environment: Environment, inputs: ChangeInput[]): Promise<ProposedChange[]> {
  if (inputs.length === 0) throw new Invalid('A change set needs at least one change.', [{ path: 'changes', message: 'empty' }]);
  if (inputs.length > MAX_CHANGES) {
    throw new Invalid(`A change set holds at most ${MAX_CHANGES} changes (it applies in one transaction); split it.`, [
      { path: 'changes', message: `${inputs.length} changes, at most ${MAX_CHANGES}` },
    ]);
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const changes: ProposedChange[] = [];
  for (const [i, input] of inputs.entries()) {
    const target = targetOf(input);
    if (seen.has(target.key)) {
      problems.push({ path: `changes.${i}.featureName`, message: `${target.label} appears twice` });
      continue;
    }
    seen.add(target.key);
    const feature = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: input.featureName });
    if (!feature) {
      problems.push({ path: `changes.${i}.featureName`, message: `no feature ${input.featureName} in this project` });
      continue;
    }
    const change = await proposeChange(deps, environment, feature, input, `changes.${i}`, problems);
    if (change) changes.push(change);
  }
  if (problems.length) throw new Invalid('The changes are not valid.', problems);
  return changes;
}

/** What removing an override takes off the document (its value and entry), as a negative growth. */
const removal = (current: { value: unknown } | undefined) => (current ? -documentGrowth(current.value, null) : 0);

/**
 * Plans one change: its writes, how much it grows the environment's document (and what must run
 * before they commit), or its diff when the target moved (or is gone).
 */
async function planChange(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  change: ProposedChange,
): Promise<{ writes: Write[]; growth: number; prepare?: () => Promise<void> } | { conflict: ChangeDiff }> {
  if (change.target === 'rollout') {
    // Starting a rollout: its first step, and the schedule of the next, created before the commit.
    // The document gains the rollout's segment, which serves the target value.
    const planned = await planRolloutChange(deps, actor, environment, change);
    if ('conflict' in planned) return planned;
    return { writes: planned.writes, growth: documentGrowth(planned.next.target.value, null), prepare: beforeCommit(deps, planned) };
  }
  if (change.target === 'template-values') return planTemplateValuesChange(deps, actor, environment, change);
  const stored = await deps.store.get({ type: 'feature', projectId: environment.projectId, name: change.featureName });
  const feature = stored && stored.id === change.featureId ? stored : undefined;
  const gone = { currentVersion: null, current: null };
  if (change.target === 'segment-override') {
    const diff = { featureName: change.featureName, segmentId: change.segmentId, expectedVersion: change.expectedVersion, proposed: change.content };
    // Setting an override of a deleted segment would serve nothing: the target is gone.
    const segment = change.content ? await deps.store.get({ type: 'segment', projectId: environment.projectId, id: change.segmentId }) : true;
    if (!feature || !segment) return { conflict: { ...diff, ...gone } };
    const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId: change.segmentId });
    const version = current?.version ?? 0;
    if (version !== change.expectedVersion) return { conflict: { ...diff, currentVersion: version, current: segmentContentOf(current) } };
    const growth = change.content ? documentGrowth(change.content.value, current) : removal(current);
    return { ...segmentOverrideWrites(deps, actor, environment, feature, change.segmentId, current, change.content), growth };
  }
  if (change.target === 'tenant-override') {
    const diff = { featureName: change.featureName, tenantId: change.tenantId, expectedVersion: change.expectedVersion, proposed: change.content };
    if (!feature) return { conflict: { ...diff, ...gone } };
    const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId: change.tenantId });
    const version = current?.version ?? 0;
    if (version !== change.expectedVersion) return { conflict: { ...diff, currentVersion: version, current: tenantContentOf(current) } };
    const growth = change.content ? documentGrowth(change.content.value, current) : removal(current);
    return { ...tenantOverrideWrites(deps, actor, environment, feature, change.tenantId, current, change.content), growth };
  }
  const diff = { featureName: change.featureName, expectedVersion: change.expectedVersion, proposed: change.content };
  if (!feature) return { conflict: { ...diff, ...gone } };
  const current = await effectiveState(deps, environment, feature);
  if (current.version !== change.expectedVersion) return { conflict: { ...diff, currentVersion: current.version, current: contentOf(current) } };
  return { ...featureStateWrites(deps, actor, environment, feature, current, change.content), growth: documentGrowth(change.content.value, current, false) };
}

/** Reads every target: the writes that apply the set, or the diff of the targets that moved. */
export async function planChangeSet(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  changes: ProposedChange[],
): Promise<{ writes: Write[]; conflicts: ChangeDiff[]; prepare: (() => Promise<void>)[]; documentProblem?: string | undefined }> {
  const writes: Write[] = [];
  const conflicts: ChangeDiff[] = [];
  const prepare: (() => Promise<void>)[] = [];
  let growth = 0;
  for (const change of changes) {
    const planned = await planChange(deps, actor, environment, change);
    if ('conflict' in planned) conflicts.push(planned.conflict);
    else {
      writes.push(...planned.writes);
      growth += planned.growth;
      if (planned.prepare) prepare.push(planned.prepare);
    }
  }
  // The set applies whole or not at all, so its growth counts whole against the document's budget.
  const room = conflicts.length ? { writes: [] } : await documentRoom(deps, [environment], growth);
  return { writes: [...writes, ...room.writes], conflicts, prepare, documentProblem: room.problem };
}

/** How many targets moved, in words: "2 feature state(s)", or "… or override(s)" / "… or rollout(s)" when those moved. */
export const movedTargets = (conflicts: ChangeDiff[]): string =>
  conflicts.every((c) => 'templateKey' in c)
    ? `${conflicts.length} template value set(s)`
    : `${conflicts.length} feature state(s)${conflicts.some((c) => 'segmentId' in c || 'tenantId' in c) ? ' or override(s)' : ''}${conflicts.some((c) => 'rolloutId' in c) ? ' or rollout(s)' : ''}${conflicts.some((c) => 'templateKey' in c) ? ' or template value set(s)' : ''}`;

/** A conflict's target as people read it (the feature name, which override of it, or which rollout and why it cannot start). */
export const conflictTarget = (c: ChangeDiff): string =>
  'templateKey' in c
    ? `the values of template ${c.templateKey}${c.currentVersion === null ? ' (the template is gone)' : ''}`
    : 'segmentId' in c
    ? `${c.featureName} (segment ${c.segmentId})`
    : 'tenantId' in c
      ? `${c.featureName} (tenant ${c.tenantId})`
      : 'rolloutId' in c
        ? `${c.featureName} (rollout ${c.rolloutId}: ${c.reason})`
        : c.featureName;

/** The 409 of a change set whose targets moved; `details` is the diff per feature. */
export function changeSetConflict(conflicts: ChangeDiff[]): Conflict {
  const names = conflicts.map(conflictTarget).join(', ');
  return new Conflict(`Nothing was applied: ${movedTargets(conflicts)} changed since the changes were proposed (${names}). Review the diff and propose again.`, conflicts);
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
  const { writes, conflicts, prepare, documentProblem } = await planChangeSet(deps, actor, environment, changes);
  if (conflicts.length) throw changeSetConflict(conflicts);
  if (documentProblem) throw new TooLarge(documentProblem, { limitBytes: LIMITS.documentBytes });
  for (const step of prepare) await step();
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
