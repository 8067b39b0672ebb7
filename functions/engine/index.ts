/**
 * The Vexilla evaluation engine: one pure, portable module (no AWS, no node:* imports) used by
 * the server, the SDK and the browser. Semantics are those of Flagsmith's reference engine.
 */
export { getEvaluationResult, createEvaluator, type Evaluator, IDENTITY_OVERRIDES_SEGMENT, CONTROL_VARIANT } from './evaluate.js';
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
} from './compile.js';
export { compileTenantConditions, readsTenantTraits } from './tenant-conditions.js';
export { hashedPercentage } from './hashing.js';
export { MAX_PREREQUISITE_DEPTH, PREREQUISITE_FAILED, prerequisiteFailedReason } from './prerequisites.js';
export {
  EvaluationContextError,
  evaluationContextSchema,
  OPERATORS,
  RULE_TYPES,
  type ConditionOperator,
  type EnvironmentContext,
  type EnvironmentParts,
  type EvaluationContext,
  type EvaluationResult,
  type FeatureContext,
  type FlagResult,
  type IdentityContext,
  type Prerequisite,
  type RuleType,
  type SegmentCondition,
  type SegmentContext,
  type SegmentResult,
  type SegmentRule,
  type TenantOverrides,
  type TraitValue,
  type Variant,
} from './schema.js';
export { explainSegment, type ConditionExplanation, type ExplainInput, type RuleExplanation, type SegmentExplanation } from './explain.js';
