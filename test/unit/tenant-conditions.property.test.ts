/**
 * Property: for any tenants with traits and any segment rules mixing tenant-trait conditions
 * (`tenant.plan`, every operator, nested ALL / ANY / NONE), the engine reading tenant traits
 * natively (remote evaluation) and the same engine reading only the rules compiled for
 * Flagsmith-format documents (IN lists on the tenant trait) put every identity in the same
 * segments, including identities with no tenant, an unknown one, or a spoofed `tenant.plan` trait.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTenantConditions, getEvaluationResult, type SegmentCondition, type SegmentContext, type SegmentRule, type TraitValue } from '../../functions/engine/index.js';

const KEYS = ['acme', 'globex', 'initech', '42', 'umbrella'];
const PLANS = ['free', 'pro', 'enterprise'];

const traitValue: fc.Arbitrary<TraitValue> = fc.oneof(fc.constantFrom(...PLANS), fc.integer({ min: 0, max: 100 }), fc.boolean(), fc.constant('1.2.3'));
const tenantTraits = fc.record({ plan: fc.constantFrom(...PLANS), seats: fc.integer({ min: 0, max: 100 }), region: fc.constantFrom('eu', 'us'), beta: fc.boolean(), extra: traitValue }, { requiredKeys: [] });
const tenants = fc.dictionary(fc.constantFrom(...KEYS), tenantTraits, { maxKeys: 5 });

const tenantCondition: fc.Arbitrary<SegmentCondition> = fc.oneof(
  fc.record({ operator: fc.constantFrom('EQUAL' as const, 'NOT_EQUAL' as const, 'CONTAINS' as const, 'NOT_CONTAINS' as const), property: fc.constant('tenant.plan'), value: fc.constantFrom(...PLANS, 'pr') }),
  fc.record({ operator: fc.constantFrom('GREATER_THAN' as const, 'LESS_THAN_INCLUSIVE' as const), property: fc.constant('tenant.seats'), value: fc.constantFrom('10', '50', '99') }),
  fc.record({ operator: fc.constantFrom('IS_SET' as const, 'IS_NOT_SET' as const), property: fc.constantFrom('tenant.plan', 'tenant.beta', 'tenant.extra') }),
  fc.record({ operator: fc.constant('IN' as const), property: fc.constant('tenant.region'), value: fc.constantFrom('eu', 'eu,us', 'apac') }),
  fc.record({ operator: fc.constant('REGEX' as const), property: fc.constant('tenant.plan'), value: fc.constantFrom('^(pro|enterprise)$', 'e') }),
  fc.record({ operator: fc.constant('MODULO' as const), property: fc.constant('tenant.seats'), value: fc.constantFrom('2|0', '3|1') }),
  fc.record({ operator: fc.constant('PERCENTAGE_SPLIT' as const), property: fc.constant('tenant.plan'), value: fc.constantFrom('30', '70') }),
  fc.record({ operator: fc.constant('EQUAL' as const), property: fc.constant('tenant.beta'), value: fc.constantFrom('true', 'false') }),
);
const identityCondition: fc.Arbitrary<SegmentCondition> = fc.oneof(
  fc.record({ operator: fc.constant('EQUAL' as const), property: fc.constant('role'), value: fc.constantFrom('admin', 'user') }),
  fc.record({ operator: fc.constant('PERCENTAGE_SPLIT' as const), value: fc.constantFrom('50') }),
  fc.record({ operator: fc.constant('IN' as const), property: fc.constant('tenant'), value: fc.constantFrom('acme,globex', '42') }),
);
const condition = fc.oneof({ weight: 3, arbitrary: tenantCondition }, { weight: 1, arbitrary: identityCondition });
const { rule } = fc.letrec<{ rule: SegmentRule }>((tie) => ({
  rule: fc.record(
    {
      type: fc.constantFrom('ALL' as const, 'ANY' as const, 'NONE' as const),
      conditions: fc.array(condition, { maxLength: 3 }),
      rules: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant([]), fc.array(tie('rule'), { maxLength: 2 })),
    },
    { requiredKeys: ['type'] },
  ) as fc.Arbitrary<SegmentRule>,
}));
const segments = fc.array(fc.array(rule, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 });

const identity = fc.record({
  identifier: fc.string({ minLength: 1, maxLength: 6 }),
  traits: fc.record(
    {
      tenant: fc.oneof(fc.constantFrom(...KEYS, 'unknown', ''), fc.constant(42), fc.constant(true), fc.constant(4.5)),
      role: fc.constantFrom('admin', 'user'),
      // An identity cannot claim its tenant's traits: these are never read.
      'tenant.plan': fc.constantFrom(...PLANS),
    },
    { requiredKeys: [] },
  ),
});

const environment = { key: 'env-key', name: 'production' };
const segmentContexts = (all: SegmentRule[][], compile: (rules: SegmentRule[], key: string) => SegmentRule[]): Record<string, SegmentContext> =>
  Object.fromEntries(all.map((rules, i) => [String(i), { key: String(100 + i), name: `s${i}`, rules: compile(rules, String(100 + i)) }]));

describe('tenant-trait conditions compiled into IN lists', () => {
  it('match exactly the identities that native tenant traits match', () => {
    let matched = 0;
    let missed = 0;
    fc.assert(
      fc.property(tenants, segments, fc.array(identity, { minLength: 5, maxLength: 15 }), (traits, rules, identities) => {
        const native = { environment, segments: segmentContexts(rules, (r) => r), tenants: { overrides: {}, traits } };
        const compiled = { environment, segments: segmentContexts(rules, (r, key) => compileTenantConditions(r, key, { traits })), tenants: { overrides: {} } };
        for (const who of identities) {
          const expected = getEvaluationResult({ ...native, identity: who }).segments.map((s) => s.name);
          const actual = getEvaluationResult({ ...compiled, identity: who }).segments.map((s) => s.name);
          expect({ who, actual }).toEqual({ who, actual: expected });
          matched += expected.length;
          missed += rules.length - expected.length;
        }
      }),
      { numRuns: 400 },
    );
    // Both outcomes happen often: the property cannot pass by matching everyone or no one.
    expect(matched).toBeGreaterThan(500);
    expect(missed).toBeGreaterThan(500);
  });

  it('reads tenant traits only from the tenant, never from a trait the identity sends', () => {
    const rules: SegmentRule[] = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }];
    const context = { environment, segments: { s: { key: '1', name: 'enterprise', rules } }, tenants: { overrides: {}, traits: { acme: { plan: 'enterprise' }, globex: { plan: 'free' } } } };
    const segmentsOf = (traits: Record<string, TraitValue>) => getEvaluationResult({ ...context, identity: { identifier: 'x', traits } }).segments.map((s) => s.name);
    expect(segmentsOf({ tenant: 'acme' })).toEqual(['enterprise']);
    expect(segmentsOf({ tenant: 'globex', 'tenant.plan': 'enterprise' })).toEqual([]);
    expect(segmentsOf({ 'tenant.plan': 'enterprise' })).toEqual([]);
    expect(compileTenantConditions(rules, '1', context.tenants)).toEqual([{ type: 'ALL', conditions: [{ operator: 'IN', property: 'tenant', value: 'acme' }] }]);
  });
});
