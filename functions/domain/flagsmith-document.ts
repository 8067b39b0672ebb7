/**
 * Flagsmith's wire formats, built from an environment snapshot: the flags list and the
 * environment document that Flagsmith SDKs parse for local evaluation. The document carries
 * the same hashing keys our engine uses, so local and remote evaluation agree bucket for bucket.
 */
import { compileTenantConditions, type FlagResult, type SegmentRule } from '../engine/trusted.js';
import type { Feature, FeatureState, IdentityOverride } from './entities.js';
import { type EnvironmentSnapshot, flagsmithValue, overrideHashKey, ROLLOUT_PRIORITY, rolloutSegment } from './environment-snapshot.js';
import { PREREQUISITE_GATE_PRIORITY, PREREQUISITES_MET_PRIORITY, prerequisiteCompilation } from './prerequisite-documents.js';
import { layerRules, TENANT_SEGMENT_ID_BASE, tenantLayer } from './tenant-documents.js';
import { stableUuid } from './use-cases/support.js';

/** A stable 31-bit number for ids that Flagsmith's formats need as integers but that mean nothing here. */
export function numberFor(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 1) || 1;
}

/** Prerequisite gates too (they hash nothing, so their ids only need to be distinct). */
const PREREQUISITE_SEGMENT_ID_BASE = 1_600_000_000;

export interface FlagsmithFlag {
  id: number;
  feature: { id: number; name: string; type: 'STANDARD' | 'MULTIVARIATE' };
  enabled: boolean;
  feature_state_value: string | number | boolean | null;
  environment: number;
  identity: null;
  feature_segment: null;
  /** Vexilla's additions, ignored by Flagsmith SDKs: why this value, and which variant. */
  reason: string;
  variant: string | null;
}

/** An engine flag result in the shape of Flagsmith's `flags/` and `identities/` answers. */
export function toFlagsmithFlag(snapshot: EnvironmentSnapshot, feature: Feature, result: FlagResult | undefined): FlagsmithFlag {
  return {
    id: numberFor(`${snapshot.environment.id}:${feature.id}`),
    feature: { id: feature.numericId, name: feature.name, type: feature.kind },
    enabled: result?.enabled ?? false,
    feature_state_value: flagsmithValue(result?.value),
    environment: numberFor(snapshot.environment.id),
    identity: null,
    feature_segment: null,
    reason: result?.reason ?? 'DEFAULT',
    variant: result?.variant ?? null,
  };
}

/** The hashing key as a document field: Flagsmith ids are `django_id`, ours are UUIDs. */
function hashKeyFields(hashKey: string): { django_id?: number; featurestate_uuid: string } {
  return /^\d+$/.test(hashKey) ? { django_id: Number(hashKey), featurestate_uuid: stableUuid(hashKey) } : { featurestate_uuid: hashKey };
}

function featureStateDocument(
  feature: Feature,
  fields: { hashKey: string; enabled: boolean; value: unknown; weights?: Record<string, number> },
  priority?: number,
) {
  const isMultivariate = feature.kind === 'MULTIVARIATE' && fields.weights !== undefined;
  return {
    feature: { id: feature.numericId, name: feature.name, type: feature.kind },
    enabled: fields.enabled,
    feature_state_value: flagsmithValue(fields.value),
    ...hashKeyFields(fields.hashKey),
    multivariate_feature_state_values: isMultivariate
      ? feature.options.map((option) => ({
          id: option.numericId,
          multivariate_feature_option: { id: option.numericId, value: flagsmithValue(option.value) },
          percentage_allocation: fields.weights?.[option.id] ?? option.defaultWeight,
          mv_fs_value_uuid: stableUuid(`${fields.hashKey}:${option.id}`),
        }))
      : [],
    feature_segment: priority === undefined ? null : { priority },
  };
}

/** Condition values travel as strings in Flagsmith documents; IN lists as JSON arrays. */
export function documentRules(rules: SegmentRule[]): unknown[] {
  return rules.map((rule) => ({
    type: rule.type,
    conditions: (rule.conditions ?? []).map((condition) => ({
      operator: condition.operator,
      property_: condition.property ?? null,
      value:
        condition.value === undefined || condition.value === null
          ? null
          : typeof condition.value === 'string'
            ? condition.value
            : Array.isArray(condition.value)
              ? JSON.stringify(condition.value)
              : typeof condition.value === 'boolean'
                ? (condition.value ? 'True' : 'False')
                : String(condition.value),
    })),
    rules: documentRules(rule.rules ?? []),
  }));
}

