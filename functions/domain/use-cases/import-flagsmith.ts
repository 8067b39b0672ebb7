/**
 * Migration from Flagsmith: load a Flagsmith environment document into an environment.
 *
 * Users must stay in their buckets, so the source's hashing keys are kept: the environment key
 * that prefixes identity keys, segment ids (percentage splits) and feature-state ids
 * (multivariate splits), with variants in the source's order. Importing is idempotent: each
 * entity is compared with what is stored and written only when it differs, through the same
 * state + version + event commits as every other change.
 *
 * An import is a job (see use-cases/jobs.ts): the request validates the whole document with the
 * routes' own schemas and stores it (gzipped, in chunks next to the job) before anything is
 * written, then answers 202. The job plans the changes against what is stored, commits them in
 * batches with its progress, and switches the environment's hash key last, so buckets move only
 * once everything else is in. DynamoDB cannot make thousands of writes atomic, so an import is
 * resumable rather than atomic: a run that dies is resumed from its last batch (planning again
 * finds what is already done), and a failed import is finished by importing the same document
 * again. The job's status says which.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { TENANT_OVERRIDE_PRIORITY } from '../../engine/index.js';
import { ruleSchema, type SegmentRule } from '../../engine/schema.js';
import { documentRules, sortedKeys } from '../flagsmith-document.js';
import type {
  Environment,
  Feature,
  FeatureState,
  Identity,
  IdentityOverride,
  Job,
  JobChunk,
  JsonValue,
  MultivariateOption,
  Project,
  Segment,
  SegmentOverride,
  TenantOverride,
  ValueType,
} from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { identityWrite, idleSecondsOf, isExpired, nextIdentity } from '../identities.js';
import { CommitConflict, type Write } from '../ports.js';
import * as schemas from '../schemas.js';
import { checkContent, defaultState, featureStateWrites, refuseDuringRollout } from './features.js';
import { directWriteConflict, directWriteRefusal, environmentUnchanged, refusalNow } from './governance.js';
import { type JobRun, newJob, startJob, type WorkOutcome } from './jobs.js';
import { finishIdentityDeletion, overridePutWrites, overrideValueProblems } from './targeting.js';
import { type Actor, type Deps, eventWrite, isoNow, newId } from './support.js';

const sourceValue = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();

interface SourceRule {
  type: 'ALL' | 'ANY' | 'NONE';
  conditions?: { operator: string; property_?: string | null | undefined; value?: string | null | undefined }[] | null | undefined;
  rules?: SourceRule[] | null | undefined;
}

/**
 * A Flagsmith environment document's shape, built with `object`: `z.looseObject` for the route
 * (Flagsmith documents carry much that Vexilla ignores), `z.object` to store only what an
 * import reads.
 */
function documentSchema(object: typeof z.looseObject) {
  const featureState = object({
    feature: object({ id: z.number().int(), name: z.string().min(1).max(150), type: z.string().optional() }),
    enabled: z.boolean(),
    feature_state_value: sourceValue,
    django_id: z.number().int().nullish(),
    featurestate_uuid: z.string().nullish(),
    multivariate_feature_state_values: z
      .array(
        object({
          id: z.number().int().nullish(),
          mv_fs_value_uuid: z.string().nullish(),
          percentage_allocation: z.number().min(0).max(100),
          multivariate_feature_option: object({ id: z.number().int().nullish(), value: sourceValue }),
        }),
      )
      .nullish(),
    feature_segment: object({ priority: z.number().int().nullish() }).nullish(),
  });
  const rule: z.ZodType<SourceRule> = z.lazy(() =>
    object({
      type: z.enum(['ALL', 'ANY', 'NONE']),
      conditions: z.array(object({ operator: z.string(), property_: z.string().nullish(), value: z.string().nullish() })).nullish(),
      rules: z.array(rule).nullish(),
    }),
  );
  return object({
    api_key: z.string().min(1).max(200),
    feature_states: z.array(featureState).max(5000),
    project: object({
      segments: z.array(object({ id: z.number().int(), name: z.string().min(1).max(200), rules: z.array(rule), feature_states: z.array(featureState).nullish() })).nullish(),
    }),
    identity_overrides: z.array(object({ identifier: z.string().min(1).max(1000), identity_features: z.array(featureState).nullish() })).nullish(),
  });
}

