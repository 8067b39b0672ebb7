import { describe, expect, it } from 'vitest';
import { explainSegment, getEvaluationResult, type SegmentRule } from '../../functions/engine/index.js';

const environment = { key: 'env-key', name: 'production' };

describe('explainSegment', () => {
  const rules: SegmentRule[] = [
    {
      type: 'ALL',
      conditions: [
        { operator: 'EQUAL', property: 'plan', value: 'pro' },
        { operator: 'REGEX', property: 'email', value: '.*@example\\.com$' },
      ],
      rules: [{ type: 'ANY', conditions: [
        { operator: 'GREATER_THAN_INCLUSIVE', property: 'version', value: '2.0.0:semver' },
        { operator: 'IN', property: 'country', value: 'fr,de' },
      ] }],
    },
  ];

  it('names the condition that failed an ALL rule', () => {
    const explanation = explainSegment({ segmentKey: '1', rules, environment, identity: { identifier: 'ana', traits: { plan: 'free', email: 'ana@example.com', country: 'fr' } } });
    expect(explanation.matched).toBe(false);
    const [rule] = explanation.rules;
    expect(rule?.conditions.map((c) => [c.operator, c.matched, c.decisive])).toEqual([
      ['EQUAL', false, true],
      ['REGEX', true, false],
    ]);
    expect(rule?.conditions[0]?.actual).toBe('free');
  });

  it('names the condition that satisfied an ANY rule, and reports unset traits', () => {
    const explanation = explainSegment({ segmentKey: '1', rules, environment, identity: { identifier: 'ana', traits: { plan: 'pro', email: 'ana@example.com', country: 'de' } } });
    expect(explanation.matched).toBe(true);
    const any = explanation.rules[0]?.rules[0];
    expect(any?.conditions.map((c) => [c.operator, c.matched, c.decisive, c.actual])).toEqual([
      ['GREATER_THAN_INCLUSIVE', false, false, undefined],
      ['IN', true, true, 'de'],
    ]);
  });

  it('agrees with evaluation on every operator', () => {
    const segments: Record<string, { key: string; name: string; rules: SegmentRule[] }> = {
      split: { key: 'split', name: 'split', rules: [{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', value: '50' }] }] },
      mod: { key: 'mod', name: 'mod', rules: [{ type: 'ALL', conditions: [{ operator: 'MODULO', property: 'n', value: '3|1' }] }] },
      none: { key: 'none', name: 'none', rules: [{ type: 'NONE', conditions: [{ operator: 'CONTAINS', property: 'email', value: 'spam' }, { operator: 'IS_NOT_SET', property: 'email' }] }] },
      path: { key: 'path', name: 'path', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: '$.environment.name', value: 'production' }, { operator: 'LESS_THAN', property: 'age', value: '30' }] }] },
      empty: { key: 'empty', name: 'empty', rules: [] },
    };
    for (let i = 0; i < 200; i++) {
      const identity = { identifier: `user-${i}`, traits: { n: i, age: i % 60, ...(i % 4 ? { email: i % 7 ? `u${i}@x.io` : 'spam@x.io' } : {}) } };
      const evaluated = new Set(getEvaluationResult({ environment, features: {}, segments, identity }).segments.map((s) => s.name));
      for (const segment of Object.values(segments)) {
        expect(explainSegment({ segmentKey: segment.key, rules: segment.rules, environment, identity }).matched, `${segment.name} for ${identity.identifier}`).toBe(evaluated.has(segment.name));
      }
    }
  });
});
