/**
 * Features (per project) and their states (per environment), with version history and restore.
 * Every change to a feature state goes through {@link writeFeatureState}: state, version record
 * and change event in one commit, conditional on the version the writer saw.
 */
import type * as z from 'zod';
import type {
  Environment,
  Feature,
  FeatureState,
  FeatureStateContent,
  FeatureStateVersion,
  JsonValue,
  MultivariateOption,
  Project,
  ServedRollout,
  ValueType,
} from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type { Page, PageRequest, Write } from '../ports.js';
import { documentGrowth, ensureDocumentRoom, ensureProjectDocumentRoom } from './document-budget.js';
import { commitDirectWrite, refuseDirectWrites } from './governance.js';
import { refuseRequiredDeletion, resolvePrerequisites } from './prerequisites.js';
import { purgeJob, startPurge } from './purges.js';
import type * as schemas from '../schemas.js';
import { defaultState } from './default-state.js';
import { type Actor, allocateNumbers, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId } from './support.js';

export { defaultState };

function inferValueType(value: JsonValue): ValueType {
  if (value === null) return 'string';
  if (typeof value === 'object') return 'json';
  return typeof value as ValueType;
}

/** Whether a value fits the feature's type; `null` (no value) fits every type. */
function fits(valueType: ValueType, value: JsonValue): boolean {
  if (value === null || valueType === 'json') return true;
  return typeof value === valueType;
}

function checkValue(feature: Pick<Feature, 'valueType'>, value: JsonValue, path: string): { path: string; message: string }[] {
  return fits(feature.valueType, value) ? [] : [{ path, message: `expected a ${feature.valueType} value (or null)` }];
}

function checkWeights(options: { id: string }[], weights: Record<string, number>, path: string) {
  const problems: { path: string; message: string }[] = [];
  for (const id of Object.keys(weights)) {
    if (!options.some((option) => option.id === id)) problems.push({ path: `${path}.${id}`, message: 'no such multivariate option' });
  }
  const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
  if (total > 100) problems.push({ path, message: `weights add up to ${total}, more than 100` });
  return problems;
}

export async function getFeature(deps: Deps, project: Project, name: string): Promise<Feature> {
  const feature = await deps.store.get({ type: 'feature', projectId: project.id, name });
  if (!feature) throw new NotFound(`No feature ${name} in this project.`);
  return feature;
}

export const listFeatures = (deps: Deps, project: Project, page: PageRequest): Promise<Page<Feature>> =>
  deps.store.list({ of: 'features', projectId: project.id }, page);

export async function createFeature(deps: Deps, actor: Actor, project: Project, body: schemas.CreateFeatureBody): Promise<Feature> {
  const valueType = body.valueType ?? inferValueType(body.initialValue);
  const first = await allocateNumbers(deps, body.options.length + 1);
  const options: MultivariateOption[] = body.options.map((option, i) => ({ id: newId('opt'), numericId: first + 1 + i, ...option }));
  const problems = [
    ...checkValue({ valueType }, body.initialValue, 'initialValue'),
    ...(body.type === 'STANDARD' && options.length ? [{ path: 'options', message: 'only MULTIVARIATE features have options' }] : []),
    ...options.flatMap((option, i) => checkValue({ valueType }, option.value, `options.${i}.value`)),
    ...checkWeights(options, Object.fromEntries(options.map((o) => [o.id, o.defaultWeight])), 'options'),
  ];
  if (problems.length) throw new Invalid('The feature is not valid.', problems);
  const required = body.prerequisites?.length ? await resolvePrerequisites(deps, project, body.name, body.prerequisites) : undefined;
  // Every environment serves the new feature: its default value, its options and its prerequisites.
  const room = await ensureProjectDocumentRoom(deps, project, documentGrowth([body.initialValue, ...options.map((o) => o.value), required?.prerequisites ?? [], body.tenants ?? []], null));
  const at = isoNow(deps);
  const feature: Feature = {
    type: 'feature',
    id: newId('ftr'),
    numericId: first,
    orgId: project.orgId,
    projectId: project.id,
    name: body.name,
    kind: body.type,
    valueType,
    defaultEnabled: body.defaultEnabled,
    initialValue: body.initialValue,
    options,
    tags: body.tags,
    description: body.description,
    owner: body.owner,
    ...(required ? { prerequisites: required.prerequisites } : {}),
    ...(body.tenants ? { tenants: body.tenants } : {}),
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: feature, expect: 'absent' },
      eventWrite(deps, actor, { detailType: 'feature.changed', action: 'created', orgId: project.orgId, projectId: project.id, subject: { kind: 'feature', featureName: feature.name }, before: null, after: feature, version: 1 }),
      ...(required?.checks ?? []),
      ...room,
    ],
    async () =>
      (await deps.store.get({ type: 'feature', projectId: project.id, name: body.name }))
        ? new Conflict(`A feature named ${body.name} already exists in this project.`)
        : new Conflict('A feature it requires changed meanwhile: reload and try again.'),
  );
  return feature;
}

