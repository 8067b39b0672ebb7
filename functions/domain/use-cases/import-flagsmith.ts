/**
 * Migration from Flagsmith: load a Flagsmith environment document into an environment.
 *
 * Users must stay in their buckets, so the source's hashing keys are kept: the environment key
 * that prefixes identity keys, segment ids (percentage splits) and feature-state ids
 * (multivariate splits), with variants in the source's order. Importing is idempotent: each
 * entity is compared with what is stored and written only when it differs, through the same
 * state + version + event commits as every other change.
 */
import * as z from 'zod';
import { TENANT_OVERRIDE_PRIORITY } from '../../engine/index.js';
import { ruleSchema, type SegmentRule } from '../../engine/schema.js';
import { documentRules, sortedKeys } from '../flagsmith-document.js';
import type {
  Environment,
  Feature,
  FeatureState,
  IdentityOverride,
  JsonValue,
  MultivariateOption,
  Project,
  Segment,
  SegmentOverride,
  TenantOverride,
  ValueType,
} from '../entities.js';
import { Conflict, Invalid } from '../errors.js';
import { CommitConflict, type Write } from '../ports.js';
import { defaultState, featureStateWrites } from './features.js';
import { overridePutWrites } from './targeting.js';
import { directWriteConflict, directWriteRefusal, environmentUnchanged, refuseDirectWrites, refusalNow } from './governance.js';
import { type Actor, type Deps, eventWrite, isoNow, newId } from './support.js';

const sourceValue = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();

const sourceFeatureState = z.looseObject({
  feature: z.looseObject({ id: z.number().int(), name: z.string().min(1).max(150), type: z.string().optional() }),
  enabled: z.boolean(),
  feature_state_value: sourceValue,
  django_id: z.number().int().nullish(),
  featurestate_uuid: z.string().nullish(),
  multivariate_feature_state_values: z
    .array(
      z.looseObject({
        id: z.number().int().nullish(),
        mv_fs_value_uuid: z.string().nullish(),
        percentage_allocation: z.number().min(0).max(100),
        multivariate_feature_option: z.looseObject({ id: z.number().int().nullish(), value: sourceValue }),
      }),
    )
    .nullish(),
  feature_segment: z.looseObject({ priority: z.number().int().nullish() }).nullish(),
});

interface SourceRule {
  type: 'ALL' | 'ANY' | 'NONE';
  conditions?: { operator: string; property_?: string | null | undefined; value?: string | null | undefined }[] | null | undefined;
  rules?: SourceRule[] | null | undefined;
}
const sourceRule: z.ZodType<SourceRule> = z.lazy(() =>
  z.looseObject({
    type: z.enum(['ALL', 'ANY', 'NONE']),
    conditions: z.array(z.looseObject({ operator: z.string(), property_: z.string().nullish(), value: z.string().nullish() })).nullish(),
    rules: z.array(sourceRule).nullish(),
  }),
);

export const flagsmithDocumentSchema = z.looseObject({
  api_key: z.string().min(1).max(200),
  feature_states: z.array(sourceFeatureState).max(5000),
  project: z.looseObject({
    segments: z
      .array(z.looseObject({ id: z.number().int(), name: z.string().min(1).max(200), rules: z.array(sourceRule), feature_states: z.array(sourceFeatureState).nullish() }))
      .nullish(),
  }),
  identity_overrides: z
    .array(z.looseObject({ identifier: z.string().min(1).max(1000), identity_features: z.array(sourceFeatureState).nullish() }))
    .nullish(),
});
export type FlagsmithDocument = z.infer<typeof flagsmithDocumentSchema>;
type SourceFeatureState = z.infer<typeof sourceFeatureState>;

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