/** The shape of a Flagsmith environment document (the route's body schema); {@link importProblems} then applies the routes' own rules. */
export const flagsmithDocumentSchema = documentSchema(z.looseObject);
/** The same, keeping only what an import reads: what a job stores. */
const storedDocumentSchema = documentSchema(z.object as unknown as typeof z.looseObject);
export type FlagsmithDocument = z.infer<typeof flagsmithDocumentSchema>;
type SourceFeatureState = FlagsmithDocument['feature_states'][number];
type SourceSegment = NonNullable<FlagsmithDocument['project']['segments']>[number];

/** The Flagsmith hashing key of a feature state: its django_id, else its UUID. */
const hashKeyOf = (state: SourceFeatureState): string | undefined =>
  state.django_id !== null && state.django_id !== undefined ? String(state.django_id) : (state.featurestate_uuid ?? undefined);

/** Multivariate values in the order Flagsmith SDKs split them: by id, else by UUID as a number. */
function orderedVariants(state: SourceFeatureState) {
  const values = [...(state.multivariate_feature_state_values ?? [])];
  const rank = (v: (typeof values)[number]) => (v.id !== null && v.id !== undefined ? BigInt(v.id) : BigInt(`0x${(v.mv_fs_value_uuid ?? '0').replaceAll('-', '')}`));
  return values.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}

/**
 * A document value as the feature holds it: Flagsmith's formats carry JSON values as strings
 * (our export writes them so), so a JSON feature's string that parses to an object or an array
 * is that object again. Without this, export then import turned JSON values into strings.
 */
const featureValue = (feature: Feature, raw: unknown): JsonValue => {
  if (feature.valueType === 'json' && typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as JsonValue;
      if (parsed !== null && typeof parsed === 'object') return parsed;
    } catch {
      // A plain string in a JSON feature stays a string.
    }
  }
  return (raw ?? null) as JsonValue;
};

/** Weights equal to the options' default weights are the state's default ({}): not a change. */
const explicitWeights = (feature: Feature, weights: Record<string, number>): Record<string, number> =>
  feature.options.every((option) => weights[option.id] === option.defaultWeight) ? {} : weights;

const valueTypeOf = (values: unknown[]): ValueType => {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map((v) => typeof v));
  if (kinds.size === 1) return [...kinds][0] as ValueType;
  return kinds.size === 0 ? 'string' : 'json';
};

const convertRules = (rules: SourceRule[]): unknown[] =>
  rules.map((rule) => ({
    type: rule.type,
    conditions: (rule.conditions ?? []).map((condition) => ({ operator: condition.operator, property: condition.property_ ?? '', value: condition.value ?? '' })),
    rules: convertRules(rule.rules ?? []),
  }));

/** Deep equality that ignores key order (stored maps come back in any order). */
const same = (a: unknown, b: unknown) => JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));

/** The tenant of a segment that carries tenant overrides (see tenantOverrideSegments), if it is one. */
function tenantOf(segment: SourceSegment): string | undefined {
  const condition = segment.rules[0]?.conditions?.[0];
  const isTenantShape =
    segment.name.startsWith('tenant:') &&
    segment.rules.length === 1 &&
    segment.rules[0]?.conditions?.length === 1 &&
    condition?.operator === 'IN' &&
    (segment.feature_states ?? []).every((state) => state.feature_segment?.priority === TENANT_OVERRIDE_PRIORITY);
  return isTenantShape ? (condition?.value ?? undefined) : undefined;
}

/** A segment override's priority: the source's, or the lowest when it has none. */
const priorityOf = (state: SourceFeatureState) => state.feature_segment?.priority ?? 1_000_000;

export interface ImportSummary {
  created: Record<string, number>;
  updated: Record<string, number>;
  unchanged: number;
  dryRun: boolean;
  /** Set when the import would change feature states or segment / tenant overrides of an environment that requires approvals (a dry run reports it; a real import is refused). */
  refused?: string | undefined;
}

type Problem = { path: string; message: string };
const MAX_PROBLEMS = 100;

/** Every value a document gives a feature: its state, its variants and all its overrides (a new feature's type must fit them all). */
function valuesByFeature(document: FlagsmithDocument): Map<string, unknown[]> {
  const values = new Map<string, unknown[]>();
  const add = (state: SourceFeatureState, withVariants: boolean) => {
    const list = values.get(state.feature.name) ?? [];
    list.push(state.feature_state_value, ...(withVariants ? orderedVariants(state).map((v) => v.multivariate_feature_option.value) : []));
    values.set(state.feature.name, list);
  };
  for (const state of document.feature_states) add(state, true);
  for (const segment of document.project.segments ?? []) for (const state of segment.feature_states ?? []) add(state, false);
  for (const identity of document.identity_overrides ?? []) for (const state of identity.identity_features ?? []) add(state, false);
  return values;
}