export async function updateFeature(deps: Deps, actor: Actor, project: Project, name: string, body: schemas.UpdateFeatureBody): Promise<Feature> {
  const feature = await getFeature(deps, project, name);
  const expected = expectVersion(feature.version, body.version, `Feature ${name}`);
  const added = (body.options ?? []).filter((option) => !option.id).length;
  let nextNumber = added ? await allocateNumbers(deps, added) : 0;
  const options: MultivariateOption[] = body.options
    ? body.options.map((option) => {
        const existing = feature.options.find((candidate) => candidate.id === option.id);
        return {
          id: existing?.id ?? newId('opt'),
          numericId: existing?.numericId ?? nextNumber++,
          value: option.value,
          defaultWeight: option.defaultWeight,
        };
      })
    : feature.options;
  const { version: _version, options: _options, prerequisites: inputs, ...changes } = body;
  const required = inputs?.length ? await resolvePrerequisites(deps, project, name, inputs) : undefined;
  const next: Feature = { ...feature, ...defined(changes), options, version: expected + 1, updatedAt: isoNow(deps) };
  // [] removes them; absent leaves them as they are.
  if (inputs) next.prerequisites = required?.prerequisites;
  if (next.prerequisites === undefined) delete next.prerequisites;
  const problems = [
    ...checkValue(next, next.initialValue, 'initialValue'),
    ...(next.kind === 'STANDARD' && options.length ? [{ path: 'options', message: 'only MULTIVARIATE features have options' }] : []),
    ...(body.options ?? []).flatMap((option, i) =>
      option.id && !feature.options.some((existing) => existing.id === option.id) ? [{ path: `options.${i}.id`, message: 'no such option' }] : [],
    ),
    ...options.flatMap((option, i) => checkValue(next, option.value, `options.${i}.value`)),
    ...checkWeights(options, Object.fromEntries(options.map((o) => [o.id, o.defaultWeight])), 'options'),
  ];
  if (problems.length) throw new Invalid('The feature is not valid.', problems);
  const values = (f: Feature) => [f.initialValue, ...f.options.map((o) => o.value), f.prerequisites ?? [], f.tenants ?? []];
  const room = await ensureProjectDocumentRoom(deps, project, documentGrowth(values(next), { value: values(feature) }));
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'feature.changed', action: 'updated', orgId: project.orgId, projectId: project.id, subject: { kind: 'feature', featureName: name }, before: feature, after: next, version: next.version }),
      ...(required?.checks ?? []),
      ...room,
    ],
    async () => new Conflict(`Feature ${name}, or a feature it requires, changed meanwhile: reload and try again.`, { currentVersion: (await getFeature(deps, project, name)).version }),
  );
  return next;
}

/**
 * Deletes a feature. Its states, versions and overrides in every environment are keyed by the
 * feature's id, so they stop applying at once (and a feature created later under the same name
 * starts clean); a purge job, committed with the deletion, then removes them in batches. A
 * feature other features require is deleted only with `force` (they are then served off).
 */
