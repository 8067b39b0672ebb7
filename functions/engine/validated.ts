/**
 * The engine's validating entry points: contexts and parts are checked against the zod schemas
 * (./schema.ts) before they are compiled, identities before each evaluation. For input nothing
 * has checked: SDKs, documents, callers' own contexts. Code that evaluates input validated where
 * it came in uses `createTrustedEvaluator` (./evaluate.ts, through ./trusted.ts) and loads no zod.
 */
import { type CompiledEnvironment, compileEnvironment } from './compile.js';
import { evaluateCompiled, evaluatorOf } from './evaluate.js';
import { type EnvironmentParts, environmentPartsSchema, type EvaluationContext, type EvaluationResult, identityContextSchema, parseOrThrow } from './schema.js';

/** Validates and compiles the identity-independent parts of a context. */
export function compileParts(parts: unknown): CompiledEnvironment {
  return compileEnvironment(parseOrThrow(environmentPartsSchema, parts));
}

interface CacheEntry {
  compiled: CompiledEnvironment;
  context: Partial<EvaluationContext>;
}
const cache = new WeakMap<object, CacheEntry>();

const sameParts = (a: Partial<EvaluationContext>, b: Partial<EvaluationContext>): boolean =>
  a.environment === b.environment && a.features === b.features && a.segments === b.segments && a.tenants === b.tenants;

/**
 * The compiled form of a context's environment parts. Contexts are treated as immutable values:
 * evaluating many identities against the same `features` / `segments` objects compiles once.
 */
function compiledFor(context: Partial<EvaluationContext>): CompiledEnvironment {
  const anchor: unknown = context.features ?? context.segments ?? context.environment;
  const cached = typeof anchor === 'object' && anchor !== null ? cache.get(anchor) : undefined;
  if (cached && sameParts(cached.context, context)) return cached.compiled;
  const compiled = compileParts({
    environment: context.environment,
    features: context.features,
    segments: context.segments,
    tenants: context.tenants,
  });
  if (typeof anchor === 'object' && anchor !== null) cache.set(anchor, { compiled, context: { ...context, identity: undefined } });
  return compiled;
}

/**
 * Evaluates every flag of an environment for the context's identity, with the semantics of
 * Flagsmith's reference engine, in this order: identity overrides (segments at priority
 * -Infinity), the tenant's overrides, its tenant-scoped segments' overrides, its templates (in
 * order), project segment overrides by priority, rollouts, multivariate splits, then
 * environment values; a tenant-scoped feature is off outside its tenants; then Vexilla's
 * prerequisites (a feature whose prerequisites are not on is served off).
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
 * `evaluate` call does only the work that depends on the identity (which it validates).
 */
export function createEvaluator(parts: EnvironmentParts) {
  return evaluatorOf(compileParts(parts), parts, (identity) => (identity ? parseOrThrow(identityContextSchema, identity, 'identity') : undefined));
}

