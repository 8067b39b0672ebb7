import { describe, expect, it } from 'vitest';
import {
  createEvaluator,
  EvaluationContextError,
  type EvaluationContext,
  type FeatureContext,
  getEvaluationResult,
  type SegmentCondition,
  type SegmentContext,
  tenantOverrideSegments,
  type TraitValue,
} from '../../functions/engine/index.js';

const environment = { key: 'env-key', name: 'Production' };
const flag: FeatureContext = { key: '1', name: 'banner', enabled: false, value: 'off' };

/** Whether an identity with `traits` is in a one-condition segment. */
function matches(condition: SegmentCondition, traits: Record<string, TraitValue>, identifier = 'user-1'): boolean {
  const segment: SegmentContext = {
    key: '7',
    name: 'target',
    rules: [{ type: 'ALL', conditions: [condition] }],
  };
  const result = getEvaluationResult({ environment, segments: { '7': segment }, identity: { identifier, traits } });
  return result.segments.some((s) => s.name === 'target');
}

describe('condition operators follow the reference engine', () => {
  it.each([
    // [operator, condition value, trait value, expected]
    ['EQUAL', 'green', 'green', true],
    ['EQUAL', 'Green', 'green', false],
    ['EQUAL', '21', '21', true], // number-like trait strings become ints
    ['EQUAL', '21.0', 21, true], // a JSON number compares as a float when the condition is one
    ['EQUAL', 'true', true, true],
    ['EQUAL', 'yes', true, true], // bool casts: anything but "false"/"False" is True
    ['EQUAL', 'false', true, false],
    ['EQUAL', '1', true, true],
    ['EQUAL', 'abc', 5, false], // a failed cast never matches
    ['NOT_EQUAL', 'abc', 5, false],
    ['NOT_EQUAL', 'blue', 'green', true],
    ['GREATER_THAN', '18', 21, true],
    ['GREATER_THAN', '21', 21, false],
    ['GREATER_THAN_INCLUSIVE', '21', 21, true],
    ['LESS_THAN', '2.1', 2.05, true],
    ['LESS_THAN_INCLUSIVE', '10', 11, false],
    ['GREATER_THAN', 'b', 'c', true], // strings order lexically
    ['CONTAINS', 'exam', 'example.com', true],
    ['CONTAINS', '1', 10, false], // CONTAINS needs a string trait
    ['NOT_CONTAINS', 'spam', 'hello', true],
    ['NOT_CONTAINS', 'ell', 'hello', false],
    ['NOT_CONTAINS', '1', 10, false],
    ['IN', 'a,b,c', 'b', true],
    ['IN', 'a,b,c', 'ab', false],
    ['IN', '["x,y","z"]', 'x,y', true], // JSON arrays keep commas inside values
    ['IN', '1,2,3', 2, true], // ints compare by their text
    ['IN', '1,2,3', '2', true],
    ['IN', 'True', true, false], // bools never match IN
    ['IN', '1.5', 1.5, false], // nor do floats
    ['REGEX', '[a-z]+@example\\.com', 'jo@example.com', true],
    ['REGEX', 'example', 'jo@example.com', false], // anchored at the start, like re.match
    ['REGEX', '\\d+', 42, true],
    ['REGEX', 'Tr', true, true], // bools render as Python's True / False
    ['REGEX', '(?<=a)b', 'ab', false], // RE2 cannot compile lookbehind: matches nothing
    ['MODULO', '2|0', 10, true],
    ['MODULO', '2|1', 10, false],
    ['MODULO', '3|2', -1, true], // Python's % takes the divisor's sign
    ['MODULO', '2|1', true, true], // bools are ints in Python
    ['MODULO', '2|0', '10', true],
    ['MODULO', '2|0', 'ten', false],
    ['MODULO', '0|0', 10, false],
    ['MODULO', '2', 10, false],
    ['EQUAL', '1.2.3:semver', '1.2.3', true],
    ['GREATER_THAN', '1.2.3:semver', '1.10.0', true], // numeric, not lexical
    ['LESS_THAN', '1.0.0:semver', '1.0.0-beta.2', true], // pre-releases sort first
    ['EQUAL', '1.2.3:semver', 'v1.2.3', false], // strict parsing, as Python's semver
    ['GREATER_THAN', '1.2:semver', '1.3.0', false],
    ['EQUAL', '1.2.3+build.1:semver', '1.2.3+build.2', true], // build metadata is ignored
  ] as const)('%s %j against trait %j is %s', (operator, value, trait, expected) => {
    expect(matches({ operator, property: 'p', value }, { p: trait })).toBe(expected);
  });

  it('IS_SET and IS_NOT_SET see missing and null traits as not set', () => {
    expect(matches({ operator: 'IS_SET', property: 'p', value: '' }, { p: '' })).toBe(true);
    expect(matches({ operator: 'IS_SET', property: 'p', value: '' }, { p: null })).toBe(false);
    expect(matches({ operator: 'IS_NOT_SET', property: 'p', value: '' }, {})).toBe(true);
    expect(matches({ operator: 'EQUAL', property: 'constructor', value: 'x' }, {})).toBe(false);
  });

  it('resolves JSONPath properties against the context, with the enriched identity key', () => {
    expect(matches({ operator: 'EQUAL', property: '$.identity.identifier', value: 'ana' }, {}, 'ana')).toBe(true);
    expect(matches({ operator: 'EQUAL', property: '$.environment.name', value: 'Production' }, {})).toBe(true);
    expect(matches({ operator: 'EQUAL', property: '$.identity.key', value: 'env-key_ana' }, {}, 'ana')).toBe(true);
    expect(matches({ operator: 'EQUAL', property: "$.identity.traits['a.b']", value: 'x' }, { 'a.b': 'x' })).toBe(true);
    // A path to an object is "not set"; an invalid path is read as a trait key.
    expect(matches({ operator: 'IS_NOT_SET', property: '$.identity', value: '' }, {})).toBe(true);
    expect(matches({ operator: 'EQUAL', property: '$.[bad', value: 'v' }, { '$.[bad': 'v' })).toBe(true);
  });

  it('PERCENTAGE_SPLIT buckets the identity key, or the property when one is named', () => {
    const inTenPercent = (identifier: string) =>
      matches({ operator: 'PERCENTAGE_SPLIT', property: '', value: '10' }, {}, identifier);
    const hits = Array.from({ length: 2000 }, (_, i) => inTenPercent(`user-${i}`)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(140);
    expect(hits).toBeLessThan(260);
    // The same company puts all its users in the same bucket.
    const byCompany = (identifier: string) =>
      matches({ operator: 'PERCENTAGE_SPLIT', property: 'company', value: '50' }, { company: 'acme' }, identifier);
    const answers = new Set(Array.from({ length: 50 }, (_, i) => byCompany(`user-${i}`)));
    expect(answers.size).toBe(1);
    expect(matches({ operator: 'PERCENTAGE_SPLIT', property: 'company', value: '100' }, {})).toBe(false);
  });
});

describe('rules', () => {
  const segmentWith = (rules: SegmentContext['rules']): EvaluationContext => ({
    environment,
    features: { banner: flag },
    segments: { '1': { key: '1', name: 's', rules, overrides: [{ ...flag, enabled: true, value: 'on' }] } },
    identity: { identifier: 'u', traits: { plan: 'pro', country: 'FR' } },
  });
  const plan = (value: string): SegmentCondition => ({ operator: 'EQUAL', property: 'plan', value });

  it('combines ALL, ANY and NONE over conditions and nested rules', () => {
    const inSegment = (rules: SegmentContext['rules']) => getEvaluationResult(segmentWith(rules)).segments.length === 1;
    expect(inSegment([{ type: 'ALL', conditions: [plan('pro'), plan('free')] }])).toBe(false);
    expect(inSegment([{ type: 'ANY', conditions: [plan('pro'), plan('free')] }])).toBe(true);
    expect(inSegment([{ type: 'NONE', conditions: [plan('free')] }])).toBe(true);
    expect(inSegment([{ type: 'NONE', rules: [{ type: 'ALL', conditions: [plan('pro')] }] }])).toBe(false);
    expect(inSegment([{ type: 'ALL', rules: [{ type: 'ANY', conditions: [plan('x'), plan('pro')] }] }])).toBe(true);
    expect(inSegment([])).toBe(false); // a segment without rules matches no one
  });

  it('applies the override of the matched segment with the reason naming it', () => {
    const result = getEvaluationResult(segmentWith([{ type: 'ALL', conditions: [plan('pro')] }]));
    expect(result.flags.banner).toEqual({
      name: 'banner',
      enabled: true,
      value: 'on',
      reason: 'TARGETING_MATCH; segment=s',
      variant: null,
    });
  });
});

describe('override priority', () => {
  const segment = (key: string, priority: number | undefined, value: string): SegmentContext => ({
    key,
    name: `s${key}`,
    rules: [{ type: 'ALL', conditions: [{ operator: 'IS_SET', property: 'plan', value: '' }] }],
    overrides: [{ ...flag, value, ...(priority === undefined ? {} : { priority }) }],
  });
  const evaluate = (segments: SegmentContext[], extra: Partial<EvaluationContext> = {}) =>
    getEvaluationResult({
      environment,
      features: { banner: flag },
      segments: Object.fromEntries(segments.map((s) => [s.key, s])),
      identity: { identifier: 'u', traits: { plan: 'pro', tenant: 'acme' } },
      ...extra,
    }).flags.banner;

  it('lower priority numbers win, ties keep the first, missing priority ranks last', () => {
    expect(evaluate([segment('1', 5, 'five'), segment('2', 1, 'one')])?.value).toBe('one');
    expect(evaluate([segment('1', 1, 'first'), segment('2', 1, 'second')])?.value).toBe('first');
    expect(evaluate([segment('1', undefined, 'none'), segment('2', 9, 'nine')])?.value).toBe('nine');
  });

  it('tenant overrides rank above segment overrides and below identity overrides', () => {
    const tenants = { overrides: { acme: [{ ...flag, enabled: true, value: 'tenant' }] } };
    expect(evaluate([segment('1', 0, 'segment')], { tenants })).toMatchObject({
      value: 'tenant',
      reason: 'TENANT_OVERRIDE',
    });
    const identityOverride: SegmentContext = {
      key: 'identity',
      name: 'identity_overrides',
      rules: [{ type: 'ALL', conditions: [{ operator: 'IN', property: '$.identity.identifier', value: 'u' }] }],
      overrides: [{ ...flag, value: 'identity', priority: -Infinity }],
    };
    expect(evaluate([segment('1', 0, 'segment'), identityOverride], { tenants })?.value).toBe('identity');
    expect(evaluate([segment('1', 0, 'segment')], { tenants: { ...tenants, traitKey: 'org' } })?.value).toBe('segment');
  });

  it('tenant overrides give the same result as the segments a Flagsmith document carries for them', () => {
    const tenants = {
      overrides: {
        acme: [{ ...flag, value: 'acme' }],
        '42': [{ ...flag, value: 'numeric tenant' }],
      },
    };
    for (const tenant of ['acme', '42', 42, 'other', true, 42.5] as TraitValue[]) {
      const base = { environment, features: { banner: flag }, identity: { identifier: 'u', traits: { tenant } } };
      const asSegments = Object.fromEntries(tenantOverrideSegments(tenants).map((s) => [s.key, s]));
      expect(getEvaluationResult({ ...base, tenants })).toEqual(getEvaluationResult({ ...base, segments: asSegments }));
    }
  });
});

describe('multivariate', () => {
  const mv: FeatureContext = {
    key: '99',
    name: 'checkout',
    enabled: true,
    value: 'control-value',
    variants: [
      { value: 'b', weight: 50, priority: 2, key: 'variant_b' },
      { value: 'a', weight: 25, priority: 1, key: 'variant_a' },
    ],
  };
  const evaluate = (identifier: string) =>
    getEvaluationResult({ environment, features: { checkout: mv }, identity: { identifier } }).flags.checkout;

  it('splits identities by variant priority and weight, stably', () => {
    const counts = new Map<unknown, number>();
    for (let i = 0; i < 4000; i++) {
      const result = evaluate(`id-${i}`);
      counts.set(result?.variant, (counts.get(result?.variant) ?? 0) + 1);
    }
    expect(counts.get('variant_a')).toBeGreaterThan(850);
    expect(counts.get('variant_a')).toBeLessThan(1150);
    expect(counts.get('variant_b')).toBeGreaterThan(1800);
    expect(counts.get('control')).toBeGreaterThan(850);
    expect(evaluate('id-7')).toEqual(evaluate('id-7'));
  });

  it('reports the split weight in the reason and leaves environment evaluation on the default value', () => {
    const result = evaluate('someone');
    expect(result?.reason).toMatch(/^(SPLIT; weight=(25|50)|DEFAULT)$/);
    const noIdentity = getEvaluationResult({ environment, features: { checkout: mv } }).flags.checkout;
    expect(noIdentity).toEqual({ name: 'checkout', enabled: true, value: 'control-value', reason: 'DEFAULT', variant: null });
  });
});

describe('identity key', () => {
  it('derives <environment key>_<identifier> when the identity has no key', () => {
    const mv: FeatureContext = { ...flag, variants: [{ value: 'x', weight: 50, priority: 1 }] };
    const implicit = getEvaluationResult({ environment, features: { banner: mv }, identity: { identifier: 'ana' } });
    const explicit = getEvaluationResult({
      environment,
      features: { banner: mv },
      identity: { identifier: 'ana', key: 'env-key_ana' },
    });
    expect(implicit).toEqual(explicit);
  });
});

describe('hostile input', () => {
  // A backtracking engine would not return from this in the age of the universe; RE2 takes
  // milliseconds. The test's own timeout is the guard: a regression hangs and fails it.
  it('runs a catastrophic-backtracking pattern in linear time', () => {
    const matched = matches({ operator: 'REGEX', property: 'p', value: '(a+)+$' }, { p: `${'a'.repeat(50_000)}!` });
    expect(matched).toBe(false);
  });

  it('rejects a malformed context with an error naming the field', () => {
    const bad = { environment, features: { banner: { ...flag, enabled: 'yes' } } } as unknown as EvaluationContext;
    expect(() => getEvaluationResult(bad)).toThrow(EvaluationContextError);
    expect(() => getEvaluationResult(bad)).toThrow(/features\.banner\.enabled/);
    const badOperator = {
      environment,
      segments: { '1': { key: '1', name: 's', rules: [{ type: 'ALL', conditions: [{ operator: 'LIKE' }] }] } },
    } as unknown as EvaluationContext;
    expect(() => getEvaluationResult(badOperator)).toThrow(/segments\.1\.rules\.0\.conditions\.0\.operator/);
    expect(() => getEvaluationResult(null as unknown as EvaluationContext)).toThrow(EvaluationContextError);
    const badTrait = { environment, identity: { identifier: 'u', traits: { a: { nested: 1 } } } } as unknown as EvaluationContext;
    expect(() => getEvaluationResult(badTrait)).toThrow(/identity\.traits\.a/);
  });

  it('does not let a caller corrupt later evaluations by mutating a result', () => {
    const context: EvaluationContext = { environment, features: { banner: { ...flag, metadata: { id: 1 } } } };
    const first = getEvaluationResult(context);
    expect(() => {
      (first.flags.banner?.metadata as Record<string, unknown>).id = 2;
    }).toThrow(TypeError);
    expect(getEvaluationResult(context).flags.banner?.metadata).toEqual({ id: 1 });
  });
});

describe('createEvaluator', () => {
  it('gives the same answers as getEvaluationResult', () => {
    const parts = {
      environment,
      features: { banner: flag },
      segments: {
        '1': {
          key: '1',
          name: 'fr',
          rules: [{ type: 'ALL' as const, conditions: [{ operator: 'EQUAL' as const, property: 'country', value: 'FR' }] }],
          overrides: [{ ...flag, enabled: true }],
        },
      },
    };
    const evaluator = createEvaluator(parts);
    for (const country of ['FR', 'DE']) {
      const identity = { identifier: 'u', traits: { country } };
      expect(evaluator.evaluate(identity)).toEqual(getEvaluationResult({ ...parts, identity }));
    }
    expect(() => evaluator.evaluate({ identifier: 5 } as never)).toThrow(/identity\.identifier/);
  });
});
