import { compileCondition, conditionCost, isInLike, type ValueMatcher } from './conditions.js';
import { type ContextValue, toContextValue } from './context-values.js';
import { type HashKey, hashKey } from './hashing.js';
import { type CompiledPrerequisites, compilePrerequisites } from './prerequisites.js';
import { compileProperty, type PropertyReader, type PropertySource } from './properties.js';
import type {
  EnvironmentContext,
  EnvironmentParts,
  FeatureContext,
  FlagResult,
  SegmentCondition,
  SegmentContext,
  SegmentResult,
  SegmentRule,
  TenantOverrides,
} from './schema.js';

/**
 * Per-evaluation state: property values are resolved at most once per identity, and so are
 * conditions that several segments share (0 = not yet evaluated, 1 = true, 2 = false).
 */
export interface EvaluationState extends PropertySource {
  /** The identity key, encoded once for all the hashes of this evaluation. */
  identityHashKey: HashKey | undefined;
  values: (ContextValue | undefined | typeof UNRESOLVED)[];
  conditions: Uint8Array;
}
export const UNRESOLVED = Symbol('unresolved');

export type Predicate = (state: EvaluationState) => boolean;

/** A variant with its bucket range precomputed: the identity lands in it when `from <= p < to`. */
export interface CompiledVariant {
  value: unknown;
  key: string | null;
  from: number;
  to: number;
  reason: string;
}

/** A feature value source: the environment default, a segment override or a tenant override. */
export interface CompiledFeature {
  name: string;
  /** `<hashing key>,`: the identity key is appended to bucket an identity. */
  hashPrefix: HashKey;
  enabled: boolean;
  value: unknown;
  metadata: Record<string, unknown> | undefined;
  variants: CompiledVariant[];
}

export interface CompiledOverride {
  feature: CompiledFeature;
  priority: number;
  /** Position of the overridden feature in {@link CompiledEnvironment.features}; -1 if absent. */
  index: number;
  /** `TARGETING_MATCH; segment=<name>` of the segment that carries this override. */
  reason: string;
  /** The frozen result when no split applies: the same for every identity in the segment. */
  result: FlagResult;
}

export interface CompiledSegment {
  result: SegmentResult;
  matches: Predicate;
  overrides: CompiledOverride[];
}

export interface CompiledEnvironment {
  environment: EnvironmentContext;
  features: CompiledFeature[];
  /** Each feature's name, by position. */
  names: string[];
  /** Position of each feature by name. */
  featureIndex: Map<string, number>;
  /** The features that have prerequisites, resolved; undefined when none has. */
  prerequisites: CompiledPrerequisites | undefined;
  /** Frozen DEFAULT results per feature, shared by every identity that no split or override changes. */
  defaults: FlagResult[];
  segments: CompiledSegment[];
  tenants: CompiledTenants | undefined;
  /** Number of distinct condition properties: the size of {@link EvaluationState.values}. */
  propertyCount: number;
  /** Number of conditions shared by several rules: the size of {@link EvaluationState.conditions}. */
  sharedConditionCount: number;
  properties: PropertyReader[];
}

/**
 * The tenant layer, found by hash lookups on the identity's tenant: evaluation costs the same
 * with ten tenants or a hundred thousand.
 */
export interface CompiledTenants {
  read: (state: EvaluationState) => ContextValue | undefined;
  /** Per tenant: its overrides (a segment everyone of the tenant is in) and its tenant-scoped segments. */
  byTenant: Map<string, CompiledSegment[]>;
  /** Templates in order; each knows its assigned tenants (a Set) and its trait rule. */
  templates: CompiledSegment[];
  /** Tenant-scoped features: position, the tenants they exist for, and the result everyone else gets. */
  scoped: { index: number; tenants: Set<string>; off: FlagResult }[];
}

/**
 * The evaluation order, as priorities (lower wins; identity overrides, applied on top, outrank
 * all): tenant override → tenant-scoped segment overrides (by their own priority, 0 to 1,000,000)
 * → templates (in order) → project segment overrides → rollouts → environment state. Finite
 * numbers, so Flagsmith-format documents carry the same order as segment-override priorities.
 */
export const TENANT_OVERRIDE_PRIORITY = -1_000_000_000;
export const TENANT_SEGMENT_PRIORITY = -900_000_000;
export const TEMPLATE_PRIORITY = -800_000_000;
/** Tenant-scoped features are off for other tenants whatever else applies (only identity overrides rank above, in Flagsmith SDKs). */
export const TENANT_FEATURE_GATE_PRIORITY = -2_100_000_000;