/**
 * Everything in the document that the management API's own routes would refuse, checked with
 * the same schemas and rules (feature names, segment names and rules, weights, tenant ids,
 * identifiers, priorities, values that do not fit an existing feature's type), before anything
 * is written. Empty: the document can be imported.
 */
export function importProblems(document: FlagsmithDocument, existing: Feature[]): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
  };
  const check = (schema: z.ZodType, value: unknown, path: string) => {
    const result = schema.safeParse(value);
    if (!result.success) for (const issue of result.error.issues) problem([path, ...issue.path].join('.'), issue.message);
    return result.success;
  };
  const existingByName = new Map(existing.map((feature) => [feature.name, feature]));
  const inferred = valuesByFeature(document);
  const typeOf = (name: string) => existingByName.get(name)?.valueType ?? valueTypeOf(inferred.get(name) ?? []);
  /** A value a feature must accept: the one rule the routes apply (overrideValueProblems / checkContent). */
  const fits = (name: string, value: unknown, path: string) => {
    for (const found of overrideValueProblems({ valueType: typeOf(name) } as Feature, (value ?? null) as JsonValue, path)) problem(found.path, found.message);
  };

  check(schemas.createEnvironmentBody.shape.hashKey, document.api_key, 'api_key');
  const names = new Set<string>();
  document.feature_states.forEach((state, i) => {
    const at = `feature_states.${i}`;
    const name = state.feature.name;
    check(schemas.featureName, name, `${at}.feature.name`);
    if (names.has(name)) problem(`${at}.feature.name`, `feature ${name} appears twice`);
    names.add(name);
    const variants = orderedVariants(state);
    check(schemas.createFeatureBody.shape.options, variants.map((v) => ({ value: v.multivariate_feature_option.value ?? null, defaultWeight: v.percentage_allocation })), `${at}.multivariate_feature_state_values`);
    const total = variants.reduce((sum, variant) => sum + variant.percentage_allocation, 0);
    if (total > 100) problem(`${at}.multivariate_feature_state_values`, `weights add up to ${total}, more than 100`);
    const feature = existingByName.get(name);
    if (feature) {
      const weights = Object.fromEntries(variants.flatMap((variant, v) => (feature.options[v] ? [[feature.options[v].id, variant.percentage_allocation]] : [])));
      for (const found of checkContent(feature, { enabled: state.enabled, value: featureValue(feature, state.feature_state_value), weights }, at)) problem(found.path, found.message);
      if (variants.length !== feature.options.length && variants.length > 0) {
        problem(`${at}.multivariate_feature_state_values`, `${variants.length} variants, but feature ${name} has ${feature.options.length} options`);
      }
    }
  });
  const known = (name: string) => names.has(name) || existingByName.has(name);

  const segmentIds = new Set<number>();
  (document.project.segments ?? []).forEach((segment, i) => {
    const at = `project.segments.${i}`;
    if (segmentIds.has(segment.id)) problem(`${at}.id`, `segment ${segment.id} appears twice`);
    segmentIds.add(segment.id);
    const tenant = tenantOf(segment);
    if (tenant !== undefined) check(schemas.tenantId, tenant, `${at}.rules.0.conditions.0.value`);
    else {
      check(schemas.name, segment.name, `${at}.name`);
      check(schemas.createSegmentBody.shape.rules, convertRules(segment.rules), `${at}.rules`);
    }
    (segment.feature_states ?? []).forEach((state, j) => {
      const path = `${at}.feature_states.${j}`;
      if (!known(state.feature.name)) problem(`${path}.feature.name`, `no feature ${state.feature.name} in the document or the project`);
      else fits(state.feature.name, state.feature_state_value, `${path}.feature_state_value`);
      if (tenant === undefined) check(schemas.putSegmentOverrideBody.shape.priority, priorityOf(state), `${path}.feature_segment.priority`);
    });
  });

  (document.identity_overrides ?? []).forEach((identity, i) => {
    const at = `identity_overrides.${i}`;
    check(schemas.identifier, identity.identifier, `${at}.identifier`);
    (identity.identity_features ?? []).forEach((state, j) => {
      const path = `${at}.identity_features.${j}`;
      if (!known(state.feature.name)) problem(`${path}.feature.name`, `no feature ${state.feature.name} in the document or the project`);
      else fits(state.feature.name, state.feature_state_value, `${path}.feature_state_value`);
    });
  });
  return problems;
}

function refuseProblems(problems: Problem[]): void {
  if (problems.length) throw new Invalid('The document has parts the management API would refuse: nothing was imported.', problems);
}