function convertRules(rules: SourceRule[]): SegmentRule[] {
  const converted = rules.map((rule) => ({
    type: rule.type,
    conditions: (rule.conditions ?? []).map((condition) => ({ operator: condition.operator, property: condition.property_ ?? '', value: condition.value ?? '' })),
    rules: convertRules(rule.rules ?? []),
  }));
  // Operators and shapes are checked by the engine's own schema.
  const checked = z.array(ruleSchema).safeParse(converted);
  if (!checked.success) {
    throw new Invalid('The document has segment rules Vexilla cannot evaluate.', checked.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return checked.data;
}

/** Deep equality that ignores key order (stored maps come back in any order). */
const same = (a: unknown, b: unknown) => JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));

/** The tenant of a segment that carries tenant overrides (see tenantOverrideSegments), if it is one. */
function tenantOf(segment: { name: string; rules: SourceRule[]; feature_states?: SourceFeatureState[] | null | undefined }): string | undefined {
  const condition = segment.rules[0]?.conditions?.[0];
  const isTenantShape =
    segment.name.startsWith('tenant:') &&
    segment.rules.length === 1 &&
    segment.rules[0]?.conditions?.length === 1 &&
    condition?.operator === 'IN' &&
    (segment.feature_states ?? []).every((state) => state.feature_segment?.priority === TENANT_OVERRIDE_PRIORITY);
  return isTenantShape ? (condition?.value ?? undefined) : undefined;
}

export interface ImportSummary {
  created: Record<string, number>;
  updated: Record<string, number>;
  unchanged: number;
  dryRun: boolean;
  /** Set when the import would change feature states or segment / tenant overrides of an environment that requires approvals (a dry run reports it; a real import is refused). */
  refused?: string | undefined;
}

/** What governance covers, as summary kinds and as entity types (identity overrides stay direct). */
const GOVERNED_KINDS = ['featureStates', 'segmentOverrides', 'tenantOverrides'];
const GOVERNED_TYPES = ['feature-state', 'segment-override', 'tenant-override'];