/** Reasons that name the step of the order that decided a flag. */
export const TENANT_OVERRIDE_REASON = 'TENANT_OVERRIDE';
export const TENANT_SEGMENT_REASON = 'TENANT_SEGMENT';
export const TEMPLATE_REASON = 'TEMPLATE';
/** A tenant-scoped feature served to an identity outside its tenants: off. */
export const TENANT_SCOPED_REASON = 'TENANT_SCOPED';
export const tenantSegmentReason = (name: string) => `${TENANT_SEGMENT_REASON}; segment=${name}`;
export const templateReason = (key: string) => `${TEMPLATE_REASON}:${key}`;
export const DEFAULT_TENANT_TRAIT = 'tenant';
/** Condition properties that read the identity's tenant's traits: `tenant.plan`. */
export const TENANT_PROPERTY_PREFIX = 'tenant.';

/** The tenant trait a condition property names (`tenant.plan` → `plan`), if it names one. */
export const tenantTraitOf = (property: string | null | undefined): string | undefined =>
  property?.startsWith(TENANT_PROPERTY_PREFIX) ? property.slice(TENANT_PROPERTY_PREFIX.length) : undefined;

/** Tenant overrides as the segments a Flagsmith-format document carries: same results, by construction. */
export function tenantOverrideSegments(tenants: TenantOverrides): SegmentContext[] {
  const traitKey = tenants.traitKey ?? DEFAULT_TENANT_TRAIT;
  return Object.entries(tenants.overrides).map(([tenantId, overrides]) => ({
    key: `tenant:${tenantId}`,
    name: `tenant:${tenantId}`,
    rules: [{ type: 'ALL', conditions: [{ operator: 'IN', property: traitKey, value: tenantId }] }],
    overrides: overrides.map((override) => ({ ...override, priority: TENANT_OVERRIDE_PRIORITY })),
    metadata: { source: 'tenant_override', tenant: tenantId },
    reason: TENANT_OVERRIDE_REASON,
  }));
}

/** A condition that holds exactly for identities whose tenant trait names one of `keys` (str or int traits, as both engines match IN). */
export const tenantIn = (traitKey: string, keys: readonly string[]): SegmentCondition => ({ operator: 'IN', property: traitKey, value: keys.length ? keys.join(',') : '[]' });

/**
 * Tenant-scoped segments as plain segments: the segment's rules and "the identity's tenant is
 * this one"; overrides moved into the tenant-segment band. A segment without rules still
 * matches no one.
 */
export function tenantScopedSegments(tenants: Pick<TenantOverrides, 'traitKey' | 'segments'>): SegmentContext[] {
  const traitKey = tenants.traitKey ?? DEFAULT_TENANT_TRAIT;
  return Object.entries(tenants.segments ?? {}).flatMap(([tenantId, segments]) =>
    segments.map((segment) => ({
      ...segment,
      rules: segment.rules.length ? [{ type: 'ALL' as const, conditions: [tenantIn(traitKey, [tenantId])] }, ...segment.rules] : [],
      overrides: (segment.overrides ?? []).map((override) => ({ ...override, priority: TENANT_SEGMENT_PRIORITY + Math.max(0, Math.min(1_000_000, override.priority ?? 0)) })),
      metadata: { ...(segment.metadata ?? {}), source: 'tenant_segment', tenant: tenantId },
      reason: tenantSegmentReason(segment.name),
    })),
  );
}

/** Templates as plain segments: assigned tenants (IN) or the trait rule (still on `tenant.<trait>`), at their rank in order. */
export function templateSegments(tenants: Pick<TenantOverrides, 'traitKey' | 'templates'>): SegmentContext[] {
  const traitKey = tenants.traitKey ?? DEFAULT_TENANT_TRAIT;
  return (tenants.templates ?? []).map((template, rank) => {
    const ways: SegmentRule[] = [];
    if (template.tenants?.length) ways.push({ type: 'ALL', conditions: [tenantIn(traitKey, template.tenants)] });
    if (template.rules?.length) ways.push({ type: 'ALL', rules: template.rules });
    return {
      key: `template:${template.key}`,
      name: `template:${template.key}`,
      // No way in: matches no one (a segment without rules).
      rules: ways.length ? [{ type: 'ANY', rules: ways }] : [],
      overrides: template.overrides.map((override) => ({ ...override, priority: TEMPLATE_PRIORITY + rank })),
      metadata: { source: 'template', template: template.key },
      reason: templateReason(template.key),
    };
  });
}

/** Below every segment override, rollout and prerequisite gate: restores a tenant-scoped feature's own state for its tenants. */
export const TENANT_FEATURE_MET_PRIORITY = 2_050_000_000;

