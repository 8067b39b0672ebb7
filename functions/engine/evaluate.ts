import {
  type CompiledEnvironment,
  type CompiledFeature,
  type CompiledOverride,
  type CompiledSegment,
  compileEnvironment,
  compileFeature,
  staticResult,
  type EvaluationState,
  type TenantRecord,
  UNRESOLVED,
} from './compile.js';
import { isInLike } from './conditions.js';
import { type HashKey, hashedPercentageOf, hashKey } from './hashing.js';
import { applyPrerequisites } from './prerequisites.js';
import type { EnvironmentParts, EvaluationContext, EvaluationResult, FeatureContext, FlagResult, IdentityContext, SegmentResult } from './schema.js';

/** The `variant` of an identity that a multivariate split leaves on the feature's own value. */
export const CONTROL_VARIANT = 'control';

/** The flag of a multivariate feature for an identity: a variant's value, or the control value. */
function splitResult(feature: CompiledFeature, identityKey: HashKey, reason: string): FlagResult {
  const percentage = hashedPercentageOf(feature.hashPrefix, identityKey);
  let value = feature.value;
  // An identity split across variants but in none of them gets the control value.
  let variant: string | null = CONTROL_VARIANT;
  for (const candidate of feature.variants) {
    if (candidate.from <= percentage && percentage < candidate.to) {
      value = candidate.value;
      variant = candidate.key;
      reason = candidate.reason;
      break;
    }
  }
  const result: FlagResult = { name: feature.name, enabled: feature.enabled, value, reason, variant };
  if (feature.metadata) result.metadata = feature.metadata;
  return result;
}

export const IDENTITY_OVERRIDES_SEGMENT = 'identity_overrides';

/**
 * Identity overrides outrank everything, as Flagsmith's segment of priority -Infinity named
 * `identity_overrides` does; applied on top so the environment's compiled form is reused.
 */
function applyIdentityOverrides(
  flags: Record<string, FlagResult>,
  segments: SegmentResult[],
  compiled: CompiledEnvironment,
  overrides: readonly FeatureContext[],
  identityKey: HashKey,
): void {
  const reason = `TARGETING_MATCH; segment=${IDENTITY_OVERRIDES_SEGMENT}`;
  let applied = false;
  for (const override of overrides) {
    if (!compiled.featureIndex.has(override.name)) continue;
    const feature = compileFeature(override);
    flags[override.name] = feature.variants.length > 0 ? splitResult(feature, identityKey, reason) : staticResult(feature, reason);
    applied = true;
  }
  if (applied) segments.push({ name: IDENTITY_OVERRIDES_SEGMENT });
}

function stateOf(
  compiled: CompiledEnvironment,
  identity: IdentityContext | null | undefined,
  context: Partial<EvaluationContext> | undefined,
  tenant: TenantRecord | undefined,
): EvaluationState {
  const identityKey = identity ? identity.key || `${compiled.environment.key}_${identity.identifier}` : undefined;
  return {
    identityKey,
    identityHashKey: identityKey === undefined ? undefined : hashKey(identityKey),
    identity: identity ?? undefined,
    traits: identity?.traits ?? undefined,
    context: context ?? { environment: compiled.environment },
    values: new Array(compiled.propertyCount).fill(UNRESOLVED),
    conditions: new Uint8Array(compiled.sharedConditionCount),
    tenant,
  };
}

/** The key of the identity's tenant as evaluation reads it (its tenant trait, a str or int), if any. */
function tenantKeyOf(compiled: CompiledEnvironment, identity: IdentityContext | null | undefined): string | undefined {
  if (!compiled.tenants || !identity) return undefined;
  const tenant = compiled.tenants.read(stateOf(compiled, identity, undefined, undefined));
  return tenant && isInLike(tenant) ? tenant.str : undefined;
}

/**
 * Evaluates a compiled environment for one identity (or for none: environment flags).
 * `context` is only read when a condition uses a JSONPath into it.
 */
