/**
 * Everything the SDK-facing API needs about one environment, loaded once and evaluated many
 * times: the engine's compiled evaluator, and the parts the Flagsmith document is built from.
 */
import {
  createEvaluator,
  type EnvironmentParts,
  type Evaluator,
  type FeatureContext,
  type SegmentContext,
} from '../engine/index.js';
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
  TenantOverride,
} from './entities.js';
import type { Store } from './ports.js';
import { defaultState } from './use-cases/features.js';
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

/** The engine's view of a feature in an environment. */
export function featureContext(feature: Feature, state: FeatureState): FeatureContext {
  const context: FeatureContext = {
    key: state.hashKey,
    name: feature.name,
    enabled: state.enabled,
    value: state.value,
    metadata: { id: feature.numericId },
  };
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

/** Loads an environment's snapshot (seven queries; nothing on the path scans). */
export async function loadSnapshot(store: Store, envId: string): Promise<EnvironmentSnapshot | undefined> {
  const environment = await store.get({ type: 'environment', id: envId });
  if (!environment) return undefined;
  const [organisation, project, features, stored, segments, segmentOverrides, tenantOverrides, deleting] = await Promise.all([
    store.get({ type: 'organisation', id: environment.orgId }),
    store.get({ type: 'project', id: environment.projectId }),
    store.listAll({ of: 'features', projectId: environment.projectId }),
    store.listAll({ of: 'feature-states', envId }),
    store.listAll({ of: 'segments', projectId: environment.projectId }),
    store.listAll({ of: 'segment-overrides', envId }),
    store.listAll({ of: 'tenant-overrides', envId }),
    store.listAll({ of: 'deleting-identities', envId }),
  ]);
  if (!organisation || !project) return undefined;

  const storedByFeature = new Map(stored.map((state) => [state.featureId, state]));
  const states = features.map((feature) => storedByFeature.get(feature.id) ?? defaultState(environment, feature));
  const featuresById = new Map(features.map((feature) => [feature.id, feature]));
  const segmentIds = new Set(segments.map((segment) => segment.id));
  // Overrides of deleted features or segments no longer apply.
  const liveSegmentOverrides = segmentOverrides.filter((o) => featuresById.has(o.featureId) && segmentIds.has(o.segmentId));
  const liveTenantOverrides = tenantOverrides.filter((o) => featuresById.has(o.featureId));

  const segmentContexts: Record<string, SegmentContext> = {};
  for (const segment of segments) {
    segmentContexts[segment.hashKey] = {
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
  }
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
  const parts: EnvironmentParts = {
    environment: { key: environment.hashKey, name: environment.name },
    features: Object.fromEntries(features.map((feature, i) => [feature.name, featureContext(feature, states[i] as FeatureState)])),
    segments: segmentContexts,
    tenants: { traitKey: project.tenantTraitKey, overrides: Object.fromEntries(tenants) },
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
    deletingIdentities: new Set(deleting.map((identity) => identity.identifier)),
    parts,
    evaluator: createEvaluator(parts),
    updatedAt: latest(
      environment.updatedAt,
      project.updatedAt,
      ...features.map((f) => f.updatedAt),
      ...stored.map((s) => s.updatedAt),
      ...segments.map((s) => s.updatedAt),
      ...segmentOverrides.map((o) => o.updatedAt),
      ...tenantOverrides.map((o) => o.updatedAt),
    ),
  };
}

/** A value as Flagsmith's wire format carries it: JSON objects and arrays travel as strings. */
export function flagsmithValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value as JsonValue);
  return value as string | number | boolean;
}