/**
 * Tenant-scoped features as plain segments: a gate serving the feature off to identities outside
 * its tenants (above every override but an identity's own), and, since Flagsmith SDKs apply no
 * segment without an identity, a segment of the lowest priority restoring its environment state
 * for its tenants (the document's own state of the feature is then off).
 */
export function tenantFeatureSegments(parts: Pick<EnvironmentParts, 'features' | 'tenants'>): { gates: SegmentContext[]; met: SegmentContext[] } {
  const traitKey = parts.tenants?.traitKey ?? DEFAULT_TENANT_TRAIT;
  const gates: SegmentContext[] = [];
  const met: SegmentContext[] = [];
  for (const [name, keys] of Object.entries(parts.tenants?.features ?? {})) {
    const feature = parts.features?.[name];
    if (!feature) continue;
    const { priority: _priority, prerequisites: _prerequisites, ...own } = feature;
    const inTenants: SegmentRule = { type: 'ALL', conditions: [tenantIn(traitKey, keys)] };
    gates.push({
      key: `tenant-scoped:${name}`,
      name: `tenant-scoped:${name}`,
      rules: [{ type: 'NONE', rules: [inTenants] }],
      overrides: [{ key: own.key, name, enabled: false, value: own.value ?? null, ...(own.metadata ? { metadata: own.metadata } : {}), priority: TENANT_FEATURE_GATE_PRIORITY }],
      metadata: { source: 'tenant_scoped', feature: name },
      reason: TENANT_SCOPED_REASON,
    });
    met.push({
      key: `tenant-scoped-met:${name}`,
      name: `tenant-scoped-met:${name}`,
      rules: [inTenants],
      overrides: [{ ...own, priority: TENANT_FEATURE_MET_PRIORITY }],
      metadata: { source: 'tenant_scoped_met', feature: name },
      // What the engine reports for a tenant's identity that nothing else decided.
      reason: 'DEFAULT',
    });
  }
  return { gates, met };
}

/**
 * The whole tenant layer as plain prioritised segments, the form Flagsmith-format documents and
 * the prerequisite compiler read: by construction the same results as the native lookups.
 * Tenant-scoped features are left to the caller (their off state needs the environment's).
 */
export function tenantLayerSegments(tenants: TenantOverrides | null | undefined): SegmentContext[] {
  if (!tenants) return [];
  return [...tenantOverrideSegments(tenants), ...tenantScopedSegments(tenants), ...templateSegments(tenants)];
}

/**
 * The same text as an internalised string: property keys come back from Object.keys
 * internalised, and storing a flag under an internalised key skips a string-table lookup that
 * otherwise costs more than the rest of building the result.
 */
const internalise = (text: string): string => Object.keys({ [text]: 0 })[0] ?? text;

export function compileFeature(feature: FeatureContext): CompiledFeature {
  // Variants split in priority order (missing priority last); ties keep document order.
  const sorted = [...(feature.variants ?? [])].sort(
    (a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity) || 0,
  );
  let start = 0;
  const variants = sorted.map((variant) => {
    const from = start;
    start += variant.weight;
    return { value: variant.value, key: variant.key ?? null, from, to: start, reason: `SPLIT; weight=${variant.weight}` };
  });
  const metadata = feature.metadata && Object.keys(feature.metadata).length > 0 ? Object.freeze(feature.metadata) : undefined;
  return {
    name: internalise(feature.name),
    hashPrefix: hashKey(`${feature.key},`),
    enabled: feature.enabled,
    value: feature.value ?? null,
    metadata,
    variants,
  };
}

/** A flag result without a split, frozen so one instance can be handed to every caller. */
export function staticResult(feature: CompiledFeature, reason: string): FlagResult {
  const result: FlagResult = { name: feature.name, enabled: feature.enabled, value: feature.value, reason, variant: null };
  if (feature.metadata) result.metadata = feature.metadata;
  return Object.freeze(result);
}

// Plain loops: these run for every condition of every identity, and Array#every / #some would
// allocate a callback per call.
function some(predicates: Predicate[], state: EvaluationState): boolean {
  for (let i = 0; i < predicates.length; i++) if ((predicates[i] as Predicate)(state)) return true;
  return false;
}
function every(predicates: Predicate[]): Predicate {
  return (state) => {
    for (let i = 0; i < predicates.length; i++) if (!(predicates[i] as Predicate)(state)) return false;
    return true;
  };
}

