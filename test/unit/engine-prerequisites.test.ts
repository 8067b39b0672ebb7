/**
 * Prerequisites in the engine: a feature is served off with reason PREREQUISITE_FAILED unless
 * each feature it requires is on for the same identity (and serves the named variant or value).
 */
import { describe, expect, it } from 'vitest';
import {
  createEvaluator,
  EvaluationContextError,
  type EvaluationContext,
  type FeatureContext,
  getEvaluationResult,
  MAX_PREREQUISITE_DEPTH,
} from '../../functions/engine/index.js';

const environment = { key: 'env', name: 'Production' };
const feature = (name: string, enabled: boolean, extra: Partial<FeatureContext> = {}): FeatureContext => ({ key: `k-${name}`, name, enabled, value: `${name}-value`, ...extra });
const evaluate = (features: FeatureContext[], identifier = 'user-1', extra: Partial<EvaluationContext> = {}) =>
  getEvaluationResult({ environment, features: Object.fromEntries(features.map((f) => [f.name, f])), identity: { identifier }, ...extra }).flags;

describe('prerequisites', () => {
  it('serves a feature as usual when what it requires is on', () => {
    const flags = evaluate([feature('api', true), feature('ui', true, { prerequisites: [{ feature: 'api' }] })]);

    expect(flags.ui).toEqual({ name: 'ui', enabled: true, value: 'ui-value', reason: 'DEFAULT', variant: null });
  });

  it('serves it off, with its environment value and the failing feature in the reason, when a prerequisite is off', () => {
    const flags = evaluate([feature('api', false), feature('ui', true, { prerequisites: [{ feature: 'api' }], metadata: { id: 7 } })]);

    expect(flags.ui).toEqual({ name: 'ui', enabled: false, value: 'ui-value', reason: 'PREREQUISITE_FAILED; feature=api', variant: null, metadata: { id: 7 } });
    expect(flags.api).toMatchObject({ enabled: false, reason: 'DEFAULT' });
  });

  it('applies without an identity too (environment flags)', () => {
    const result = getEvaluationResult({ environment, features: { api: feature('api', false), ui: feature('ui', true, { prerequisites: [{ feature: 'api' }] }) } });

    expect(result.flags.ui).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=api' });
  });

  it('requires every prerequisite, and names the first that fails', () => {
    const features = [feature('a', true), feature('b', false), feature('c', true), feature('ui', true, { prerequisites: [{ feature: 'a' }, { feature: 'b' }, { feature: 'c' }] })];

    expect(evaluate(features).ui).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=b' });
  });

  it('follows chains: a feature whose own prerequisite fails is off, and so is what requires it', () => {
    const chain = [
      feature('d', true, { prerequisites: [{ feature: 'c' }] }),
      feature('c', true, { prerequisites: [{ feature: 'b' }] }),
      feature('b', true, { prerequisites: [{ feature: 'a' }] }),
      feature('a', false),
    ];

    const flags = evaluate(chain);

    expect([flags.a?.enabled, flags.b?.reason, flags.c?.reason, flags.d?.reason]).toEqual([
      false,
      'PREREQUISITE_FAILED; feature=a',
      'PREREQUISITE_FAILED; feature=b',
      'PREREQUISITE_FAILED; feature=c',
    ]);
    expect(evaluate(chain.map((f) => (f.name === 'a' ? feature('a', true) : f))).d).toMatchObject({ enabled: true, reason: 'DEFAULT' });
  });

  it('fails every feature of a cycle, and a feature that requires itself', () => {
    const flags = evaluate([
      feature('x', true, { prerequisites: [{ feature: 'y' }] }),
      feature('y', true, { prerequisites: [{ feature: 'x' }] }),
      feature('self', true, { prerequisites: [{ feature: 'self' }] }),
      feature('after', true, { prerequisites: [{ feature: 'x' }] }),
    ]);

    expect([flags.x?.enabled, flags.y?.enabled, flags.self?.enabled, flags.after?.enabled]).toEqual([false, false, false, false]);
  });

  it('fails a requirement on a feature that does not exist', () => {
    expect(evaluate([feature('ui', true, { prerequisites: [{ feature: 'gone' }] })]).ui).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=gone' });
  });

  it(`fails chains deeper than ${MAX_PREREQUISITE_DEPTH} levels, so a forged context cannot recurse without bound`, () => {
    const chain = (levels: number) => [
      feature('f0', true),
      ...Array.from({ length: levels }, (_, i) => feature(`f${i + 1}`, true, { prerequisites: [{ feature: `f${i}` }] })),
    ];

    expect(evaluate(chain(MAX_PREREQUISITE_DEPTH))[`f${MAX_PREREQUISITE_DEPTH}`]?.enabled).toBe(true);
    expect(evaluate(chain(5_000))['f5000']?.enabled).toBe(false);
    // The same whatever order the features come in.
    expect(evaluate(chain(MAX_PREREQUISITE_DEPTH + 1).reverse())[`f${MAX_PREREQUISITE_DEPTH + 1}`]).toMatchObject({ enabled: false, reason: `PREREQUISITE_FAILED; feature=f${MAX_PREREQUISITE_DEPTH}` });
    expect(evaluate(chain(MAX_PREREQUISITE_DEPTH + 1))[`f${MAX_PREREQUISITE_DEPTH}`]?.enabled).toBe(true);
  });

  it('judges a prerequisite per identity: on through a segment override for some identities only', () => {
    const features = [feature('api', false), feature('ui', true, { prerequisites: [{ feature: 'api' }] })];
    const segments = {
      '1': { key: '1', name: 'beta', rules: [{ type: 'ALL' as const, conditions: [{ operator: 'EQUAL' as const, property: 'beta', value: 'true' }] }], overrides: [{ ...feature('api', true), priority: 0 }] },
    };
    const evaluator = createEvaluator({ environment, features: Object.fromEntries(features.map((f) => [f.name, f])), segments });

    expect(evaluator.evaluate({ identifier: 'in', traits: { beta: true } }).flags.ui?.enabled).toBe(true);
    expect(evaluator.evaluate({ identifier: 'out', traits: { beta: false } }).flags.ui?.enabled).toBe(false);
  });

  it("counts a prerequisite's identity override, and never lets the feature's own identity override skip the check", () => {
    const evaluator = createEvaluator({ environment, features: { api: feature('api', false), ui: feature('ui', false, { prerequisites: [{ feature: 'api' }] }) } });

    const uiOnly = evaluator.evaluate({ identifier: 'ana' }, [feature('ui', true)]).flags.ui;
    const both = evaluator.evaluate({ identifier: 'ana' }, [feature('ui', true), feature('api', true)]).flags.ui;

    expect(uiOnly).toMatchObject({ enabled: false, reason: 'PREREQUISITE_FAILED; feature=api' });
    expect(both).toMatchObject({ enabled: true, reason: 'TARGETING_MATCH; segment=identity_overrides' });
  });

  it('requires the named variant of a multivariate prerequisite, bucket for bucket', () => {
    const experiment = feature('experiment', true, {
      value: 'control',
      variants: [
        { value: 'a', weight: 30, priority: 1, key: '11' },
        { value: 'b', weight: 30, priority: 2, key: '12' },
      ],
    });
    const evaluator = createEvaluator({ environment, features: { experiment, extra: feature('extra', true, { prerequisites: [{ feature: 'experiment', variant: '12' }] }) } });

    let inB = 0;
    for (let i = 0; i < 1000; i++) {
      const flags = evaluator.evaluate({ identifier: `user-${i}` }).flags;
      expect(flags.extra?.enabled, `user-${i}`).toBe(flags.experiment?.variant === '12');
      if (flags.experiment?.variant === '12') inB++;
    }
    expect(inB).toBeGreaterThan(200);
    expect(inB).toBeLessThan(400);
  });

  it('requires the named value, compared exactly', () => {
    const flags = (value: unknown) =>
      evaluate([feature('plan', true, { value }), feature('pro', true, { prerequisites: [{ feature: 'plan', value: 'gold' }] }), feature('big', true, { prerequisites: [{ feature: 'plan', value: 3 }] })]);

    expect(flags('gold').pro?.enabled).toBe(true);
    expect(flags('Gold').pro?.enabled).toBe(false);
    expect(flags(3).big?.enabled).toBe(true);
    expect(flags('3').big?.enabled).toBe(false);
  });

  it('refuses a malformed prerequisite, naming the field', () => {
    const context = { environment, features: { ui: { ...feature('ui', true), prerequisites: [{ variant: 'x' }] } } } as unknown as EvaluationContext;

    expect(() => getEvaluationResult(context)).toThrow(EvaluationContextError);
    expect(() => getEvaluationResult(context)).toThrow(/features\.ui\.prerequisites\.0\.feature/);
  });
});