export async function deleteFeature(deps: Deps, actor: Actor, project: Project, name: string, options: { force?: boolean } = {}): Promise<void> {
  const feature = await getFeature(deps, project, name);
  await refuseRequiredDeletion(deps, project, name, options.force ?? false);
  const envIds = (await deps.store.listAll({ of: 'environments', projectId: project.id })).map((environment) => environment.id);
  const purge = purgeJob(deps, actor, { type: 'feature', projectId: project.id, featureId: feature.id, featureName: name, envIds }, { orgId: project.orgId, projectId: project.id });
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'feature', projectId: project.id, name }, expect: feature.version },
      eventWrite(deps, actor, { detailType: 'feature.changed', action: 'deleted', orgId: project.orgId, projectId: project.id, subject: { kind: 'feature', featureName: name }, before: feature, after: null }),
      { kind: 'put', entity: purge, expect: 'absent' },
    ],
    async () => new Conflict(`Feature ${name} changed meanwhile: reload and try again.`),
  );
  await startPurge(deps, purge);
}

/** The state of a feature in an environment: stored, or the feature's defaults at version 0. */
export async function effectiveState(deps: Deps, environment: Environment, feature: Feature): Promise<FeatureState> {
  const stored = await deps.store.get({ type: 'feature-state', envId: environment.id, featureId: feature.id });
  return stored ?? defaultState(environment, feature);
}

/** Every feature's state in an environment, defaults included, in feature order. */
export async function listFeatureStates(deps: Deps, environment: Environment, project: Project): Promise<FeatureState[]> {
  const [features, states] = await Promise.all([
    deps.store.listAll({ of: 'features', projectId: project.id }),
    deps.store.listAll({ of: 'feature-states', envId: environment.id }),
  ]);
  const byFeature = new Map(states.map((state) => [state.featureId, state]));
  return features.map((feature) => byFeature.get(feature.id) ?? defaultState(environment, feature));
}

/** Problems with a feature state's content for its feature: value type and multivariate weights. */
export function checkContent(feature: Feature, content: FeatureStateContent, path = ''): { path: string; message: string }[] {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  return [...checkValue(feature, content.value, at('value')), ...checkWeights(feature.options, content.weights, at('weights'))];
}

/**
 * A feature state under a rollout changes only through the rollout (its steps, its rollback):
 * anything else would move what the rollout rolls back to. Every other writer asks this first;
 * the version condition of its commit covers a rollout that starts meanwhile.
 */
export function refuseDuringRollout(state: Pick<FeatureState, 'featureName' | 'rollout'>): void {
  const rollout = state.rollout;
  if (!rollout) return;
  throw new Conflict(
    `Feature ${state.featureName} is being rolled out (rollout ${rollout.id}, at ${rollout.percentage}%): its state changes only through the rollout until it completes. Abort the rollout to change it by hand.`,
    { rolloutId: rollout.id },
  );
}

/**
 * The writes of one feature-state change: the new state (conditional on the version it replaces),
 * a version record and a `feature-state.changed` event. Callers commit them, alone or with others
 * (a change set, the change request or schedule that carries it), in one transaction. A rollout
 * sets (or, with null, removes) its split; `subject` adds to the event's subject.
 */
