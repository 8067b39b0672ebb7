/**
 * The evaluation order, step by step: identity override → tenant override → tenant-scoped
 * segment overrides → templates (in order) → project segment overrides → rollouts →
 * environment state; tenant-scoped features off outside their tenants. Each step is shown
 * deciding when everything below it also applies, and yielding to the step above it, with the
 * reason naming it.
 */
import { describe, expect, it } from 'vitest';
import { createEvaluator, type EnvironmentParts, type FeatureContext, type SegmentContext, type TenantOverrides } from '../../functions/engine/index.js';

const environment = { key: 'env', name: 'production' };
const flag = (value: string, enabled = true): FeatureContext => ({ key: `k-${value}`, name: 'sso', enabled, value });
const other: FeatureContext = { key: 'k-other', name: 'other', enabled: true, value: 'kept' };
const everyone = [{ type: 'ALL' as const, conditions: [{ operator: 'IS_SET' as const, property: 'role' }] }];

/** Every step set for tenant acme; `without` drops steps from the top, to see the next one decide. */
function parts(without: ('tenant' | 'tenantSegment' | 'template1' | 'template2' | 'segment')[] = []): EnvironmentParts {
  const has = (step: (typeof without)[number]) => !without.includes(step);
  const segment: SegmentContext = { key: '7', name: 'admins', rules: everyone, overrides: has('segment') ? [{ ...flag('segment'), priority: 0 }] : [] };
  const tenants: TenantOverrides = {
    traitKey: 'company',
    overrides: has('tenant') ? { acme: [flag('tenant')] } : {},
    traits: { acme: { plan: 'enterprise' }, globex: { plan: 'free' } },
    segments: { acme: [{ key: '8', name: 'acme beta', rules: everyone, overrides: has('tenantSegment') ? [{ ...flag('tenant-segment'), priority: 5 }] : [] }] },
    templates: [
      { key: 'enterprise', tenants: [], rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }], overrides: has('template1') ? [flag('enterprise')] : [] },
      { key: 'legacy', tenants: ['acme'], overrides: has('template2') ? [flag('legacy'), { ...other, value: 'legacy' }] : [] },
    ],
  };
  return { environment, features: { sso: flag('environment', false), other }, segments: { '7': segment }, tenants };
}
const acme = { identifier: 'ana', traits: { company: 'acme', role: 'admin' } };

describe('the evaluation order', () => {
  it('identity override first', () => {
    const result = createEvaluator(parts()).evaluate(acme, [flag('identity')]).flags.sso;
    expect(result).toMatchObject({ value: 'identity', reason: 'TARGETING_MATCH; segment=identity_overrides' });
  });
  it('then the tenant override', () => {
    expect(createEvaluator(parts()).evaluate(acme).flags.sso).toMatchObject({ value: 'tenant', reason: 'TENANT_OVERRIDE' });
  });
  it('then the tenant-scoped segment overrides', () => {
    expect(createEvaluator(parts(['tenant'])).evaluate(acme).flags.sso).toMatchObject({ value: 'tenant-segment', reason: 'TENANT_SEGMENT; segment=acme beta' });
  });
  it('then the templates, in order: the first that sets the feature wins; later ones still set others', () => {
    const evaluator = createEvaluator(parts(['tenant', 'tenantSegment']));
    const flags = evaluator.evaluate(acme).flags;
    expect(flags.sso).toMatchObject({ value: 'enterprise', reason: 'TEMPLATE:enterprise' });
    expect(flags.other).toMatchObject({ value: 'legacy', reason: 'TEMPLATE:legacy' });
    expect(createEvaluator(parts(['tenant', 'tenantSegment', 'template1'])).evaluate(acme).flags.sso).toMatchObject({ value: 'legacy', reason: 'TEMPLATE:legacy' });
  });
  it('then project segment overrides, then the environment state', () => {
    const rest = ['tenant', 'tenantSegment', 'template1', 'template2'] as const;
    expect(createEvaluator(parts([...rest])).evaluate(acme).flags.sso).toMatchObject({ value: 'segment', reason: 'TARGETING_MATCH; segment=admins' });
    expect(createEvaluator(parts([...rest, 'segment'])).evaluate(acme).flags.sso).toMatchObject({ value: 'environment', enabled: false, reason: 'DEFAULT' });
  });
  it('a tenant override wins over its template even when the template is assigned explicitly', () => {
    const flags = createEvaluator(parts(['tenantSegment'])).evaluate(acme).flags;
    expect(flags.sso).toMatchObject({ value: 'tenant', reason: 'TENANT_OVERRIDE' });
  });
});

