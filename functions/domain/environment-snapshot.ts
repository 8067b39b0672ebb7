/**
 * Everything the SDK-facing API needs about one environment, loaded once and evaluated many
 * times: the engine's compiled evaluator, and the parts the Flagsmith document is built from.
 */
import {
  createTrustedEvaluator,
  type EnvironmentParts,
  type Evaluator,
  type FeatureContext,
  type Prerequisite,
  readsTenantTraits,
  type SegmentContext,
  type TenantRecord,
} from '../engine/trusted.js';
import { loadConditionLibrariesFor } from '../engine/condition-libraries.js';
import type {
  Environment,
  Feature,
  FeatureState,
  IdentityOverride,
  JsonValue,
  Organisation,
  Project,
  Segment,
  SegmentOverride,
  Template,
  TemplateValues,
  Tenant,
  TenantOverride,
} from './entities.js';
import type { Store } from './ports.js';
import { defaultState } from './use-cases/default-state.js';
import { stableUuid } from './use-cases/support.js';

export interface EnvironmentSnapshot {
  organisation: Organisation;
  project: Project;
  environment: Environment;
  features: Feature[];
  states: FeatureState[];
  segments: Segment[];
  segmentOverrides: SegmentOverride[];
  tenantOverrides: TenantOverride[];
  /**
   * The project's tenants, when a segment reads their traits (`tenant.<trait>`) or templates
   * exist and the snapshot was loaded with every tenant; otherwise none are loaded.
   */
  tenants: Tenant[];
  /**
   * `own`: loaded without tenants, for evaluation only (remote evaluation, OFREP, explain): an
   * evaluation that {@link needsTenant} is given the identity's own tenant's record instead
   * (`evaluateIdentity`). `all`: every tenant, as Flagsmith-format documents need (IN lists).
   */
  tenantScope: TenantScope;
  /** Whether evaluation reads a tenant's record (a segment reads tenant traits, or templates exist). */
  needsTenant: boolean;
  /** The project's templates, in order (rank, then key). */
  templates: Template[];
  /** This environment's values of each template. */
  templateValues: TemplateValues[];
  /** Identities being deleted: their overrides, still stored until the deletion finishes, no longer apply. */
  deletingIdentities: ReadonlySet<string>;
  /** Engine input without identity; `evaluator` is compiled from it. */
  parts: EnvironmentParts;
  evaluator: Evaluator;
  /** Latest change to anything in the snapshot, epoch seconds (Flagsmith's document-updated-at). */
  updatedAt: number;
}

/**
 * The variant key results report for a multivariate option: its Flagsmith-format id, which the
 * environment document carries too, so local and remote evaluation name the same variant.
 */
export const variantKey = (numericId: number) => String(numericId);

/**
 * A feature's prerequisites as the engine reads them: by name, a variant by its key. An option
 * that no longer exists keeps a key no variant has, so the requirement fails rather than lapses.
 */
export function enginePrerequisites(feature: Feature, features: ReadonlyMap<string, Feature>): Prerequisite[] | undefined {
  if (!feature.prerequisites?.length) return undefined;
  return feature.prerequisites.map((prerequisite) => {
    const option = prerequisite.variant === undefined ? undefined : features.get(prerequisite.featureName)?.options.find((o) => o.id === prerequisite.variant);
    return {
      feature: prerequisite.featureName,
      ...(prerequisite.variant !== undefined ? { variant: option ? variantKey(option.numericId) : `missing:${prerequisite.variant}` } : {}),
      ...(prerequisite.value !== undefined ? { value: prerequisite.value } : {}),
    };
  });
}

/** The engine's view of a feature in an environment (`features`, by name, resolves prerequisites). */
export function featureContext(feature: Feature, state: FeatureState, features?: ReadonlyMap<string, Feature>): FeatureContext {
  const context: FeatureContext = {
    key: state.hashKey,
    name: feature.name,
    enabled: state.enabled,
    value: state.value,
    metadata: { id: feature.numericId },
  };
  const prerequisites = features ? enginePrerequisites(feature, features) : undefined;
  if (prerequisites) context.prerequisites = prerequisites;
  if (feature.kind === 'MULTIVARIATE' && feature.options.length > 0) {
    context.variants = feature.options.map((option) => ({
      value: option.value,
      weight: state.weights[option.id] ?? option.defaultWeight,
      priority: option.numericId,
      key: variantKey(option.numericId),
    }));
  }
  return context;
}

/**
 * Rollout splits rank below every segment override: a rollout moves what the environment serves
 * by default, and identity, tenant and segment overrides keep winning, as they do before and after.
 */
export const ROLLOUT_PRIORITY = 2_000_000_000;

