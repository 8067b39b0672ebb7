/**
 * Properties of tenant-configurable constraints (functions/domain/tenant-constraints.ts): a value
 * is accepted exactly when it is of the feature's type, one of the allowed values, within the
 * range and valid against the schema; constraints refuse themselves when they cannot hold; and a
 * pattern in a customer's schema runs in linear time whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue, TenantSettings } from '../../functions/domain/entities.js';
import { tenantChoiceProblems, tenantSettingsProblems, valueProblems } from '../../functions/domain/tenant-constraints.js';

const number = { valueType: 'number' as const };
const json = { valueType: 'json' as const };

describe('tenant constraints', () => {
  it('accepts a number exactly when it is within the range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -2000, max: 2000, noNaN: true }), (a, b, value) => {
        const settings: TenantSettings = { minimum: Math.min(a, b), maximum: Math.max(a, b) };
        const inRange = value >= settings.minimum! && value <= settings.maximum!;
        expect(valueProblems(number, settings, value).length === 0).toBe(inRange);
      }),
    );
  });

  it('accepts exactly the allowed values (compared as JSON), and nothing of another type', () => {
    const value = fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: 0, max: 5 }), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 5 }), value, (allowed, candidate) => {
        const problems = valueProblems({ valueType: 'string' }, { allowedValues: allowed }, candidate as JsonValue);
        const expected = typeof candidate === 'string' ? allowed.includes(candidate) : false;
        expect(problems.length === 0).toBe(expected);
      }),
    );
  });

  it('agrees with the schema for objects, and names the failing field', () => {
    const schema = { type: 'object', properties: { seats: { type: 'integer', minimum: 1 }, name: { type: 'string', pattern: '^[a-z]+$' } }, required: ['seats'], additionalProperties: false };
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 5 }), fc.option(fc.string({ maxLength: 6 }), { nil: undefined }), (seats, name) => {
        const value = { seats, ...(name !== undefined ? { name } : {}) };
        const valid = seats >= 1 && (name === undefined || /^[a-z]+$/.test(name));
        const problems = valueProblems(json, { schema }, value);
        expect(problems.length === 0).toBe(valid);
        if (!valid) expect(problems[0]!.path).toBe(seats < 1 ? 'value.seats' : 'value.name');
      }),
    );
  });

  it('runs schema patterns in linear time: a classic catastrophic pattern on a long input answers at once', () => {
    const schema = { type: 'string', pattern: '^(a+)+$' };
    expect(tenantSettingsProblems({ valueType: 'string' }, { schema })).toEqual([]);
    // A backtracking engine would never return from this; RE2 answers in linear time.
    expect(valueProblems({ valueType: 'string' }, { schema }, `${'a'.repeat(50_000)}!`)).toHaveLength(1);
  });

  it('refuses constraints that cannot hold: a reversed range, a range on text, allowed values outside the range, an invalid schema, backreferences', () => {
    expect(tenantSettingsProblems(number, { minimum: 5, maximum: 1 })).toEqual([{ path: 'tenantSettings.maximum', message: 'must not be below minimum' }]);
    expect(tenantSettingsProblems({ valueType: 'string' }, { minimum: 1 })).toHaveLength(1);
    expect(tenantSettingsProblems(number, { maximum: 10, allowedValues: [1, 11] })).toEqual([{ path: 'tenantSettings.allowedValues.1', message: 'must be at most 10' }]);
    expect(tenantSettingsProblems(json, { schema: { type: 'objekt' } })[0]!.path).toBe('tenantSettings.schema');
    expect(tenantSettingsProblems(json, { schema: { type: 'string', pattern: '(a)\\1' } })[0]!.path).toBe('tenantSettings.schema');
    expect(tenantSettingsProblems(json, { schema: { type: 'string', description: 'x'.repeat(20_000) } })[0]!.message).toMatch(/KiB/);
  });

  it('lets a tenant toggle only where allowed, and never checks a value left as it is', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (allowToggle, baseEnabled, enabled) => {
        const base = { enabled: baseEnabled, value: 999 };
        const problems = tenantChoiceProblems(number, { maximum: 10, allowToggle }, { enabled, value: 999 }, base);
        expect(problems.length === 0).toBe(allowToggle || enabled === baseEnabled);
      }),
    );
  });
});