/** The changes an import makes, in the order they commit: each group is one change with its version record and event. */
export interface ImportPlan {
  summary: ImportSummary;
  groups: Write[][];
  /** Identities of the document still half-deleted: finished before a real import plans again. */
  halfDeleted: Identity[];
}

/** What governance covers, as summary kinds and as entity types (identity overrides stay direct). */
const GOVERNED_KINDS = ['featureStates', 'segmentOverrides', 'tenantOverrides'];
const GOVERNED_TYPES = ['feature-state', 'segment-override', 'tenant-override'];
/** Identities read at once while planning. */
const IDENTITY_READS = 16;

/** Plans the import of a (validated) document against what is stored now; writes nothing. */
export async function planImport(deps: Deps, actor: Actor, environment: Environment, project: Project, document: FlagsmithDocument, dryRun: boolean): Promise<ImportPlan> {
  const at = isoNow(deps);
  const summary: ImportSummary = { created: {}, updated: {}, unchanged: 0, dryRun };
  const groups: Write[][] = [];
  const count = (kind: string, created: boolean) => {
    const bucket = created ? summary.created : summary.updated;
    bucket[kind] = (bucket[kind] ?? 0) + 1;
  };
  // The environment as it will be once imported; the hash key itself is switched last.
  const env: Environment = environment.hashKey === document.api_key ? environment : { ...environment, hashKey: document.api_key, version: environment.version + 1, updatedAt: at };
  const stageOverride = <T extends TenantOverride | SegmentOverride | IdentityOverride>(kind: string, current: T | undefined, next: Omit<T, 'version' | 'createdAt' | 'updatedAt'>, subject: Record<string, string>) => {
    groups.push(overridePutWrites(deps, actor, env, current, next, subject).writes);
    count(kind, !current);
  };

  const [features, states, segments, segmentOverrides, tenantOverrides] = await Promise.all([
    deps.store.listAll({ of: 'features', projectId: project.id }),
    deps.store.listAll({ of: 'feature-states', envId: environment.id }),
    deps.store.listAll({ of: 'segments', projectId: project.id }),
    deps.store.listAll({ of: 'segment-overrides', envId: environment.id }),
    deps.store.listAll({ of: 'tenant-overrides', envId: environment.id }),
  ]);
  const featureByName = new Map(features.map((feature) => [feature.name, feature]));
  const inferred = valuesByFeature(document);
  // Looked up once per source entity: maps, so large documents plan in linear time.
  const stateByFeature = new Map(states.map((state) => [state.featureId, state]));
  const tenantOverrideByKey = new Map(tenantOverrides.map((o) => [`${o.featureId}\n${o.tenantId}`, o]));
  const segmentOverrideByKey = new Map(segmentOverrides.map((o) => [`${o.featureId}\n${o.segmentId}`, o]));

  for (const source of document.feature_states) {
    const variants = orderedVariants(source);
    const useIds = variants.every((v) => v.id !== null && v.id !== undefined);
    let feature = featureByName.get(source.feature.name);
    if (!feature) {
      const options: MultivariateOption[] = variants.map((variant, i) => ({
        id: newId('opt'),
        numericId: useIds ? (variant.id as number) : i + 1,
        value: (variant.multivariate_feature_option.value ?? null) as JsonValue,
        defaultWeight: variant.percentage_allocation,
      }));
      feature = {
        type: 'feature',
        id: newId('ftr'),
        numericId: source.feature.id,
        orgId: project.orgId,
        projectId: project.id,
        name: source.feature.name,
        kind: options.length > 0 ? 'MULTIVARIATE' : 'STANDARD',
        valueType: valueTypeOf(inferred.get(source.feature.name) ?? []),
        defaultEnabled: false,
        initialValue: null,
        options,
        tags: ['imported'],
        description: '',
        owner: null,
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      featureByName.set(feature.name, feature);
      groups.push([
        { kind: 'put', entity: feature, expect: 'absent' },
        eventWrite(deps, actor, { detailType: 'feature.changed', action: 'created', orgId: project.orgId, projectId: project.id, subject: { kind: 'feature', featureName: feature.name }, before: null, after: feature, version: 1 }),
      ]);
      count('features', true);
    }
    // Weights by option, matched on the source's order.
    const weights: Record<string, number> = {};
    variants.forEach((variant, i) => {
      const option = feature.options[i];
      if (option) weights[option.id] = variant.percentage_allocation;
    });
    const current = stateByFeature.get(feature.id) ?? defaultState(env, feature);
    const next: FeatureState = {
      ...current,
      enabled: source.enabled,
      value: featureValue(feature, source.feature_state_value),
      weights: Object.keys(current.weights).length === 0 ? explicitWeights(feature, weights) : weights,
      hashKey: hashKeyOf(source) ?? current.hashKey,
    };
    if (same([current.enabled, current.value, current.weights, current.hashKey], [next.enabled, next.value, next.weights, next.hashKey])) {
      summary.unchanged++;
      continue;
    }
    refuseDuringRollout(current);
    // The one write path: state (conditional on the version read), version record and event.
    groups.push(featureStateWrites(deps, actor, env, feature, current, { enabled: next.enabled, value: next.value, weights: next.weights }, { hashKey: next.hashKey }).writes);
    count('featureStates', current.version === 0);
  }

  for (const source of document.project.segments ?? []) {
    // Vexilla's own documents carry tenant overrides as segments at the tenant priority.
    const tenant = tenantOf(source);
    if (tenant) {
      for (const override of source.feature_states ?? []) {
        const feature = featureByName.get(override.feature.name) as Feature;
        const current = tenantOverrideByKey.get(`${feature.id}\n${tenant}`);
        const value = featureValue(feature, override.feature_state_value);
        if (current && current.enabled === override.enabled && same(current.value, value)) {
          summary.unchanged++;
          continue;
        }
        const next: Omit<TenantOverride, 'version' | 'createdAt' | 'updatedAt'> = {
          type: 'tenant-override',
          orgId: env.orgId,
          projectId: env.projectId,
          envId: env.id,
          featureId: feature.id,
          featureName: feature.name,
          tenantId: tenant,
          enabled: override.enabled,
          value,
        };
        stageOverride('tenantOverrides', current, next, { kind: 'tenant-override', featureName: feature.name, tenantId: tenant });
      }
      continue;
    }
    const rules = ruleSchema.array().parse(convertRules(source.rules)) as SegmentRule[];
    let segment: Segment | undefined = segments.find((candidate) => candidate.numericId === source.id && candidate.hashKey === String(source.id));
    // Compared in the document's own form, so equivalent rules written differently are equal.
    if (!segment || segment.name !== source.name || !same(convertRules(documentRules(segment.rules) as SourceRule[]), convertRules(source.rules))) {
      const created = !segment;
      const base: Segment = segment ?? {
        type: 'segment',
        id: newId('seg'),
        numericId: source.id,
        hashKey: String(source.id),
        orgId: project.orgId,
        projectId: project.id,
        name: source.name,
        description: 'imported from Flagsmith',
        rules,
        tenantKey: null,
        createdAt: at,
        updatedAt: at,
        version: 0,
      };
      const next: Segment = { ...base, name: source.name, rules, version: base.version + 1, updatedAt: at };
      groups.push([
        { kind: 'put', entity: next, expect: created ? 'absent' : base.version },
        eventWrite(deps, actor, { detailType: 'segment.changed', action: created ? 'created' : 'updated', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id: next.id }, before: segment ?? null, after: next, version: next.version }),
      ]);
      count('segments', created);
      segment = next;
    } else summary.unchanged++;

    for (const override of source.feature_states ?? []) {
      const feature = featureByName.get(override.feature.name) as Feature;
      const current = segmentOverrideByKey.get(`${feature.id}\n${segment.id}`);
      const next: Omit<SegmentOverride, 'version' | 'createdAt' | 'updatedAt'> = {
        type: 'segment-override',
        orgId: env.orgId,
        projectId: env.projectId,
        envId: env.id,
        featureId: feature.id,
        featureName: feature.name,
        segmentId: segment.id,
        priority: priorityOf(override),
        enabled: override.enabled,
        value: featureValue(feature, override.feature_state_value),
        hashKey: hashKeyOf(override) ?? current?.hashKey ?? `${env.id}:${feature.id}:${segment.id}`,
      };
      if (current && same([current.priority, current.enabled, current.value, current.hashKey], [next.priority, next.enabled, next.value, next.hashKey])) {
        summary.unchanged++;
        continue;
      }
      stageOverride('segmentOverrides', current, next, { kind: 'segment-override', featureName: feature.name, segmentId: segment.id });
    }
  }

  // Identities: each read consistently (its item and overrides: one Query), a few at a time.
  const identities = document.identity_overrides ?? [];
  const stored = new Array<Awaited<ReturnType<typeof readPartition>>>(identities.length);
  const readPartition = async (identifier: string) => {
    const items = await deps.store.listAll({ of: 'identity-with-overrides', envId: env.id, identifier });
    return { item: items.find((i): i is Identity => i.type === 'identity'), overrides: items.filter((i): i is IdentityOverride => i.type === 'identity-override') };
  };
  for (let i = 0; i < identities.length; i += IDENTITY_READS) {
    const batch = await Promise.all(identities.slice(i, i + IDENTITY_READS).map((identity) => readPartition(identity.identifier)));
    batch.forEach((partition, j) => {
      stored[i + j] = partition;
    });
  }
  const halfDeleted: Identity[] = [];
  const idleSeconds = idleSecondsOf(deps.identityIdleSeconds);
  identities.forEach((identity, i) => {
    const { item, overrides } = stored[i] as Awaited<ReturnType<typeof readPartition>>;
    if (item?.deletedAt) halfDeleted.push(item);
    const existing = item?.deletedAt ? [] : overrides;
    const changes: Write[][] = [];
    for (const source of identity.identity_features ?? []) {
      const feature = featureByName.get(source.feature.name) as Feature;
      const current = existing.find((o) => o.featureId === feature.id);
      const value = featureValue(feature, source.feature_state_value);
      if (current && current.enabled === source.enabled && same(current.value, value)) {
        summary.unchanged++;
        continue;
      }
      const next: Omit<IdentityOverride, 'version' | 'createdAt' | 'updatedAt'> = {
        type: 'identity-override',
        orgId: env.orgId,
        projectId: env.projectId,
        envId: env.id,
        identifier: identity.identifier,
        featureId: feature.id,
        featureName: feature.name,
        enabled: source.enabled,
        value,
      };
      changes.push(overridePutWrites(deps, actor, env, current, next, { kind: 'identity-override', identifier: identity.identifier, featureName: feature.name }).writes);
      count('identityOverrides', !current);
    }
    // The identity its overrides belong to: created (or pinned, so it never expires) before them.
    const live = item && !item.deletedAt && !isExpired(item, idleSeconds, deps.clock()) ? item : undefined;
    if ((changes.length > 0 || existing.length > 0 || (identity.identity_features ?? []).length > 0) && !live?.hasOverrides) {
      const pinned: Identity = live
        ? { ...live, hasOverrides: true, version: live.version + 1 }
        : { ...nextIdentity(env, identity.identifier, undefined, {}, at, item), hasOverrides: true };
      groups.push([identityWrite(pinned, idleSeconds, item ? item.version : 'absent')]);
      count('identities', !live);
    }
    groups.push(...changes);
  });

  // Last: the environment key that prefixes every identity's hash, so buckets move only once everything else is in.
  if (env !== environment) {
    groups.push([
      { kind: 'put', entity: env, expect: environment.version },
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'updated', orgId: env.orgId, projectId: env.projectId, envId: env.id, subject: { kind: 'environment', id: env.id }, before: environment, after: env, version: env.version }),
    ]);
    count('environment', false);
  } else summary.unchanged++;

  // Governance: feature states and segment and tenant overrides of an environment that requires
  // approvals change only through change requests.
  const governedChanges = GOVERNED_KINDS.reduce((n, kind) => n + (summary.created[kind] ?? 0) + (summary.updated[kind] ?? 0), 0);
  if (governedChanges > 0) summary.refused = directWriteRefusal(environment);
  return { summary, groups, halfDeleted };
}