/**
 * A rollout's split as a segment: identities whose Flagsmith hash of (segment id, identity key)
 * is within the percentage get the target. Flagsmith SDKs evaluate the same PERCENTAGE_SPLIT
 * condition with the same hash, so they agree bucket for bucket; and since the segment id never
 * changes, whoever has the target at n% still has it at every larger percentage.
 */
export function rolloutSegment(feature: Feature, state: FeatureState): SegmentContext | undefined {
  const split = state.rollout;
  if (!split || !(split.percentage > 0)) return undefined;
  return {
    key: String(split.segmentId),
    name: `rollout:${feature.name}`,
    rules: [{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', value: split.percentage }] }],
    overrides: [{ ...featureContext(feature, { ...state, ...split.target }), priority: ROLLOUT_PRIORITY }],
    metadata: { id: split.segmentId, source: 'rollout', rollout: split.id },
  };
}

/** The hashing key of a tenant or identity override's feature state (stable, never stored). */
export const overrideHashKey = (environment: Environment, feature: Feature, scope: string) =>
  stableUuid(`${environment.id}:${feature.id}:${scope}`);

/** Identity overrides as engine feature contexts (they carry no split). */
export function identityOverrideContexts(
  environment: Environment,
  features: Map<string, Feature>,
  overrides: IdentityOverride[],
): FeatureContext[] {
  return overrides.flatMap((override) => {
    const feature = features.get(override.featureId);
    if (!feature) return [];
    return [
      {
        key: overrideHashKey(environment, feature, `identity:${override.identifier}`),
        name: feature.name,
        enabled: override.enabled,
        value: override.value,
        metadata: { id: feature.numericId },
      },
    ];
  });
}

function latest(...stamps: (string | undefined)[]): number {
  let max = 0;
  for (const stamp of stamps) if (stamp) max = Math.max(max, Date.parse(stamp));
  return max / 1000;
}

/** A project's reads shared by the snapshots of its environments ({@link loadSnapshot}'s `projectReads`): a new Map per batch. */
export type ProjectReads = Map<string, Promise<unknown>>;

/** Which tenants a snapshot holds: every one (documents), or none (evaluation reads the identity's own). */
export type TenantScope = 'all' | 'own';

/**
 * Loads an environment's snapshot (a dozen queries; nothing on the path scans). With `tenants:
 * 'own'` the project's tenants are not read at all, so loading costs the same with ten tenants or
 * a hundred thousand; evaluations then read the identity's tenant alone ({@link tenantRecordOf}).
 */
export async function loadSnapshot(
  store: Store,
  envId: string,
  {
    tenants: tenantScope = 'all',
    tenant: onlyTenant,
    projectReads,
  }: {
    tenants?: TenantScope;
    tenant?: string | undefined;
    /**
     * Shares the project's reads (organisation, project, features, segments, templates, tenants)
     * between the snapshots of one project's environments loaded together: one read each instead
     * of one per environment. Only where the snapshots need not be read after something else
     * (the document budget's measure must follow its bound's read, so it shares nothing).
     */
    projectReads?: ProjectReads;
  } = {},
): Promise<EnvironmentSnapshot | undefined> {
  const environment = await store.get({ type: 'environment', id: envId });
  if (!environment) return undefined;
  const shared = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!projectReads) return read();
    let value = projectReads.get(key) as Promise<T> | undefined;
    if (!value) projectReads.set(key, (value = read()));
    return value;
  };
  const { orgId, projectId } = environment;
  const [organisation, project, features, stored, segments, segmentOverrides, tenantOverrides, deleting, templates, templateValues] = await Promise.all([
    shared(`organisation ${orgId}`, () => store.get({ type: 'organisation', id: orgId })),
    shared(`project ${projectId}`, () => store.get({ type: 'project', id: projectId })),
    shared(`features ${projectId}`, () => store.listAll({ of: 'features', projectId })),
    store.listAll({ of: 'feature-states', envId }),
    shared(`segments ${projectId}`, () => store.listAll({ of: 'segments', projectId })),
    store.listAll({ of: 'segment-overrides', envId }),
    store.listAll({ of: 'tenant-overrides', envId }),
    store.listAll({ of: 'deleting-identities', envId }),
    shared(`templates ${projectId}`, () => store.listAll({ of: 'templates', projectId })),
    store.listAll({ of: 'template-values', envId }),
  ]);
  if (!organisation || !project) return undefined;
  // Tenants are only read when a segment's conditions read their traits or templates exist (assignments): one more query, then.
  const needsTenants = tenantScope === 'all' && needsTenantRecords(project, segments, templates);
  const tenants = !needsTenants
    ? []
    : onlyTenant === undefined
      ? await shared(`tenants ${project.id}`, () => store.listAll({ of: 'tenants', projectId: project.id }))
      : [await store.get({ type: 'tenant', projectId: project.id, key: onlyTenant })].filter((tenant) => tenant !== undefined);
  // The Lambda bundles load the regex and JSONPath libraries on demand: before compiling.
  await loadConditionLibrariesFor([segments, templates]);
  const entities: SnapshotEntities = {
    organisation,
    project,
    environment,
    features,
    stored,
    segments,
    segmentOverrides,
    tenantOverrides,
    tenants,
    templates,
    templateValues,
    deletingIdentities: deleting.map((identity) => identity.identifier),
    tenantScope,
  };
  return snapshotOf(onlyTenant === undefined ? entities : onlyTenantOf(entities, onlyTenant));
}