/** Imports (or with `dryRun`, plans) a Flagsmith environment document into `environment`. */
export async function importFlagsmithDocument(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  input: unknown,
  options: { dryRun?: boolean } = {},
): Promise<ImportSummary> {
  const parsed = flagsmithDocumentSchema.safeParse(input);
  if (!parsed.success) {
    throw new Invalid('This is not a Flagsmith environment document.', parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const document = parsed.data;
  const at = isoNow(deps);
  const summary: ImportSummary = { created: {}, updated: {}, unchanged: 0, dryRun: options.dryRun ?? false };
  const groups: Write[][] = [];
  const count = (kind: string, created: boolean) => {
    const bucket = created ? summary.created : summary.updated;
    bucket[kind] = (bucket[kind] ?? 0) + 1;
  };
  const scope = { orgId: environment.orgId, projectId: project.id, envId: environment.id };
  /** Stages an override's write with its change event (the write the override routes make), conditional on what was read. */
  const stageOverride = <T extends TenantOverride | SegmentOverride | IdentityOverride>(
    kind: string,
    current: T | undefined,
    next: Omit<T, 'version' | 'createdAt' | 'updatedAt'>,
    subject: Record<string, string>,
  ) => {
    groups.push(overridePutWrites(deps, actor, env, current, next, subject).writes);
    count(kind, !current);
  };

  // The environment key prefixes every identity key: adopt the source's.
  let env = environment;
  if (environment.hashKey !== document.api_key) {
    env = { ...environment, hashKey: document.api_key, version: environment.version + 1, updatedAt: at };
    groups.push([
      { kind: 'put', entity: env, expect: environment.version },
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'updated', ...scope, subject: { kind: 'environment', id: env.id }, before: environment, after: env, version: env.version }),
    ]);
    count('environment', false);
  } else summary.unchanged++;

  const [features, states, segments, segmentOverrides, tenantOverrides] = await Promise.all([
    deps.store.listAll({ of: 'features', projectId: project.id }),
    deps.store.listAll({ of: 'feature-states', envId: environment.id }),
    deps.store.listAll({ of: 'segments', projectId: project.id }),
    deps.store.listAll({ of: 'segment-overrides', envId: environment.id }),
    deps.store.listAll({ of: 'tenant-overrides', envId: environment.id }),
  ]);
  const featureByName = new Map(features.map((feature) => [feature.name, feature]));

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
        valueType: valueTypeOf([source.feature_state_value, ...options.map((o) => o.value)]),
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
    const current = states.find((state) => state.featureId === feature.id) ?? defaultState(env, feature);
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
    // The one write path: state (conditional on the version read), version record and event.
    groups.push(featureStateWrites(deps, actor, env, feature, current, { enabled: next.enabled, value: next.value, weights: next.weights }, { hashKey: next.hashKey }).writes);
    count('featureStates', current.version === 0);
  }

  for (const source of document.project.segments ?? []) {
    // Vexilla's own documents carry tenant overrides as segments at the tenant priority.
    const tenant = tenantOf(source);
    if (tenant) {
      for (const override of source.feature_states ?? []) {
        const feature = featureByName.get(override.feature.name);
        if (!feature) continue;
        const current = tenantOverrides.find((o) => o.featureId === feature.id && o.tenantId === tenant);
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
    const rules = convertRules(source.rules);
    let segment: Segment | undefined = segments.find((candidate) => candidate.numericId === source.id && candidate.hashKey === String(source.id));
    // Compared in the document's own form, so equivalent rules written differently are equal.
    if (!segment || segment.name !== source.name || !same(convertRules(documentRules(segment.rules) as SourceRule[]), rules)) {
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
      const feature = featureByName.get(override.feature.name);
      if (!feature) continue;
      const current = segmentOverrides.find((o) => o.featureId === feature.id && o.segmentId === segment.id);
      const next: Omit<SegmentOverride, 'version' | 'createdAt' | 'updatedAt'> = {
        type: 'segment-override',
        orgId: env.orgId,
        projectId: env.projectId,
        envId: env.id,
        featureId: feature.id,
        featureName: feature.name,
        segmentId: segment.id,
        priority: Math.min(Math.max(override.feature_segment?.priority ?? 1_000_000, 0), 1_000_000),
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

  for (const identity of document.identity_overrides ?? []) {
    const existing = await deps.store.listAll({ of: 'identity-overrides', envId: env.id, identifier: identity.identifier });
    for (const source of identity.identity_features ?? []) {
      const feature = featureByName.get(source.feature.name);
      if (!feature) continue;
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
      stageOverride('identityOverrides', current, next, { kind: 'identity-override', identifier: identity.identifier, featureName: feature.name });
    }
  }

  // Governance: feature states and segment and tenant overrides of an environment that requires
  // approvals change only through change requests.
  const governedChanges = GOVERNED_KINDS.reduce((n, kind) => n + (summary.created[kind] ?? 0) + (summary.updated[kind] ?? 0), 0);
  const refusal = governedChanges > 0 ? directWriteRefusal(environment) : undefined;
  if (refusal && summary.dryRun) summary.refused = refusal;
  else if (refusal) refuseDirectWrites(environment);
  if (summary.dryRun) return summary;
  // Each change is atomic with its version and event; changes commit in batches of up to 99
  // writes. If anything moved meanwhile, importing again picks up where this stopped.
  // A batch that writes feature states also checks the environment is unchanged since governance
  // allowed them (at most 99 + 1 items), unless it writes the environment itself, whose own
  // version condition says the same (DynamoDB allows one operation per item).
  const writes = (batch: Write[], type: string) => batch.some((write) => write.kind === 'put' && write.entity.type === type);
  const writesGoverned = (batch: Write[]) => GOVERNED_TYPES.some((type) => writes(batch, type));
  let batch: Write[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const governed = writesGoverned(batch) && !writes(batch, 'environment');
    try {
      await deps.store.commit(governed ? [...batch, environmentUnchanged(env)] : batch);
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
      const refused = writesGoverned(batch) ? await refusalNow(deps, environment, directWriteConflict) : undefined;
      throw refused ?? new Conflict('Something changed during the import; import again to finish (importing is idempotent).');
    }
    batch = [];
  };
  for (const group of groups) {
    if (batch.length + group.length > 99) await flush();
    batch.push(...group);
  }
  await flush();
  return summary;
}