describe('tenant isolation of the tenant layer', () => {
  it("another tenant's identities never get acme's tenant segment, assigned template or override; templates follow their own traits", () => {
    const evaluator = createEvaluator(parts());
    const globex = evaluator.evaluate({ identifier: 'gus', traits: { company: 'globex', role: 'admin' } });
    expect(globex.flags.sso).toMatchObject({ value: 'segment', reason: 'TARGETING_MATCH; segment=admins' });
    expect(globex.segments.map((s) => s.name)).toEqual(['admins']);
    // Without a tenant trait, or one that is no tenant: project segments only.
    expect(evaluator.evaluate({ identifier: 'x', traits: { role: 'admin' } }).flags.sso?.value).toBe('segment');
    expect(evaluator.evaluate({ identifier: 'x', traits: { company: true, role: 'admin' } }).flags.sso?.value).toBe('segment');
    // A tenant trait sent as an integer names the tenant its digits name.
    const numeric = createEvaluator({ ...parts(), tenants: { ...parts().tenants, overrides: { '42': [flag('forty-two')] } } as TenantOverrides });
    expect(numeric.evaluate({ identifier: 'n', traits: { company: 42 } }).flags.sso).toMatchObject({ value: 'forty-two', reason: 'TENANT_OVERRIDE' });
  });
  it('a tenant-scoped segment without rules matches no one, even of its tenant', () => {
    const base = parts(['tenant']);
    const tenants = { ...base.tenants, segments: { acme: [{ key: '8', name: 'empty', rules: [], overrides: [{ ...flag('x'), priority: 0 }] }] } } as TenantOverrides;
    expect(createEvaluator({ ...base, tenants }).evaluate(acme).flags.sso?.reason).toBe('TEMPLATE:enterprise');
  });
});

describe('tenant-scoped features', () => {
  const scoped = (features: Record<string, string[]>): EnvironmentParts => ({ ...parts(), tenants: { ...parts().tenants, features } as TenantOverrides });
  it('are served normally to their tenants, and off to everyone else whatever applies to them, identity overrides included', () => {
    const evaluator = createEvaluator(scoped({ sso: ['acme'] }));
    expect(evaluator.evaluate(acme).flags.sso).toMatchObject({ value: 'tenant', enabled: true, reason: 'TENANT_OVERRIDE' });
    const globex = evaluator.evaluate({ identifier: 'gus', traits: { company: 'globex', role: 'admin' } }, [flag('identity')]).flags.sso;
    expect(globex).toMatchObject({ name: 'sso', enabled: false, value: 'environment', reason: 'TENANT_SCOPED' });
    expect(evaluator.evaluate(null).flags.sso).toMatchObject({ enabled: false, reason: 'TENANT_SCOPED' });
    expect(evaluator.evaluate(acme).flags.other).toMatchObject({ value: 'legacy' });
  });
});

describe('cost', () => {
  it('does not test other tenants: 20,000 tenants with overrides and segments evaluate through one lookup', () => {
    const many: TenantOverrides = { traitKey: 'company', overrides: {}, segments: {} };
    for (let i = 0; i < 20_000; i++) {
      many.overrides[`t${i}`] = [flag(`t${i}`)];
      (many.segments as Record<string, SegmentContext[]>)[`t${i}`] = [{ key: String(100 + i), name: `beta ${i}`, rules: everyone, overrides: [{ ...other, value: `beta ${i}`, priority: 0 }] }];
    }
    const evaluator = createEvaluator({ environment, features: { sso: flag('environment'), other }, tenants: many });
    const result = evaluator.evaluate({ identifier: 'u', traits: { company: 't19999', role: 'x' } });
    expect(result.flags.sso?.value).toBe('t19999');
    expect(result.flags.other?.value).toBe('beta 19999');
    // Only the identity's own tenant's segments were tested (and matched).
    expect(result.segments.map((s) => s.name)).toEqual(['tenant:t19999', 'beta 19999']);
  });
});