/**
 * An environment as one tenant's server key sees it (a per-tenant document): every other
 * tenant's overrides, tenant-scoped segments and records dropped, and tenant-scoped features
 * listing at most this tenant. An identity naming another tenant is then evaluated as one naming
 * a tenant that does not exist: no tenant traits, templates or overrides, tenant-scoped features
 * off. Pure.
 */
export function onlyTenantOf(entities: SnapshotEntities, tenantKey: string): SnapshotEntities {
  return {
    ...entities,
    tenants: (entities.tenants ?? []).filter((tenant) => tenant.key === tenantKey),
    tenantOverrides: entities.tenantOverrides.filter((override) => override.tenantId === tenantKey),
    segments: entities.segments.filter((segment) => segment.tenantKey === null || segment.tenantKey === undefined || segment.tenantKey === tenantKey),
    features: entities.features.map((feature) => (feature.tenants ? { ...feature, tenants: feature.tenants.filter((key) => key === tenantKey) } : feature)),
  };
}

/** Whether evaluation reads tenants' records: a segment reads their traits, or templates exist (assignments). */
const needsTenantRecords = (project: Project, segments: readonly Segment[], templates: readonly Template[]): boolean =>
  templates.length > 0 || segments.some((segment) => readsTenantTraits(segment.rules, project.tenantTraitKey));

/** A tenant as the engine reads it at evaluation time. */
export const tenantRecordOf = (tenant: Tenant): TenantRecord => ({ key: tenant.key, traits: tenant.traits, templates: tenant.templates });

/**
 * The identity's tenant's record, when the snapshot was loaded without tenants and evaluation
 * reads one: the key the identity's tenant trait names, read through `read` (one GetItem, or a
 * cache of them). An unknown tenant is an empty record: no traits, no templates.
 */
export async function identityTenant(
  snapshot: EnvironmentSnapshot,
  identity: { identifier: string; traits: Record<string, unknown> },
  read: (key: string) => Promise<Tenant | undefined>,
): Promise<TenantRecord | undefined> {
  if (snapshot.tenantScope !== 'own' || !snapshot.needsTenant) return undefined;
  const key = snapshot.evaluator.tenantKey(identity as Parameters<Evaluator['tenantKey']>[0]);
  if (key === undefined) return undefined;
  const tenant = await read(key);
  return tenant ? tenantRecordOf(tenant) : { key, traits: {} };
}

/** What a snapshot is built from: an environment's entities as stored. */
export interface SnapshotEntities {
  organisation: Organisation;
  project: Project;
  environment: Environment;
  features: Feature[];
  /** The stored feature states (features without one serve their defaults). */
  stored: FeatureState[];
  segments: Segment[];
  segmentOverrides: SegmentOverride[];
  tenantOverrides: TenantOverride[];
  /** The project's tenants (with their traits and assigned templates). */
  tenants?: Tenant[];
  templates?: Template[];
  templateValues?: TemplateValues[];
  /** Identities being deleted: their overrides no longer apply. */
  deletingIdentities?: string[];
  /** `own`: `tenants` is empty because evaluations are given the identity's tenant instead. @default 'all' */
  tenantScope?: TenantScope;
}

