/**
 * OpenFeature Remote Evaluation Protocol (`/ofrep/v1/`): context attributes are traits and
 * `targetingKey` is the identifier. Values keep their types.
 */
import { type EvaluationResult, type FlagResult, PREREQUISITE_FAILED, type SegmentRule, type TraitValue } from '../../engine/trusted.js';
import { setOwn } from '../../engine/records.js';
import { LIMITS } from '../../domain/limits.js';
import type { Feature } from '../../domain/entities.js';
import { type EnvironmentSnapshot, identityTenant } from '../../domain/environment-snapshot.js';
import { evaluateIdentity, readIdentity, retentionOf } from '../../domain/identities.js';
import { BadRequest } from '../../domain/errors.js';
import { json } from '../errors.js';
import { readJson } from '../request.js';
import type { SdkContext, SdkHandler } from './context.js';
import { etagOf, matchesEtag } from './etag.js';
import type { OfrepRequest } from './inputs.js';

export class OfrepError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL' | 'FLAG_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

interface Evaluation {
  result: EvaluationResult;
  /** Flags that could not be decided without a targetingKey (their answer depends on the caller's bucket). */
  needsTargetingKey: ReadonlySet<string>;
}

const NO_FLAGS: ReadonlySet<string> = new Set();

/**
 * Evaluates every flag for the request's context: `targetingKey` is the identity (its overrides
 * apply), the other primitive attributes are its traits. Without a targetingKey, attributes are
 * still evaluated, as the traits of an anonymous caller; a flag whose answer depends on the
 * caller's bucket (a multivariate split, a segment with a percentage split) then cannot be
 * decided and answers TARGETING_KEY_MISSING, as the OFREP specification provides (and as GO
 * Feature Flag settled it: thomaspoignant/go-feature-flag#2533). With no
 * context at all, the environment's own values answer (what Flagsmith's `flags/` serves).
 */
async function evaluate(context: SdkContext): Promise<Evaluation> {
  const { identifier, ofrepRequest } = await import('./inputs.js');
  let body: OfrepRequest;
  try {
    body = ofrepRequest.parse(readJson(context.event));
  } catch (error) {
    throw new OfrepError(400, error instanceof BadRequest ? 'PARSE_ERROR' : 'INVALID_CONTEXT', 'The request must be {"context": {...}}.');
  }
  const { targetingKey: rawTargetingKey, ...attributes } = body.context ?? {};
  const targetingKey = rawTargetingKey === undefined ? undefined : identifier.safeParse(rawTargetingKey).data;
  if (rawTargetingKey !== undefined && targetingKey === undefined) {
    throw new OfrepError(400, 'INVALID_CONTEXT', `targetingKey must be a non-empty string of at most ${LIMITS.identifierChars} characters.`);
  }
  // Only primitive attributes can be traits; structured ones are not targetable.
  const traits: Record<string, TraitValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (['string', 'number', 'boolean'].includes(typeof value)) setOwn(traits, name, value as TraitValue);
  }
  const { snapshot } = context;
  if (targetingKey === undefined) {
    if (Object.keys(traits).length === 0) return { result: snapshot.evaluator.evaluate(null), needsTargetingKey: NO_FLAGS };
    // An anonymous identity: never read or stored; its bucket means nothing, so split answers are withheld.
    const tenant = await identityTenant(snapshot, { identifier: '', traits }, context.tenant);
    const result = snapshot.evaluator.evaluate({ identifier: '', traits }, undefined, tenant);
    const needsTargetingKey = new Set(bucketedFeatures(snapshot));
    for (const flag of Object.values(result.flags)) if (flag.variant !== null) needsTargetingKey.add(flag.name);
    return { result, needsTargetingKey };
  }
  const stored = await readIdentity(context.deps.store, snapshot.environment.id, targetingKey, retentionOf(context.deps));
  const tenant = await identityTenant(snapshot, { identifier: targetingKey, traits }, context.tenant);
  return { result: evaluateIdentity(snapshot, targetingKey, traits, stored.overrides, tenant), needsTargetingKey: NO_FLAGS };
}

const hasPercentageSplit = (rules: readonly SegmentRule[]): boolean =>
  rules.some((rule) => (rule.conditions ?? []).some((condition) => condition.operator === 'PERCENTAGE_SPLIT') || hasPercentageSplit(rule.rules ?? []));

/** Per snapshot: features with a segment override whose segment splits by percentage (so whether it applies depends on the bucket). */
const bucketed = new WeakMap<EnvironmentSnapshot, string[]>();
function bucketedFeatures(snapshot: EnvironmentSnapshot): string[] {
  let names = bucketed.get(snapshot);
  if (!names) {
    const splitting = new Set(snapshot.segments.filter((segment) => hasPercentageSplit(segment.rules)).map((segment) => segment.id));
    names = [...new Set(snapshot.segmentOverrides.filter((override) => splitting.has(override.segmentId)).map((override) => override.featureName))];
    bucketed.set(snapshot, names);
  }
  return names;
}