export interface IdentityOverrideDocument {
  identifier: string;
  identity_uuid: string;
  environment_api_key: string;
  created_date: string;
  identity_traits: never[];
  identity_features: ReturnType<typeof featureStateDocument>[];
}

/**
 * Identity overrides grouped per identity, in the document's `identity_overrides` shape. A
 * feature whose prerequisites fail for everyone is off in them too, unless `derived` is false
 * (export: the stored overrides as they are).
 */
export function identityOverrideDocuments(snapshot: EnvironmentSnapshot, overrides: IdentityOverride[], options: { derived?: boolean } = {}): IdentityOverrideDocument[] {
  const features = new Map(snapshot.features.map((feature) => [feature.id, feature]));
  const alwaysOff = new Set((options.derived ?? true) ? prerequisiteCompilation(snapshot).gates.filter((gate) => gate.alwaysOff).map((gate) => gate.featureName) : []);
  const environmentValue = new Map(snapshot.features.map((feature, i) => [feature.id, snapshot.states[i]?.value ?? null]));
  const byIdentity = new Map<string, IdentityOverrideDocument>();
  for (const override of overrides) {
    const feature = features.get(override.featureId);
    if (!feature || snapshot.deletingIdentities.has(override.identifier)) continue;
    let identity = byIdentity.get(override.identifier);
    if (!identity) {
      identity = {
        identifier: override.identifier,
        identity_uuid: stableUuid(`${snapshot.environment.id}:identity:${override.identifier}`),
        environment_api_key: snapshot.environment.hashKey,
        created_date: override.createdAt,
        identity_traits: [],
        identity_features: [],
      };
      byIdentity.set(override.identifier, identity);
    }
    const off = alwaysOff.has(feature.name);
    identity.identity_features.push(
      featureStateDocument(feature, {
        hashKey: overrideHashKey(snapshot.environment, feature, `identity:${override.identifier}`),
        enabled: off ? false : override.enabled,
        value: off ? environmentValue.get(feature.id) : override.value,
      }),
    );
  }
  return [...byIdentity.values()];
}

type DocumentSegment = { id: number; name: string; rules: unknown[]; feature_states: ReturnType<typeof featureStateDocument>[] };

/** Rollouts in progress as segments, with the ids they bucket by and the same split our engine evaluates. */
function rolloutSegments(snapshot: EnvironmentSnapshot): DocumentSegment[] {
  return snapshot.features.flatMap((feature, i) => {
    const state = snapshot.states[i] as FeatureState;
    const segment = rolloutSegment(feature, state);
    if (!segment || !state.rollout) return [];
    const target = state.rollout.target;
    return [
      {
        id: state.rollout.segmentId,
        name: segment.name,
        rules: documentRules(segment.rules),
        feature_states: [featureStateDocument(feature, { hashKey: state.hashKey, enabled: target.enabled, value: target.value, weights: target.weights }, ROLLOUT_PRIORITY)],
      },
    ];
  });
}

/**
 * Rules as Flagsmith SDKs can evaluate them: conditions on tenant traits (`tenant.plan`) become
 * IN lists of tenant keys on the tenant trait (engine/tenant-conditions.ts). `segmentKey` is the
 * segment's hashing key (a PERCENTAGE_SPLIT on a tenant trait hashes with it).
 */
function flagsmithRules(snapshot: EnvironmentSnapshot, rules: SegmentRule[], segmentKey: string): SegmentRule[] {
  const tenants = snapshot.parts.tenants;
  return tenants ? compileTenantConditions(rules, segmentKey, tenants) : rules;
}

/**
 * Prerequisites in the document (see prerequisite-documents.ts): features off for everyone are
 * written off; per-identity gates become segments. The prerequisites themselves travel in the
 * `vexilla` extension, which Flagsmith SDKs ignore and the Vexilla SDK evaluates natively.
 */