/** Builds a snapshot from stored entities: the engine's parts, compiled, and what documents are made of. Pure. */
export function snapshotOf({
  organisation,
  project,
  environment,
  features,
  stored,
  segments,
  segmentOverrides,
  tenantOverrides,
  tenants: tenantRecords = [],
  templates: templateRecords = [],
  templateValues = [],
  deletingIdentities = [],
  tenantScope = 'all',
}: SnapshotEntities): EnvironmentSnapshot {
  const storedByFeature = new Map(stored.map((state) => [state.featureId, state]));
  const states = features.map((feature) => storedByFeature.get(feature.id) ?? defaultState(environment, feature));
  const featuresById = new Map(features.map((feature) => [feature.id, feature]));
  const featuresByName = new Map(features.map((feature) => [feature.name, feature]));
  const segmentIds = new Set(segments.map((segment) => segment.id));
  // Overrides of deleted features or segments no longer apply.
  const liveSegmentOverrides = segmentOverrides.filter((o) => featuresById.has(o.featureId) && segmentIds.has(o.segmentId));
  const liveTenantOverrides = tenantOverrides.filter((o) => featuresById.has(o.featureId));

  const segmentContexts: Record<string, SegmentContext> = {};
  // A Map, not a record: tenant keys are user data. Tenant-scoped segments are found by their tenant.
  const tenantSegments = new Map<string, SegmentContext[]>();
  for (const segment of segments) {
    const context: SegmentContext = {
      key: segment.hashKey,
      name: segment.name,
      rules: segment.rules,
      metadata: { id: segment.numericId },
      overrides: liveSegmentOverrides
        .filter((override) => override.segmentId === segment.id)
        .map((override) => {
          const feature = featuresById.get(override.featureId) as Feature;
          return {
            key: override.hashKey,
            name: feature.name,
            enabled: override.enabled,
            value: override.value,
            priority: override.priority,
            metadata: { id: feature.numericId },
          };
        }),
    };
    if (segment.tenantKey === null || segment.tenantKey === undefined) segmentContexts[segment.hashKey] = context;
    else tenantSegments.set(segment.tenantKey, [...(tenantSegments.get(segment.tenantKey) ?? []), context]);
  }
  features.forEach((feature, i) => {
    const segment = rolloutSegment(feature, states[i] as FeatureState);
    if (segment) segmentContexts[segment.key] = segment;
  });
  // A Map, not a record: tenant ids are user data (`constructor` is a valid one).
  const tenants = new Map<string, FeatureContext[]>();
  for (const override of liveTenantOverrides) {
    const feature = featuresById.get(override.featureId) as Feature;
    if (!tenants.has(override.tenantId)) tenants.set(override.tenantId, []);
    tenants.get(override.tenantId)?.push({
      key: overrideHashKey(environment, feature, `tenant:${override.tenantId}`),
      name: feature.name,
      enabled: override.enabled,
      value: override.value,
      metadata: { id: feature.numericId },
    });
  }
  // Templates in order, each with its assigned tenants and this environment's values of live features.
  const templates = [...templateRecords].sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const valuesByTemplate = new Map(templateValues.map((values) => [values.templateKey, values.values]));
  const templateContexts = templates.map((template) => ({
    key: template.key,
    tenants: tenantRecords.filter((tenant) => tenant.templates?.includes(template.key)).map((tenant) => tenant.key),
    rules: template.rules,
    overrides: Object.entries(valuesByTemplate.get(template.key) ?? {}).flatMap(([name, value]) => {
      const feature = featuresByName.get(name);
      return feature
        ? [{ key: overrideHashKey(environment, feature, `template:${template.key}`), name, enabled: value.enabled, value: value.value, metadata: { id: feature.numericId } }]
        : [];
    }),
  }));
  const scopedFeatures = features.filter((feature) => feature.tenants);
  const parts: EnvironmentParts = {
    environment: { key: environment.hashKey, name: environment.name },
    features: Object.fromEntries(features.map((feature, i) => [feature.name, featureContext(feature, states[i] as FeatureState, featuresByName)])),
    segments: segmentContexts,
    tenants: {
      traitKey: project.tenantTraitKey,
      overrides: Object.fromEntries(tenants),
      traits: Object.fromEntries(tenantRecords.map((tenant) => [tenant.key, tenant.traits])),
      ...(tenantSegments.size ? { segments: Object.fromEntries(tenantSegments) } : {}),
      ...(templateContexts.length ? { templates: templateContexts } : {}),
      ...(scopedFeatures.length ? { features: Object.fromEntries(scopedFeatures.map((feature) => [feature.name, feature.tenants ?? []])) } : {}),
    },
  };
  return {
    organisation,
    project,
    environment,
    features,
    states,
    segments,
    segmentOverrides: liveSegmentOverrides,
    tenantOverrides: liveTenantOverrides,
    tenants: tenantRecords,
    tenantScope,
    needsTenant: needsTenantRecords(project, segments, templates),
    templates,
    templateValues,
    deletingIdentities: new Set(deletingIdentities),
    parts,
    // Built from stored entities, each validated when written: not validated again here.
    evaluator: createTrustedEvaluator(parts),
    updatedAt: latest(
      environment.updatedAt,
      project.updatedAt,
      ...features.map((f) => f.updatedAt),
      ...stored.map((s) => s.updatedAt),
      ...segments.map((s) => s.updatedAt),
      ...segmentOverrides.map((o) => o.updatedAt),
      ...tenantOverrides.map((o) => o.updatedAt),
      ...tenantRecords.map((t) => t.updatedAt),
      ...templateRecords.map((t) => t.updatedAt),
      ...templateValues.map((v) => v.updatedAt),
    ),
  };
}

/** A value as Flagsmith's wire format carries it: JSON objects and arrays travel as strings. */
export function flagsmithValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value as JsonValue);
  return value as string | number | boolean;
}
