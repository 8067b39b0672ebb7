/**
 * The Vexilla evaluation engine: one pure, portable module (no AWS, no node:* imports) used by
 * the server, the SDK and the browser. Semantics are those of Flagsmith's reference engine.
 */
export * from './trusted.js';
export { getEvaluationResult, createEvaluator } from './validated.js';
export { EvaluationContextError, evaluationContextSchema, OPERATORS, RULE_TYPES } from './schema.js';
export { explainSegment, type ConditionExplanation, type ExplainInput, type RuleExplanation, type SegmentExplanation } from './explain.js';
