import {
  type CompiledEnvironment,
  type CompiledFeature,
  type CompiledSegment,
  compileEnvironment,
  type EvaluationState,
  UNRESOLVED,
} from './compile.js';
import { isInLike } from './conditions.js';
import { hashedPercentage } from './hashing.js';
import {
  type EnvironmentParts,
  environmentPartsSchema,
  type EvaluationContext,
  type EvaluationResult,
  type FlagResult,
  type IdentityContext,
  identityContextSchema,
  parseOrThrow,
  type SegmentResult,
} from './schema.js';

/** The `variant` of an identity that a multivariate split leaves on the feature's own value. */
export const CONTROL_VARIANT = 'control';

function flagResult(feature: CompiledFeature, identityKey: string | undefined, reason: string): FlagResult {
  let value = feature.value;
  let variant: string | null = null;
  if (identityKey !== undefined && feature.variants.length > 0) {
    // An identity split across variants but in none of them gets the control value.
    variant = CONTROL_VARIANT;
    const percentage = hashedPercentage([feature.key, identityKey]);
    for (const candidate of feature.variants) {
      if (candidate.from <= percentage && percentage < candidate.to) {
        value = candidate.value;
        variant = candidate.key;
        reason = `SPLIT; weight=${candidate.weight}`;
        break;
      }
    }
  }
  const result: FlagResult = { name: feature.name, enabled: feature.enabled, value, reason, variant };
  if (feature.metadata) result.metadata = feature.metadata;
  return result;
}

/**
 * Evaluates a compiled environment for one identity (or for none: environment flags).
 * `context` is only read when a condition uses a JSONPath into it.
 */
export function evaluateCompiled(
  compiled: CompiledEnvironment,
  identity: IdentityContext | null | undefined,
  context?: Partial<EvaluationContext>,
): EvaluationResult {
  const identityKey = identity ? identity.key || `${compiled.environment.key}_${identity.identifier}` : undefined;
  let document: unknown;
  const state: EvaluationState = {
    identityKey,
    traits: identity?.traits ?? undefined,
    values: new Array(compiled.propertyCount).fill(UNRESOLVED),
    // JSONPath sees the context with the identity key filled in, as the reference engine does.
    document: () =>
      (document ??= {
        ...(context ?? { environment: compiled.environment }),
        identity: identity ? { ...identity, key: identityKey } : identity,
      }),
  };

  const matched: CompiledSegment[] = [];
  for (const segment of compiled.segments) if (segment.matches(state)) matched.push(segment);
  if (compiled.tenants && identity) {
    const tenant = compiled.tenants.read(state);
    // Same semantics as the tenant segment's IN condition: only str and int traits match.
    const segment = tenant && isInLike(tenant) ? compiled.tenants.byTenant.get(tenant.str) : undefined;
    if (segment) matched.push(segment);
  }

  // The highest-priority override per feature wins (lower number first; ties keep the first).
  const overrides = new Map<string, { feature: CompiledFeature; priority: number; segment: string }>();
  for (const segment of matched) {
    for (const { feature, priority } of segment.overrides) {
      const current = overrides.get(feature.name);
      if (!current || priority < current.priority) overrides.set(feature.name, { feature, priority, segment: segment.result.name });
    }
  }

  const flags: Record<string, FlagResult> = {};
  for (const feature of compiled.features) {
    const override = overrides.get(feature.name);
    flags[feature.name] = override
      ? flagResult(override.feature, identityKey, `TARGETING_MATCH; segment=${override.segment}`)
      : flagResult(feature, identityKey, 'DEFAULT');
  }
  const segments: SegmentResult[] = matched.map((segment) => segment.result);
  return { flags, segments };
}

/** Validates and compiles the identity-independent parts of a context, freezing shared results. */
export function compileParts(parts: unknown): CompiledEnvironment {
  const validated: EnvironmentParts = parseOrThrow(environmentPartsSchema, parts);
  const compiled = compileEnvironment(validated);
  for (const feature of compiled.features) if (feature.metadata) Object.freeze(feature.metadata);
  for (const segment of compiled.segments) {
    Object.freeze(segment.result);
    if (segment.result.metadata) Object.freeze(segment.result.metadata);
    for (const { feature } of segment.overrides) if (feature.metadata) Object.freeze(feature.metadata);
  }
  return compiled;
}

interface CacheEntry {
  compiled: CompiledEnvironment;
  sources: readonly unknown[];
}
const cache = new WeakMap<object, CacheEntry>();

const sourcesOf = (context: Partial<EvaluationContext>): unknown[] => [
  context.environment,
  context.features,
  context.segments,
  context.tenants,
];

/**
 * The compiled form of a context's environment parts. Contexts are treated as immutable values:
 * evaluating many identities against the same `features` / `segments` objects compiles once.
 */
function compiledFor(context: Partial<EvaluationContext>): CompiledEnvironment {
  const sources = sourcesOf(context);
  const anchor = sources.find((source): source is object => typeof source === 'object' && source !== null);
  const cached = anchor ? cache.get(anchor) : undefined;
  if (cached && cached.sources.every((source, i) => source === sources[i])) return cached.compiled;
  const compiled = compileParts({
    environment: context.environment,
    features: context.features,
    segments: context.segments,
    tenants: context.tenants,
  });
  if (anchor) cache.set(anchor, { compiled, sources });
  return compiled;
}

/**
 * Evaluates every flag of an environment for the context's identity, with the semantics of
 * Flagsmith's reference engine: identity overrides (segments at priority -Infinity), tenant
 * overrides, segment overrides by priority, multivariate splits, then environment values.
 *
 * @throws EvaluationContextError when the context does not match the schema; the message names
 *   each offending field.
 */
export function getEvaluationResult(context: EvaluationContext): EvaluationResult {
  // Not an object at all: the schema says so, naming the root.
  if (typeof context !== 'object' || context === null) parseOrThrow(environmentPartsSchema, context);
  const compiled = compiledFor(context);
  const identity =
    context.identity === undefined || context.identity === null
      ? undefined
      : parseOrThrow(identityContextSchema, context.identity, 'identity');
  return evaluateCompiled(compiled, identity, context);
}

/**
 * An evaluator bound to one environment: validation and compilation happen here, once; each
 * `evaluate` call does only the work that depends on the identity.
 */
export function createEvaluator(parts: EnvironmentParts) {
  const compiled = compileParts(parts);
  return {
    evaluate(identity?: IdentityContext | null): EvaluationResult {
      const checked = identity ? parseOrThrow(identityContextSchema, identity, 'identity') : undefined;
      return evaluateCompiled(compiled, checked, parts);
    },
  };
}
export type Evaluator = ReturnType<typeof createEvaluator>;