export function evaluateCompiled(
  compiled: CompiledEnvironment,
  identity: IdentityContext | null | undefined,
  context?: Partial<EvaluationContext>,
  identityOverrides?: readonly FeatureContext[],
  tenant?: TenantRecord,
): EvaluationResult {
  const state = stateOf(compiled, identity, context, tenant);

  const matched: CompiledSegment[] = [];
  for (const segment of compiled.segments) if (segment.matches(state)) matched.push(segment);
  // The identity's tenant (same semantics as the tenant segments' IN conditions: str and int traits only).
  let tenantKey: string | undefined;
  if (compiled.tenants && identity) {
    const tenant = compiled.tenants.read(state);
    tenantKey = tenant && isInLike(tenant) ? tenant.str : undefined;
    // Its overrides and tenant-scoped segments: one hash lookup, however many tenants there are.
    const own = tenantKey === undefined ? undefined : compiled.tenants.byTenant.get(tenantKey);
    if (own) for (const segment of own) if (segment.matches(state)) matched.push(segment);
    for (const template of compiled.tenants.templates) if (template.matches(state)) matched.push(template);
  }

  // The highest-priority override per feature wins (lower number first; ties keep the first).
  const winners: (CompiledOverride | undefined)[] = new Array(compiled.features.length).fill(undefined);
  for (const segment of matched) {
    for (const override of segment.overrides) {
      const current = winners[override.index];
      if (override.index >= 0 && (!current || override.priority < current.priority)) winners[override.index] = override;
    }
  }

  // Hundreds of keys: start the object in dictionary mode (as Object.create(null) does) rather
  // than walking and then abandoning a chain of hidden classes on every evaluation.
  const flags: Record<string, FlagResult> = Object.create(null);
  const { features, defaults } = compiled;
  for (let i = 0; i < features.length; i++) {
    const feature = features[i] as CompiledFeature;
    const winner = winners[i];
    const source = winner ? winner.feature : feature;
    flags[feature.name] =
      state.identityHashKey !== undefined && source.variants.length > 0
        ? splitResult(source, state.identityHashKey, winner ? winner.reason : 'DEFAULT')
        : ((winner ? winner.result : defaults[i]) as FlagResult);
  }
  const segments: SegmentResult[] = matched.map((segment) => segment.result);
  if (identityOverrides?.length && state.identityHashKey) {
    applyIdentityOverrides(flags, segments, compiled, identityOverrides, state.identityHashKey);
  }
  // A tenant-scoped feature does not exist outside its tenants: off, whatever else applied.
  if (compiled.tenants) {
    for (const scoped of compiled.tenants.scoped) {
      if (tenantKey === undefined || !scoped.tenants.has(tenantKey)) flags[scoped.off.name] = scoped.off;
    }
  }
  // Last, over what every other rule served: a prerequisite is on when the identity gets it on.
  if (compiled.prerequisites) applyPrerequisites(flags, compiled.names, compiled.prerequisites);
  // A plain object for callers, once filled: inserting with no prototype skips a setter check.
  return { flags: Object.setPrototypeOf(flags, Object.prototype), segments };
}

/**
 * `createEvaluator` (./validated.ts) for parts and identities validated where they came in, which it does
 * not check again: an environment snapshot's parts, built from stored entities that were each
 * validated when written, and identities from requests their routes validated (or stored
 * traits). The sdk-api serves from these: its cold start loads no zod, and its first request
 * does not re-validate a whole environment. Input nothing has checked (an SDK's document, a
 * caller's own context) goes through `createEvaluator`.
 */
export function createTrustedEvaluator(parts: EnvironmentParts): Evaluator {
  return evaluatorOf(compileEnvironment(parts), parts, (identity) => identity ?? undefined);
}

export function evaluatorOf(compiled: CompiledEnvironment, parts: EnvironmentParts, checked: (identity: IdentityContext | null | undefined) => IdentityContext | undefined) {
  return {
    /**
     * `identityOverrides` (the identity's own overrides) outrank every other source; `tenant`,
     * the identity's tenant's record, stands in for the compiled one (parts built without tenants).
     */
    evaluate(identity?: IdentityContext | null, identityOverrides?: readonly FeatureContext[], tenant?: TenantRecord): EvaluationResult {
      return evaluateCompiled(compiled, checked(identity), parts, identityOverrides, tenant);
    },
    /** The key of the identity's tenant, the one record `evaluate` needs when the parts were built without tenants. */
    tenantKey(identity: IdentityContext | null | undefined): string | undefined {
      return tenantKeyOf(compiled, checked(identity));
    },
  };
}
export type Evaluator = ReturnType<typeof evaluatorOf>;