/** Compiles environment parts (already validated) into closures that evaluate identities fast. */
export function compileEnvironment(parts: EnvironmentParts): CompiledEnvironment {
  const contexts = Object.values(parts.features ?? {});
  const features = contexts.map(compileFeature);
  const names = features.map((feature) => feature.name);
  const featureIndex = new Map(features.map((feature, index) => [feature.name, index]));
  const propertyIndex = new Map<string, number>();
  const properties: PropertyReader[] = [];

  // Tenant traits by tenant key (a Map: tenant keys and trait names are user data).
  const tenantTraits = new Map<string, Readonly<Record<string, unknown>>>(Object.entries(parts.tenants?.traits ?? {}));
  const tenantKeyProperty = parts.tenants?.traitKey ?? DEFAULT_TENANT_TRAIT;
  let readTenantKey: ((state: EvaluationState) => ContextValue | undefined) | undefined;
  /** `tenant.<trait>`: the trait of the tenant the identity's tenant trait names (one hash lookup). */
  const tenantTraitReader = (trait: string): PropertyReader => (source) => {
    const tenant = (readTenantKey as (state: EvaluationState) => ContextValue | undefined)(source as EvaluationState);
    // Same tenant matching as tenant overrides (and the IN conditions documents carry): str and int only.
    const traits = tenant && isInLike(tenant) ? tenantTraits.get(tenant.str) : undefined;
    return traits && Object.hasOwn(traits, trait) ? toContextValue(traits[trait]) : undefined;
  };

  const readerFor = (property: string): ((state: EvaluationState) => ContextValue | undefined) => {
    let index = propertyIndex.get(property);
    if (index === undefined) {
      index = properties.length;
      propertyIndex.set(property, index);
      // The tenant trait itself is read from the identity, whatever its name.
      const trait = parts.tenants && property !== tenantKeyProperty ? tenantTraitOf(property) : undefined;
      properties.push(trait === undefined ? compileProperty(property) : tenantTraitReader(trait));
    }
    const slot = index;
    const read = properties[slot] as PropertyReader;
    return (state) => {
      const cached = state.values[slot];
      if (cached !== UNRESOLVED) return cached;
      const value = read(state);
      state.values[slot] = value;
      return value;
    };
  };

  // Identical conditions in several segments (the same plan check, the same regex) are
  // evaluated once per identity. Percentage splits hash the segment key, so it is part of the id.
  const conditionId = (condition: SegmentCondition, segmentKey: string): string =>
    JSON.stringify([
      condition.property ?? '',
      condition.operator,
      condition.value ?? null,
      condition.operator === 'PERCENTAGE_SPLIT' ? segmentKey : '',
    ]);
  const uses = new Map<string, number>();
  const countUses = (rule: SegmentRule, segmentKey: string): void => {
    for (const condition of rule.conditions ?? []) {
      const id = conditionId(condition, segmentKey);
      uses.set(id, (uses.get(id) ?? 0) + 1);
    }
    for (const sub of rule.rules ?? []) countUses(sub, segmentKey);
  };
  for (const segment of Object.values(parts.segments ?? {})) for (const rule of segment.rules) countUses(rule, segment.key);
  for (const segments of Object.values(parts.tenants?.segments ?? {})) for (const segment of segments) for (const rule of segment.rules) countUses(rule, segment.key);
  for (const template of parts.tenants?.templates ?? []) for (const rule of template.rules ?? []) countUses(rule, `template:${template.key}`);

  if (parts.tenants) readTenantKey = readerFor(tenantKeyProperty);

  const shared = new Map<string, Predicate>();
  const compilePredicate = (condition: SegmentCondition, segmentKey: string): Predicate => {
    const match: ValueMatcher = compileCondition(condition, segmentKey);
    const property = condition.property;
    const read = property ? readerFor(property) : undefined;
    const evaluate: Predicate = read
      ? (state) => match(read(state), state.identityHashKey)
      : (state) => match(undefined, state.identityHashKey);
    const id = conditionId(condition, segmentKey);
    if ((uses.get(id) ?? 0) < 2) return evaluate;
    let predicate = shared.get(id);
    if (!predicate) {
      const slot = shared.size;
      predicate = (state) => {
        const known = state.conditions[slot];
        if (known !== 0) return known === 1;
        const result = evaluate(state);
        state.conditions[slot] = result ? 1 : 2;
        return result;
      };
      shared.set(id, predicate);
    }
    return predicate;
  };

  const compileRule = (rule: SegmentRule, segmentKey: string): Predicate => {
    const conditions = [...(rule.conditions ?? [])]
      // Conditions are pure, so cheap ones go first and short-circuit the hashing and regexes.
      .sort((a, b) => conditionCost(a.operator) - conditionCost(b.operator))
      .map((condition) => compilePredicate(condition, segmentKey));
    const subRules = (rule.rules ?? []).map((sub) => compileRule(sub, segmentKey));
    const combine = (predicates: Predicate[]): Predicate => {
      if (predicates.length === 0) return () => true;
      switch (rule.type) {
        case 'ALL':
          return every(predicates);
        case 'ANY':
          return (state) => some(predicates, state);
        case 'NONE':
          return (state) => !some(predicates, state);
      }
    };
    const matchesConditions = combine(conditions);
    const matchesSubRules = combine(subRules);
    return (state) => matchesConditions(state) && matchesSubRules(state);
  };

  const compileSegment = (segment: SegmentContext): CompiledSegment => {
    const rules = segment.rules.map((rule) => compileRule(rule, segment.key));
    const metadata = segment.metadata && Object.keys(segment.metadata).length > 0 ? Object.freeze(segment.metadata) : undefined;
    const reason = segment.reason ?? `TARGETING_MATCH; segment=${segment.name}`;
    return {
      result: Object.freeze(metadata ? { name: segment.name, metadata } : { name: segment.name }),
      // A segment without rules matches no one.
      matches: rules.length === 0 ? () => false : every(rules),
      overrides: (segment.overrides ?? []).map((override) => {
        const feature = compileFeature(override);
        return {
          feature,
          priority: override.priority ?? Infinity,
          index: featureIndex.get(feature.name) ?? -1,
          reason,
          result: staticResult(feature, reason),
        };
      }),
    };
  };

  const segments = Object.values(parts.segments ?? {}).map(compileSegment);

  // Tenant overrides and tenant-scoped segments are segments too (tenantLayerSegments), but found
  // by a map lookup on the tenant trait instead of testing thousands of IN conditions per identity.
  let tenants: CompiledEnvironment['tenants'];
  if (parts.tenants) {
    const byTenant = new Map<string, CompiledSegment[]>();
    const add = (tenantId: string, segment: CompiledSegment) => {
      const list = byTenant.get(tenantId);
      if (list) list.push(segment);
      else byTenant.set(tenantId, [segment]);
    };
    for (const segment of tenantOverrideSegments(parts.tenants)) {
      add(String(segment.metadata?.tenant), { ...compileSegment({ ...segment, rules: [] }), matches: () => true });
    }
    // The tenant condition is the lookup itself: only the segment's own rules are tested.
    for (const [tenantId, segments] of Object.entries(parts.tenants.segments ?? {})) {
      const plain = tenantScopedSegments({ traitKey: tenantKeyProperty, segments: { [tenantId]: segments } });
      plain.forEach((segment, i) => add(tenantId, compileSegment({ ...segment, rules: (segments[i] as SegmentContext).rules })));
    }
    const read = readTenantKey as (state: EvaluationState) => ContextValue | undefined;
    const tenantOf = (state: EvaluationState): string | undefined => {
      const tenant = read(state);
      return tenant && isInLike(tenant) ? tenant.str : undefined;
    };
    const templates = templateSegments(parts.tenants).map((segment, rank) => {
      const template = (parts.tenants?.templates ?? [])[rank] as NonNullable<TenantOverrides['templates']>[number];
      const assigned = new Set(template.tenants ?? []);
      const byRule = template.rules?.length ? every(template.rules.map((rule) => compileRule(rule, segment.key))) : undefined;
      const compiled = compileSegment({ ...segment, rules: [] });
      const matches: Predicate = (state) => {
        const tenant = tenantOf(state);
        return (tenant !== undefined && assigned.has(tenant)) || (byRule !== undefined && byRule(state));
      };
      return { ...compiled, matches };
    });
    const scoped = Object.entries(parts.tenants.features ?? {}).flatMap(([name, keys]) => {
      const index = featureIndex.get(name);
      if (index === undefined) return [];
      const feature = features[index] as CompiledFeature;
      return [{ index, tenants: new Set(keys), off: staticResult({ ...feature, enabled: false }, TENANT_SCOPED_REASON) }];
    });
    tenants = { read, byTenant, templates, scoped };
  }

  return {
    environment: parts.environment,
    features,
    names,
    featureIndex,
    prerequisites: compilePrerequisites(contexts, featureIndex, (index) => (features[index] as CompiledFeature).value),
    defaults: features.map((feature) => staticResult(feature, 'DEFAULT')),
    segments,
    tenants,
    propertyCount: properties.length,
    sharedConditionCount: shared.size,
    properties,
  };
}
