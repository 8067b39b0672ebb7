/**
 * The engine without its zod schemas: compiling and evaluating parts and identities validated
 * where they came in (environment snapshots, built from stored entities, with
 * `createTrustedEvaluator`). A bundle that imports the engine from here loads no zod (the
 * sdk-api's cold start); ./index.ts is the engine's whole API, validating entry points included.
 */
export { createTrustedEvaluator, type Evaluator, IDENTITY_OVERRIDES_SEGMENT, CONTROL_VARIANT } from './evaluate.js';
export {
  tenantOverrideSegments,
  tenantScopedSegments,
  templateSegments,
  tenantLayerSegments,
  tenantFeatureSegments,
  TENANT_FEATURE_MET_PRIORITY,
  tenantIn,
  TENANT_OVERRIDE_PRIORITY,
  TENANT_SEGMENT_PRIORITY,
  TEMPLATE_PRIORITY,
  TENANT_FEATURE_GATE_PRIORITY,
  TENANT_OVERRIDE_REASON,
  TENANT_SEGMENT_REASON,
  TEMPLATE_REASON,
  TENANT_SCOPED_REASON,
  tenantSegmentReason,
  templateReason,
  DEFAULT_TENANT_TRAIT,
  TENANT_PROPERTY_PREFIX,
  tenantTraitOf,
  type TenantRecord,
} from './compile.js';
export { compileTenantConditions, readsTenantTraits } from './tenant-conditions.js';
export { hashedPercentage } from './hashing.js';
export { MAX_PREREQUISITE_DEPTH, PREREQUISITE_FAILED, prerequisiteFailedReason } from './prerequisites.js';
export type {
  ConditionOperator,
  EnvironmentContext,
  EnvironmentParts,
  EvaluationContext,
  EvaluationResult,
  FeatureContext,
  FlagResult,
  IdentityContext,
  Prerequisite,
  RuleType,
  SegmentCondition,
  SegmentContext,
  SegmentResult,
  SegmentRule,
  TenantOverrides,
  TraitValue,
  Variant,
} from './schema.js';