export function featureStateWrites(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  feature: Feature,
  current: FeatureState,
  content: FeatureStateContent,
  options: { restoredFrom?: number | undefined; hashKey?: string | undefined; rollout?: ServedRollout | null | undefined; subject?: Record<string, string> | undefined } = {},
): { next: FeatureState; writes: Write[] } {
  const { restoredFrom, hashKey } = options;
  const expected = current.version;
  const at = isoNow(deps);
  const next: FeatureState = {
    ...current,
    ...content,
    // Import keeps the source's multivariate hashing key, so users stay in their buckets.
    ...(hashKey !== undefined ? { hashKey } : {}),
    version: expected + 1,
    updatedAt: at,
    updatedBy: actor.id,
    ...(expected === 0 ? { createdAt: at } : {}),
  };
  if (options.rollout === null) delete next.rollout;
  else if (options.rollout) next.rollout = options.rollout;
  const record: FeatureStateVersion = {
    type: 'feature-state-version',
    envId: environment.id,
    featureId: feature.id,
    featureName: feature.name,
    version: next.version,
    enabled: next.enabled,
    value: next.value,
    weights: next.weights,
    at,
    actor: actor.id,
    ...(restoredFrom !== undefined ? { restoredFrom } : {}),
    ...(next.rollout ? { rollout: next.rollout } : {}),
  };
  const writes: Write[] = [
    { kind: 'put', entity: next, expect: expected === 0 ? 'absent' : expected },
    { kind: 'put', entity: record, expect: 'absent' },
    eventWrite(deps, actor, {
      detailType: 'feature-state.changed',
      action: restoredFrom !== undefined ? 'restored' : 'updated',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      subject: { kind: 'feature-state', featureName: feature.name, ...options.subject },
      before: current.version === 0 ? null : current,
      after: next,
      version: next.version,
    }),
  ];
  return { next, writes };
}

/**
 * The one write path of a single feature state: new content, a version record and a change
 * event, committed together only if the state is still at `expected`.
 */
async function writeFeatureState(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  feature: Feature,
  current: FeatureState,
  content: FeatureStateContent,
  expectedVersion: number | undefined,
  restoredFrom?: number,
): Promise<FeatureState> {
  refuseDirectWrites(environment);
  refuseDuringRollout(current);
  expectVersion(current.version, expectedVersion, `Feature state ${feature.name}`);
  const problems = checkContent(feature, content);
  if (problems.length) throw new Invalid('The feature state is not valid.', problems);
  const room = await ensureDocumentRoom(deps, environment, documentGrowth(content.value, current, false));
  const { next, writes } = featureStateWrites(deps, actor, environment, feature, current, content, { restoredFrom });
  // Conditional on the environment too: governance turned on after the check above refuses it.
  await commitDirectWrite(deps, environment, [...writes, ...room], async () => {
    const now = await effectiveState(deps, environment, feature);
    return new Conflict(`Feature state ${feature.name} changed meanwhile (now version ${now.version}): reload and try again.`, {
      currentVersion: now.version,
    });
  });
  return next;
}

export async function getFeatureState(deps: Deps, environment: Environment, project: Project, name: string) {
  return effectiveState(deps, environment, await getFeature(deps, project, name));
}

export async function patchFeatureState(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  name: string,
  body: z.infer<typeof schemas.patchFeatureStateBody>,
  ifMatch: number | undefined,
): Promise<FeatureState> {
  if (ifMatch !== undefined && body.version !== undefined && ifMatch !== body.version) {
    throw new Invalid('If-Match and the version field disagree.', [{ path: 'version', message: `If-Match says ${ifMatch}` }]);
  }
  const feature = await getFeature(deps, project, name);
  const current = await effectiveState(deps, environment, feature);
  const content: FeatureStateContent = {
    enabled: body.enabled ?? current.enabled,
    value: body.value !== undefined ? body.value : current.value,
    weights: body.weights ?? current.weights,
  };
  return writeFeatureState(deps, actor, environment, feature, current, content, ifMatch ?? body.version);
}

export async function listVersions(deps: Deps, environment: Environment, project: Project, name: string, page: PageRequest) {
  const feature = await getFeature(deps, project, name);
  return deps.store.list({ of: 'feature-state-versions', envId: environment.id, featureId: feature.id }, page);
}

/** Rollback: writes a new version with the old content. History is never rewritten. */
export async function restoreVersion(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  name: string,
  version: number,
  expectedVersion: number | undefined,
): Promise<FeatureState> {
  const feature = await getFeature(deps, project, name);
  const old = await deps.store.get({ type: 'feature-state-version', envId: environment.id, featureId: feature.id, version });
  if (!old) throw new NotFound(`Feature state ${name} has no version ${version}.`);
  const current = await effectiveState(deps, environment, feature);
  return writeFeatureState(deps, actor, environment, feature, current, { enabled: old.enabled, value: old.value, weights: old.weights }, expectedVersion, version);
}