const targetingKeyMissing = (key: string) => `Flag ${key} splits callers by their bucket: send a targetingKey to evaluate it.`;

/** Whether anything in the environment can make this flag differ between identities. */
function isTargeted(snapshot: EnvironmentSnapshot, feature: Feature): boolean {
  return (
    (feature.kind === 'MULTIVARIATE' && feature.options.length > 0) ||
    snapshot.segmentOverrides.some((o) => o.featureId === feature.id) ||
    snapshot.tenantOverrides.some((o) => o.featureId === feature.id) ||
    (feature.prerequisites?.length ?? 0) > 0 ||
    snapshot.states.some((state) => state.featureId === feature.id && state.rollout !== undefined)
  );
}

/**
 * One flag in OFREP terms. A flag without a value (or a boolean one) answers its on/off state;
 * any other answers its value, typed. Reasons: PREREQUISITE_FAILED, the tenant layer's steps,
 * DISABLED, SPLIT, TARGETING_MATCH, DEFAULT, STATIC.
 */
const TENANT_STEPS = new Set(['TENANT_OVERRIDE', 'TENANT_SEGMENT', 'TENANT_SCOPED']);

/** The tenant layer's step a reason names (its part before any `;`), if it names one. */
function tenantStepOf(reason: string): string | undefined {
  const step = reason.split(';', 1)[0] ?? '';
  return TENANT_STEPS.has(step) || step.startsWith('TEMPLATE:') ? step : undefined;
}

function ofrepFlag(snapshot: EnvironmentSnapshot, feature: Feature, flag: FlagResult) {
  const toggle = flag.value === null || feature.valueType === 'boolean';
  const value = toggle ? flag.enabled && (flag.value === null ? true : Boolean(flag.value)) : flag.value;
  // The tenant layer's steps are named even when they serve the flag off: TENANT_OVERRIDE,
  // TENANT_SEGMENT, TEMPLATE:<key>, TENANT_SCOPED (a tenant-scoped feature outside its tenants).
  const tenantStep = tenantStepOf(flag.reason);
  const reason = flag.reason.startsWith(PREREQUISITE_FAILED)
    ? PREREQUISITE_FAILED
    : tenantStep
    ? tenantStep
    : !flag.enabled
    ? 'DISABLED'
    : flag.reason.startsWith('SPLIT')
      ? 'SPLIT'
      : flag.reason.startsWith('TARGETING_MATCH')
        ? 'TARGETING_MATCH'
        : isTargeted(snapshot, feature)
          ? 'DEFAULT'
          : 'STATIC';
  return {
    key: feature.name,
    value,
    reason,
    ...(flag.variant ? { variant: flag.variant } : {}),
    metadata: { id: feature.numericId, enabled: flag.enabled },
  };
}

export const ofrepEvaluateFlag: SdkHandler = async (context) => {
  const key = context.params.key ?? '';
  const { result, needsTargetingKey } = await evaluate(context);
  const feature = context.snapshot.features.find((candidate) => candidate.name === key);
  const flag = result.flags[key];
  if (!feature || !flag) throw new OfrepError(404, 'FLAG_NOT_FOUND', `No flag ${key} in this environment.`);
  if (needsTargetingKey.has(key)) throw new OfrepError(400, 'TARGETING_KEY_MISSING', targetingKeyMissing(key));
  return json(200, ofrepFlag(context.snapshot, feature, flag));
};

export const ofrepEvaluateFlags: SdkHandler = async (context) => {
  const { result, needsTargetingKey } = await evaluate(context);
  // A flag that cannot be decided is an error item of the bulk answer, as OFREP's bulk format allows.
  const flags = context.snapshot.features.flatMap((feature): object[] => {
    const flag = result.flags[feature.name];
    if (!flag) return [];
    if (needsTargetingKey.has(feature.name)) return [{ key: feature.name, errorCode: 'TARGETING_KEY_MISSING', errorDetails: targetingKeyMissing(feature.name) }];
    return [ofrepFlag(context.snapshot, feature, flag)];
  });
  const body = JSON.stringify({ flags });
  // The ETag names the answer itself: unchanged flags for this context answer 304, no body.
  const etag = etagOf(body);
  if (matchesEtag(context.headers['if-none-match'], etag)) return json(304, undefined, { etag });
  return { ...json(200, undefined, { etag }), body };
};

/** OFREP error bodies carry `errorCode` (and `key` for single-flag requests). */
export function ofrepErrorResponse(error: OfrepError, key: string | undefined) {
  return json(error.status, { ...(key !== undefined ? { key } : {}), errorCode: error.errorCode, errorDetails: error.message });
}
