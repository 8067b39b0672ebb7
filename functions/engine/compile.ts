import { compileCondition, conditionCost, type ValueMatcher } from './conditions.js';
import { type ContextValue } from './context-values.js';
import { compileProperty, type PropertyReader, type PropertySource } from './properties.js';
import type {
  EnvironmentContext,
  EnvironmentParts,
  FeatureContext,
  SegmentContext,
  SegmentResult,
  SegmentRule,
  TenantOverrides,
} from './schema.js';

/** Per-evaluation state: property values are resolved at most once per identity. */
export interface EvaluationState extends PropertySource {
  identityKey: string | undefined;
  values: (ContextValue | undefined | typeof UNRESOLVED)[];
}
export const UNRESOLVED = Symbol('unresolved');

export type Predicate = (state: EvaluationState) => boolean;

/** A variant with its bucket range precomputed: the identity lands in it when `from <= p < to`. */
export interface CompiledVariant {
  value: unknown;
  weight: number;
  key: string | null;
  from: number;
  to: number;
}

/** A feature value source: the environment default, a segment override or a tenant override. */
export interface CompiledFeature {
  name: string;
  key: string;
  enabled: boolean;
  value: unknown;
  metadata: Record<string, unknown> | undefined;
  variants: CompiledVariant[];
}

export interface CompiledOverride {
  feature: CompiledFeature;
  priority: number;
}

export interface CompiledSegment {
  result: SegmentResult;
  matches: Predicate;
  overrides: CompiledOverride[];
}

export interface CompiledEnvironment {
  environment: EnvironmentContext;
  features: CompiledFeature[];
  segments: CompiledSegment[];
  tenants: { read: (state: EvaluationState) => ContextValue | undefined; byTenant: Map<string, CompiledSegment> } | undefined;
  /** Number of distinct condition properties: the size of {@link EvaluationState.values}. */
  propertyCount: number;
  properties: PropertyReader[];
}

/**
 * Tenant overrides rank below identity overrides (-Infinity) and above every segment override.
 * A finite number, so Flagsmith-format documents can carry tenant segments with this priority.
 */
export const TENANT_OVERRIDE_PRIORITY = -1_000_000_000;
export const DEFAULT_TENANT_TRAIT = 'tenant';

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

function compileFeature(feature: FeatureContext): CompiledFeature {
  // Variants split in priority order (missing priority last); ties keep document order.
  const sorted = [...(feature.variants ?? [])].sort(
    (a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity) || 0,
  );
  let start = 0;
  const variants = sorted.map((variant) => {
    const from = start;
    start += variant.weight;
    return { value: variant.value, weight: variant.weight, key: variant.key ?? null, from, to: start };
  });
  const metadata = feature.metadata && Object.keys(feature.metadata).length > 0 ? feature.metadata : undefined;
  return {
    name: feature.name,
    key: feature.key,
    enabled: feature.enabled,
    value: feature.value ?? null,
    metadata,
    variants,
  };
}

/** Compiles environment parts (already validated) into closures that evaluate identities fast. */
export function compileEnvironment(parts: EnvironmentParts): CompiledEnvironment {
  const propertyIndex = new Map<string, number>();
  const properties: PropertyReader[] = [];

  const readerFor = (property: string): ((state: EvaluationState) => ContextValue | undefined) => {
    let index = propertyIndex.get(property);
    if (index === undefined) {
      index = properties.length;
      propertyIndex.set(property, index);
      properties.push(compileProperty(property));
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

  const compileRule = (rule: SegmentRule, segmentKey: string): Predicate => {
    const conditions = [...(rule.conditions ?? [])]
      // Conditions are pure, so cheap ones go first and short-circuit the hashing and regexes.
      .sort((a, b) => conditionCost(a.operator) - conditionCost(b.operator))
      .map((condition): Predicate => {
        const match: ValueMatcher = compileCondition(condition, segmentKey);
        const property = condition.property;
        if (!property) return (state) => match({ value: undefined, identityKey: state.identityKey });
        const read = readerFor(property);
        return (state) => match({ value: read(state), identityKey: state.identityKey });
      });
    const subRules = (rule.rules ?? []).map((sub) => compileRule(sub, segmentKey));
    const combine = (predicates: Predicate[]): Predicate => {
      if (predicates.length === 0) return () => true;
      switch (rule.type) {
        case 'ALL':
          return (state) => predicates.every((p) => p(state));
        case 'ANY':
          return (state) => predicates.some((p) => p(state));
        case 'NONE':
          return (state) => !predicates.some((p) => p(state));
      }
    };
    const matchesConditions = combine(conditions);
    const matchesSubRules = combine(subRules);
    return (state) => matchesConditions(state) && matchesSubRules(state);
  };

  const compileSegment = (segment: SegmentContext): CompiledSegment => {
    const rules = segment.rules.map((rule) => compileRule(rule, segment.key));
    const metadata = segment.metadata && Object.keys(segment.metadata).length > 0 ? segment.metadata : undefined;
    return {
      result: metadata ? { name: segment.name, metadata } : { name: segment.name },
      // A segment without rules matches no one.
      matches: rules.length === 0 ? () => false : (state) => rules.every((rule) => rule(state)),
      overrides: (segment.overrides ?? []).map((override) => ({
        feature: compileFeature(override),
        priority: override.priority ?? Infinity,
      })),
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
    tenants = { read: readerFor(parts.tenants.traitKey ?? DEFAULT_TENANT_TRAIT), byTenant };
  }

  return {
    environment: parts.environment,
    features: Object.values(parts.features ?? {}).map(compileFeature),
    segments,
    tenants,
    propertyCount: properties.length,
    properties,
  };
}