function withPrerequisites(snapshot: EnvironmentSnapshot, featureStates: ReturnType<typeof featureStateDocument>[], segments: DocumentSegment[]) {
  const index = new Map(snapshot.features.map((feature, i) => [feature.name, i]));
  const offState = (i: number) => {
    const feature = snapshot.features[i] as Feature;
    const state = snapshot.states[i] as FeatureState;
    return featureStateDocument(feature, { hashKey: state.hashKey, enabled: false, value: state.value });
  };
  const derived: DocumentSegment[] = [];
  for (const [k, gate] of prerequisiteCompilation(snapshot).gates.entries()) {
    const i = index.get(gate.featureName) as number;
    const feature = snapshot.features[i] as Feature;
    const state = snapshot.states[i] as FeatureState;
    if (gate.alwaysOff) {
      // Off for every identity and without one: its own state off, and nothing that could turn it on.
      featureStates[i] = offState(i);
      for (const segment of segments) segment.feature_states = segment.feature_states.filter((fs) => fs.feature.name !== feature.name);
      continue;
    }
    if (gate.failRule) {
      derived.push({
        id: PREREQUISITE_SEGMENT_ID_BASE + 2 * k,
        name: `prerequisites:${feature.name}`,
        rules: documentRules(flagsmithRules(snapshot, [gate.failRule], '')),
        feature_states: [featureStateDocument(feature, { hashKey: stableUuid(`prerequisites:${state.hashKey}`), enabled: false, value: state.value }, PREREQUISITE_GATE_PRIORITY)],
      });
    }
    if (gate.metRule) {
      featureStates[i] = offState(i);
      derived.push({
        id: PREREQUISITE_SEGMENT_ID_BASE + 2 * k + 1,
        name: `prerequisites-met:${feature.name}`,
        rules: documentRules(flagsmithRules(snapshot, [gate.metRule], '')),
        // The same hashing key as its own state, so a multivariate split buckets identically.
        feature_states: [featureStateDocument(feature, state, PREREQUISITES_MET_PRIORITY)],
      });
    }
  }
  const prerequisites = Object.fromEntries(
    Object.values(snapshot.parts.features ?? {}).flatMap((feature) => (feature.prerequisites?.length ? [[feature.name, feature.prerequisites]] : [])),
  );
  return { segments: [...segments, ...derived], extension: Object.keys(prerequisites).length > 0 ? { vexilla: { prerequisites } } : {} };
}

/**
 * The tenant layer as document segments (tenant-documents.ts), the reasons the Vexilla SDK reads
 * for them, and the features whose own state the document writes off (tenant-scoped ones).
 */
function tenantLayerDocument(snapshot: EnvironmentSnapshot, featuresByName: ReadonlyMap<string, Feature>, derived: boolean) {
  const { segments, offStates } = tenantLayer(snapshot, derived);
  const reasons: Record<string, string> = {};
  const documents: DocumentSegment[] = segments.map(({ id, segment }) => {
    if (segment.reason) reasons[String(id)] = segment.reason;
    const restores = segment.metadata?.source === 'tenant_scoped_met';
    return {
      id,
      name: segment.name,
      rules: documentRules(layerRules(snapshot, segment, derived)),
      feature_states: (segment.overrides ?? []).flatMap((override) => {
        const feature = featuresByName.get(override.name);
        if (!feature) return [];
        const state = snapshot.states[snapshot.features.indexOf(feature)] as FeatureState;
        // Restoring a feature's own state: the same hashing key and weights, so splits bucket alike.
        return [featureStateDocument(feature, restores ? state : { hashKey: override.key, enabled: override.enabled, value: override.value }, override.priority ?? undefined)];
      }),
    };
  });
  return { segments: documents, reasons, offStates };
}

/** The document's `vexilla` extension with the tenant layer's reasons added (when there are any). */
function withReasons(extension: { vexilla?: Record<string, unknown> }, reasons: Record<string, string>) {
  if (Object.keys(reasons).length === 0) return extension;
  return { vexilla: { ...(extension.vexilla ?? {}), reasons } };
}

/**
 * The environment document (`environment-document/`), without identity overrides. `derived`
 * (default true) adds what Vexilla compiles into Flagsmith's format (prerequisites); export
 * leaves it out and carries what is stored.
 */
