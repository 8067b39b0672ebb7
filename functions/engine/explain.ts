/**
 * Why a segment matches an identity, or not: every rule and condition with its outcome, and
 * the conditions that decided. The matchers are the engine's own (compileCondition,
 * compileProperty), so the explanation cannot disagree with evaluation; only the walk differs:
 * it visits every condition in declared order instead of short-circuiting in cost order.
 */
import { compileCondition } from './conditions.js';
import type { ContextValue } from './context-values.js';
import { hashKey } from './hashing.js';
import { compileProperty, type PropertySource } from './properties.js';
import { type IdentityContext, identityContextSchema, parseOrThrow, type RuleType, type SegmentCondition, type SegmentRule } from './schema.js';

export interface ConditionExplanation {
  operator: SegmentCondition['operator'];
  property: string | null;
  value: unknown;
  matched: boolean;
  /** What the identity has for the property (undefined: not set). */
  actual: string | number | boolean | null | undefined;
  /** This condition's outcome decided its rule's (see {@link explainSegment}). */
  decisive: boolean;
}

export interface RuleExplanation {
  type: RuleType;
  matched: boolean;
  conditions: ConditionExplanation[];
  rules: RuleExplanation[];
}

export interface SegmentExplanation {
  matched: boolean;
  rules: RuleExplanation[];
}

export interface ExplainInput {
  /** The segment's hashing key (PERCENTAGE_SPLIT buckets by it). */
  segmentKey: string;
  rules: readonly SegmentRule[];
  identity: IdentityContext;
  /** The environment's hashing key and name: the default identity key and `$.environment` paths. */
  environment: { key: string; name: string };
}

const shown = (value: ContextValue | undefined): ConditionExplanation['actual'] => {
  if (value === undefined) return undefined;
  if (value.kind === 'str') return value.str;
  if (value.kind === 'bool') return value.bool;
  return value.num;
};

/**
 * An ALL rule is decided by its first failing condition (or by all of them when it matches);
 * ANY by its first matching one (or all when none match); NONE the other way round.
 */
function markDecisive(type: RuleType, conditions: ConditionExplanation[]): void {
  const decidingOutcome = type === 'ALL' ? false : true;
  const first = conditions.find((condition) => condition.matched === decidingOutcome);
  if (first) first.decisive = true;
  else for (const condition of conditions) condition.decisive = true;
}

function combine(type: RuleType, outcomes: boolean[]): boolean {
  if (outcomes.length === 0) return true;
  if (type === 'ALL') return outcomes.every(Boolean);
  if (type === 'ANY') return outcomes.some(Boolean);
  return !outcomes.some(Boolean);
}

/**
 * Explains whether the rules of a segment match an identity. Same semantics as evaluation: a
 * rule matches when its conditions and its sub-rules both satisfy its type; a segment matches
 * when all its rules do, and a segment without rules matches no one.
 *
 * @throws EvaluationContextError when the identity does not match the schema.
 */
export function explainSegment(input: ExplainInput): SegmentExplanation {
  const identity = parseOrThrow(identityContextSchema, input.identity, 'identity');
  const identityKey = identity.key || `${input.environment.key}_${identity.identifier}`;
  const source: PropertySource = {
    traits: identity.traits ?? undefined,
    identity,
    identityKey,
    context: { environment: input.environment },
  };
  const identityHashKey = hashKey(identityKey);

  const explainRule = (rule: SegmentRule): RuleExplanation => {
    const conditions = (rule.conditions ?? []).map((condition): ConditionExplanation => {
      const value = condition.property ? compileProperty(condition.property)(source) : undefined;
      const matched = compileCondition(condition, input.segmentKey)(value, identityHashKey);
      return { operator: condition.operator, property: condition.property ?? null, value: condition.value ?? null, matched, actual: shown(value), decisive: false };
    });
    markDecisive(rule.type, conditions);
    const rules = (rule.rules ?? []).map(explainRule);
    const matched = combine(rule.type, conditions.map((c) => c.matched)) && combine(rule.type, rules.map((r) => r.matched));
    return { type: rule.type, matched, conditions, rules };
  };
  const rules = input.rules.map(explainRule);
  return { matched: rules.length > 0 && rules.every((rule) => rule.matched), rules };
}
