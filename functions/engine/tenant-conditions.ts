/**
 * Conditions on tenant traits (`tenant.plan EQUAL enterprise`), compiled into conditions on the
 * identity's own tenant trait, which unmodified Flagsmith SDKs evaluate: a condition on a tenant
 * trait depends only on which tenant the identity belongs to, so it holds exactly for a set of
 * tenant keys (`tenant IN acme,globex`). Remote evaluation reads tenant traits natively (one hash
 * lookup, compile.ts); test/unit/tenant-conditions.test.ts proves both agree identity by identity.
 */
import { compileCondition } from './conditions.js';
import { DEFAULT_TENANT_TRAIT, tenantTraitOf } from './compile.js';
import { toContextValue } from './context-values.js';
import type { SegmentCondition, SegmentRule, TenantOverrides } from './schema.js';

/** An IN list of tenant keys (keys hold no commas); `[]` (a JSON array) matches no one, even an empty trait. */
const inList = (keys: string[]): string => (keys.length ? keys.join(',') : '[]');

/**
 * The rules with every `tenant.<trait>` condition replaced by an IN condition on the tenant
 * trait. A condition that holds for identities with no (known) tenant (IS_NOT_SET) becomes
 * "not IN the tenants where it fails", written as a NONE rule, since Flagsmith has no NOT_IN.
 */
export function compileTenantConditions(rules: readonly SegmentRule[], segmentKey: string, tenants: Pick<TenantOverrides, 'traitKey' | 'traits'>): SegmentRule[] {
  const traitKey = tenants.traitKey ?? DEFAULT_TENANT_TRAIT;
  const entries = Object.entries(tenants.traits ?? {});

  /** A positive condition, or the tenants it must NOT name (a negated IN). */
  const literal = (condition: SegmentCondition): { positive: SegmentCondition } | { negated: SegmentCondition } => {
    const trait = condition.property === traitKey ? undefined : tenantTraitOf(condition.property);
    if (trait === undefined) return { positive: condition };
    const matches = compileCondition(condition, segmentKey);
    // Only the tenant's trait value is read: tenant conditions never depend on the identity key.
    const holds = (traits: Readonly<Record<string, unknown>> | undefined) =>
      matches(traits && Object.hasOwn(traits, trait) ? toContextValue(traits[trait]) : undefined, undefined);
    const withoutTenant = holds(undefined);
    const keys = entries.filter(([, traits]) => holds(traits) !== withoutTenant).map(([key]) => key);
    const condition_ = { operator: 'IN' as const, property: traitKey, value: inList(keys) };
    return withoutTenant ? { negated: condition_ } : { positive: condition_ };
  };

  const compileRule = (rule: SegmentRule): SegmentRule => {
    const literals = (rule.conditions ?? []).map(literal);
    const subRules = (rule.rules ?? []).map(compileRule);
    const positives = literals.flatMap((l) => ('positive' in l ? [l.positive] : []));
    const negations = literals.flatMap((l) => ('negated' in l ? [{ type: 'NONE' as const, conditions: [l.negated] }] : []));
    const withRules = (conditions: SegmentCondition[], rules: SegmentRule[]): SegmentRule => ({
      type: rule.type,
      ...(conditions.length ? { conditions } : {}),
      ...(rules.length ? { rules } : {}),
    });
    if (negations.length === 0) return { ...rule, ...(rule.conditions ? { conditions: positives } : {}), ...(rule.rules ? { rules: subRules } : {}) };
    // ALL and NONE combine conditions and sub-rules alike (every one holds / none holds), so a
    // negated condition may move into the sub-rules as a NONE rule: NONE(x) holds iff x fails.
    if (rule.type !== 'ANY') return withRules(positives, [...subRules, ...negations]);
    // ANY: any condition holds, and (when there are sub-rules) any sub-rule holds. Each
    // condition becomes a one-condition sub-rule of an ANY rule with no conditions.
    const anyCondition: SegmentRule = { type: 'ANY', rules: [...positives.map((c): SegmentRule => ({ type: 'ALL', conditions: [c] })), ...negations] };
    return subRules.length ? { type: 'ALL', rules: [anyCondition, { type: 'ANY', rules: subRules }] } : anyCondition;
  };

  return rules.map(compileRule);
}

/** Whether any condition of the rules reads a tenant trait. */
export function readsTenantTraits(rules: readonly SegmentRule[], traitKey = DEFAULT_TENANT_TRAIT): boolean {
  return rules.some(
    (rule) => (rule.conditions ?? []).some((c) => c.property !== traitKey && tenantTraitOf(c.property) !== undefined) || readsTenantTraits(rule.rules ?? [], traitKey),
  );
}