/** Writes per batch: the changes, the environment check, and the job's progress fit one transaction. */
const BATCH_WRITES = 97;

const writesType = (batch: Write[], type: string) => batch.some((write) => write.kind === 'put' && write.entity.type === type);
const writesGoverned = (batch: Write[]) => GOVERNED_TYPES.some((type) => writesType(batch, type));

/**
 * Commits a plan's groups in batches of up to {@link BATCH_WRITES} writes, through `commit`,
 * until done or `deadline` (real time). A batch that writes feature states or overrides also
 * checks that the environment is unchanged since governance allowed them, unless it writes the
 * environment itself, whose own version condition says the same (one operation per item).
 * Returns how many groups were committed.
 */
async function commitPlan(plan: ImportPlan, environment: Environment, commit: (writes: Write[], groupsDone: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let batch: Write[] = [];
  let done = 0;
  let pending = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const governed = writesGoverned(batch) && !writesType(batch, 'environment');
    await commit(governed ? [...batch, environmentUnchanged(environment)] : batch, done + pending);
    done += pending;
    batch = [];
    pending = 0;
  };
  for (const group of plan.groups) {
    if (batch.length + group.length > BATCH_WRITES) {
      await flush();
      if (Date.now() >= deadline) return done;
    }
    batch.push(...group);
    pending++;
  }
  await flush();
  return done;
}