export function environmentDocument(snapshot: EnvironmentSnapshot, options: { derived?: boolean } = {}) {
  const { organisation, project, environment } = snapshot;
  const features = new Map(snapshot.features.map((feature) => [feature.id, feature]));
  const featuresByName = new Map(snapshot.features.map((feature) => [feature.name, feature]));
  const derived = options.derived ?? true;
  // Tenant-scoped segments are written with the tenant layer (below), with their tenant condition.
  const segments = snapshot.segments.filter((segment) => !segment.tenantKey).map((segment) => ({
    id: segment.numericId,
    name: segment.name,
    // Export carries rules as stored; served documents, as Flagsmith SDKs evaluate them.
    rules: documentRules(derived ? flagsmithRules(snapshot, segment.rules, segment.hashKey) : segment.rules),
    feature_states: snapshot.segmentOverrides
      .filter((override) => override.segmentId === segment.id)
      .map((override) => featureStateDocument(features.get(override.featureId) as Feature, override, override.priority)),
  }));
  // The tenant layer (tenant overrides, tenant-scoped segments, templates) as segments in its
  // priority bands, so SDKs evaluating locally follow the same order (see tenant-documents.ts).
  const tenantLayer = tenantLayerDocument(snapshot, featuresByName, derived);
  const featureStates = snapshot.features.map((feature, i) => featureStateDocument(feature, snapshot.states[i] as FeatureState));
  // Tenant-scoped features: off in the document's own state, gated and restored by segments.
  if (derived) for (const i of tenantLayer.offStates) featureStates[i] = featureStateDocument(snapshot.features[i] as Feature, { ...(snapshot.states[i] as FeatureState), enabled: false });
  const plain = { segments: [...segments, ...tenantLayer.segments] as DocumentSegment[], extension: {} };
  // A rollout in progress: its split as the segment our engine evaluates (see rolloutSegment).
  const rollouts = derived ? rolloutSegments(snapshot) : [];
  const { segments: allSegments, extension } = derived ? withPrerequisites(snapshot, featureStates, [...plain.segments, ...rollouts]) : plain;
  return {
    id: numberFor(environment.id),
    api_key: environment.hashKey,
    name: environment.name,
    project: {
      id: numberFor(project.id),
      name: project.name,
      organisation: {
        id: numberFor(organisation.id),
        name: organisation.name,
        feature_analytics: true,
        stop_serving_flags: false,
        persist_trait_data: true,
      },
      hide_disabled_flags: false,
      segments: allSegments,
    },
    feature_states: featureStates,
    identity_overrides: [] as IdentityOverrideDocument[],
    updated_at: new Date(snapshot.updatedAt * 1000).toISOString(),
    ...withReasons(extension, tenantLayer.reasons),
  };
}

/** The same value with every object's keys sorted, so equal content serialises equally. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, inner]) => [key, sortedKeys(inner)]),
    );
  }
  return value;
}

/** JSON with object keys sorted, so equal content gives equal bytes. */
export const canonicalJson = (value: unknown): string => `${JSON.stringify(sortedKeys(value), null, 2)}\n`;

/**
 * An environment as a deterministic Flagsmith-format document: what `vexilla export` prints.
 * Everything that names this environment rather than its content (ids, names, timestamps,
 * UUIDs derived from our own ids) is left out or fixed, so exporting, importing into a new
 * environment and exporting again gives the same bytes.
 */
export function exportDocument(snapshot: EnvironmentSnapshot, overrides: IdentityOverride[]): string {
  const document = environmentDocument(snapshot, { derived: false });
  const byName = <T extends { feature: { name: string } }>(states: T[]) => [...states].sort((a, b) => (a.feature.name < b.feature.name ? -1 : 1));
  const stripStates = <T extends Record<string, unknown>>(states: T[]) =>
    states.map((state) => ({
      ...state,
      multivariate_feature_state_values: (state.multivariate_feature_state_values as Record<string, unknown>[]).map(({ mv_fs_value_uuid: _uuid, ...value }) => value),
    }));
  const regular = document.project.segments.filter((segment) => segment.id < TENANT_SEGMENT_ID_BASE).sort((a, b) => a.id - b.id);
  const tenants = document.project.segments
    .filter((segment) => segment.id >= TENANT_SEGMENT_ID_BASE)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    // Tenant overrides never split, so their hashing keys (derived from our ids) are left out.
    .map((segment, i) => ({
      ...segment,
      id: TENANT_SEGMENT_ID_BASE + i,
      feature_states: segment.feature_states.map(({ featurestate_uuid: _uuid, ...state }) => state) as typeof segment.feature_states,
    }));
  return canonicalJson({
    api_key: document.api_key,
    project: {
      id: 1,
      name: 'export',
      hide_disabled_flags: false,
      organisation: { id: 1, name: 'export', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      segments: [...regular, ...tenants].map((segment) => ({ ...segment, feature_states: stripStates(byName(segment.feature_states)) })),
    },
    feature_states: stripStates(byName(document.feature_states)),
    identity_overrides: identityOverrideDocuments(snapshot, overrides, { derived: false })
      .sort((a, b) => (a.identifier < b.identifier ? -1 : 1))
      .map((identity) => ({
        identifier: identity.identifier,
        identity_traits: [],
        identity_features: byName(identity.identity_features).map(({ featurestate_uuid: _uuid, ...state }) => state),
      })),
  });
}
