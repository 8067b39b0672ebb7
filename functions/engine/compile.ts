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
  tenants: { read: (state: EvaluationState) => ContextValue | undefined; byTenant: Map<string, CompiledSegment> } | undefined;
  /** Number of distinct condition properties: the size of {@link EvaluationState.values}. */
  propertyCount: number;
  /** Number of conditions shared by several rules: the size of {@link EvaluationState.conditions}. */
  sharedConditionCount: number;
  properties: PropertyReader[];
}

/**
 * Tenant overrides rank below identity overrides (-Infinity) and above every segment override.
 * A finite number, so Flagsmith-format documents can carry tenant segments with this priority.
 */
export const TENANT_OVERRIDE_PRIORITY = -1_000_000_000;
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
  }));
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
    const reason = `TARGETING_MATCH; segment=${segment.name}`;
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

  // Tenant overrides are segments too (see tenantOverrideSegments), but found by a map lookup on
  // the tenant trait instead of testing thousands of IN conditions per identity.
  let tenants: CompiledEnvironment['tenants'];
  if (parts.tenants) {
    const byTenant = new Map<string, CompiledSegment>();
    for (const segment of tenantOverrideSegments(parts.tenants)) {
      const tenantId = String(segment.metadata?.tenant);
      byTenant.set(tenantId, { ...compileSegment({ ...segment, rules: [] }), matches: () => true });
    }
    tenants = { read: readTenantKey as (state: EvaluationState) => ContextValue | undefined, byTenant };
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