/** The 409 of a lost race: governance turned on meanwhile, or anything else that moved. */
async function conflictAfter(deps: Deps, environment: Environment, batch: Write[]): Promise<Conflict> {
  const refused = writesGoverned(batch) ? await refusalNow(deps, environment, directWriteConflict) : undefined;
  return refused ?? new Conflict('Something changed during the import; import again to finish (importing is idempotent).');
}

/**
 * Imports (or with `dryRun`, plans) a Flagsmith environment document into `environment` at once,
 * in this call: for callers that hold no job (tests, scripts on small documents). The API runs
 * imports as jobs ({@link startImport}).
 */
export async function importFlagsmithDocument(deps: Deps, actor: Actor, environment: Environment, project: Project, input: unknown, options: { dryRun?: boolean } = {}): Promise<ImportSummary> {
  const document = parseDocument(input);
  refuseProblems(importProblems(document, await deps.store.listAll({ of: 'features', projectId: project.id })));
  const dryRun = options.dryRun ?? false;
  let plan = await planImport(deps, actor, environment, project, document, dryRun);
  if (dryRun) return plan.summary;
  if (plan.halfDeleted.length) {
    for (const identity of plan.halfDeleted) await finishIdentityDeletion(deps, identity);
    plan = await planImport(deps, actor, environment, project, document, dryRun);
  }
  if (plan.summary.refused) throw directWriteConflict(environment);
  await commitPlan(plan, environment, async (writes) => {
    try {
      await deps.store.commit(writes);
    } catch (error) {
      if (error instanceof CommitConflict) throw await conflictAfter(deps, environment, writes);
      throw error;
    }
  });
  return plan.summary;
}

function parseDocument(input: unknown): FlagsmithDocument {
  const parsed = flagsmithDocumentSchema.safeParse(input);
  if (!parsed.success) {
    throw new Invalid('This is not a Flagsmith environment document.', parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return parsed.data;
}

// --- Imports as jobs ---

/** Bytes per chunk of a stored document (DynamoDB items hold 400 KB). */
const CHUNK_BYTES = 300_000;
/** Chunks per transaction (TransactWriteItems carries at most 4 MB). */
const CHUNKS_PER_COMMIT = 8;
/** A document is kept this long at most: an import that never finishes leaves nothing for ever (DynamoDB TTL). */
const CHUNK_DAYS = 7;
/** Runs that found something changed under them before an import gives up. */
const MAX_CONFLICTS = 3;

/** What `GET .../imports/{jobId}` shows. */
export interface ImportView {
  id: string;
  status: Job['status'];
  dryRun: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string | undefined;
  /** Changes committed so far, of how many (null until planned). */
  progress: Job['progress'];
  /** What the import changes (a dry run: would change); set once planned. */
  summary?: ImportSummary | undefined;
  /** Why it failed: `error` is the kind (Invalid, Conflict, NotFound, Internal). */
  error?: Job['error'];
  /** Where to poll. */
  location: string;
}

export const importLocation = (envId: string, jobId: string) => `/admin/v1/environments/${envId}/imports/${jobId}`;

export function importView(job: Job): ImportView {
  return {
    id: job.id,
    status: job.status,
    dryRun: job.input.kind === 'import' && job.input.dryRun,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    progress: job.progress,
    ...(job.summary ? { summary: job.summary as ImportSummary } : {}),
    ...(job.error ? { error: job.error } : {}),
    location: importLocation(job.envId as string, job.id),
  };
}

/**
 * Starts an import: validates the whole document with the routes' rules (422 with every problem,
 * nothing stored), stores it gzipped next to a new job, and queues the job. Returns its view.
 */
export async function startImport(deps: Deps, actor: Actor, environment: Environment, project: Project, input: unknown, options: { dryRun?: boolean } = {}): Promise<ImportView> {
  const document = parseDocument(input);
  refuseProblems(importProblems(document, await deps.store.listAll({ of: 'features', projectId: project.id })));
  const zipped = gzipSync(Buffer.from(JSON.stringify(storedDocumentSchema.parse(document))));
  const id = newId('imp');
  const expiresAt = Math.floor(deps.clock().getTime() / 1000) + CHUNK_DAYS * 86_400;
  const chunks: JobChunk[] = [];
  for (let offset = 0, index = 0; offset < zipped.length; offset += CHUNK_BYTES, index++) {
    chunks.push({ type: 'job-chunk', jobId: id, index, data: new Uint8Array(zipped.subarray(offset, offset + CHUNK_BYTES)), expiresAt });
  }
  // Chunks first: a job never exists without its whole document.
  for (let i = 0; i < chunks.length; i += CHUNKS_PER_COMMIT) {
    await deps.store.commit(chunks.slice(i, i + CHUNKS_PER_COMMIT).map((chunk): Write => ({ kind: 'put', entity: chunk })));
  }
  const job = newJob(deps, {
    id,
    orgId: environment.orgId,
    projectId: project.id,
    envId: environment.id,
    input: { kind: 'import', dryRun: options.dryRun ?? false, chunks: chunks.length, bytes: zipped.length },
    actor: { tokenId: actor.id, name: actor.name },
  });
  await deps.store.commit([{ kind: 'put', entity: job, expect: 'absent' }]);
  await startJob(deps, job.id);
  return importView(job);
}

/** An import of this environment, by id (404 for anything else). */
export async function getImport(deps: Deps, environment: Environment, jobId: string): Promise<ImportView> {
  const job = await deps.store.get({ type: 'job', id: jobId });
  if (!job || job.input.kind !== 'import' || job.envId !== environment.id) throw new NotFound(`No import ${jobId} in this environment.`);
  return importView(job);
}

async function loadDocument(deps: Deps, job: Job): Promise<FlagsmithDocument> {
  const chunks = await deps.store.listAll({ of: 'job-chunks', jobId: job.id });
  const expected = job.input.kind === 'import' ? job.input.chunks : 0;
  if (chunks.length !== expected) throw new NotFound('The document of this import is no longer stored (imports keep it for 7 days): import it again.');
  return parseDocument(JSON.parse(gunzipSync(Buffer.concat(chunks.map((chunk) => chunk.data))).toString('utf8')));
}

/** The job's work: plan against what is stored, then commit batch by batch with the job's progress. */
export async function workImport(deps: Deps, run: JobRun): Promise<WorkOutcome> {
  const { job } = run;
  if (job.input.kind !== 'import') throw new Error(`Job ${job.id} is not an import.`);
  const [environment, project] = await Promise.all([deps.store.get({ type: 'environment', id: job.envId as string }), deps.store.get({ type: 'project', id: job.projectId as string })]);
  if (!environment || !project) throw new NotFound('The environment no longer exists.');
  const document = await loadDocument(deps, job);
  const actor: Actor = { id: job.actor.tokenId, name: job.actor.name, orgId: job.orgId, roles: {} };
  // Checked again: the project may have changed since the request (a feature's type, say).
  refuseProblems(importProblems(document, await deps.store.listAll({ of: 'features', projectId: project.id })));
  const { dryRun } = job.input;
  let plan = await planImport(deps, actor, environment, project, document, dryRun);
  if (!dryRun && plan.halfDeleted.length) {
    for (const identity of plan.halfDeleted) await finishIdentityDeletion(deps, identity);
    plan = await planImport(deps, actor, environment, project, document, dryRun);
  }
  // The first plan is what the import changes; later runs find less left to do.
  const total = job.progress.total ?? plan.groups.length;
  if (job.progress.total === null) await run.commit([], { summary: plan.summary, progress: { done: 0, total } });
  const cleanup = async () => {
    const chunks = await deps.store.listAll({ of: 'job-chunks', jobId: job.id });
    if (chunks.length) await deps.store.commit(chunks.map((chunk): Write => ({ kind: 'delete', ref: { type: 'job-chunk', jobId: job.id, index: chunk.index } })));
  };
  if (dryRun) {
    await cleanup();
    return { status: 'succeeded' };
  }
  if (plan.summary.refused) throw directWriteConflict(environment);
  const before = Math.max(0, total - plan.groups.length);
  let failed: Write[] | undefined;
  try {
    const done = await commitPlan(
      plan,
      environment,
      async (writes, groupsDone) => {
        failed = writes;
        await run.commit(writes, { progress: { done: Math.min(total, before + groupsDone), total } });
        failed = undefined;
      },
      run.deadline,
    );
    if (done < plan.groups.length) return { status: 'continue' };
  } catch (error) {
    if (!(error instanceof CommitConflict) || !failed) throw error;
    // Something changed under this batch: governance (fail), or anything else (plan again, a few times).
    const conflict = await conflictAfter(deps, environment, failed);
    const conflicts = (job.conflicts ?? 0) + 1;
    if (conflict.details !== undefined || conflicts >= MAX_CONFLICTS) throw conflict;
    return { status: 'continue', patch: { conflicts } };
  }
  await cleanup();
  return { status: 'succeeded', patch: { progress: { done: total, total } } };
}
