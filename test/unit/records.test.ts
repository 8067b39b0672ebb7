/**
 * User data keyed by any string (functions/engine/records.ts), the number range DynamoDB stores,
 * sizes in messages (functions/domain/limits.ts) and the digests events carry instead of images
 * that do not fit (functions/domain/image-digest.ts).
 */
import { fc, test as property } from '@fast-check/vitest';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { imageDigest } from '../../functions/domain/image-digest.js';
import { DYNAMODB, formatBytes, isStorableNumber } from '../../functions/domain/limits.js';
import { ownRecord } from '../../functions/engine/own-record.js';
import { getOwn, isPlainObject, setOwn } from '../../functions/engine/records.js';

const RESERVED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''];

describe('records keyed by user data', () => {
  it('keep __proto__, constructor and the other Object.prototype names as own keys', () => {
    const record: Record<string, string> = {};
    for (const key of RESERVED) setOwn(record, key, `v-${key}`);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record).sort()).toEqual([...RESERVED].sort());
    for (const key of RESERVED) expect(getOwn(record, key)).toBe(`v-${key}`);
    expect(JSON.parse(JSON.stringify(record))).toEqual(JSON.parse(JSON.stringify(record)));
    expect(JSON.stringify(record)).toContain('"__proto__":"v-__proto__"');
  });

  it('never answer a value inherited from Object.prototype', () => {
    for (const key of RESERVED) expect(getOwn({}, key)).toBeUndefined();
    expect(getOwn(undefined, 'a')).toBeUndefined();
  });

  it('tell plain objects from arrays, null and class instances', () => {
    expect(isPlainObject(JSON.parse('{"__proto__":1}'))).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const other of [[], null, new Date(0), new Map(), 'x', 1]) expect(isPlainObject(other)).toBe(false);
  });

  const traits = ownRecord(z.string().min(1).max(15), z.union([z.string(), z.number()]));

  it('ownRecord keeps every key that JSON.parse makes, where z.record drops __proto__', () => {
    const input = JSON.parse('{"__proto__":"a","constructor":"b","toString":1}');
    expect(Object.keys(z.record(z.string(), z.unknown()).parse(input))).not.toContain('__proto__');
    const parsed = traits.parse(input);
    expect(Object.keys(parsed).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(getOwn(parsed, '__proto__')).toBe('a');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('ownRecord refuses a bad key or value, naming where', () => {
    const result = traits.safeParse(JSON.parse('{"ok":"x","a-key-much-too-long":1,"v":true}'));
    expect(result.success).toBe(false);
    const issues = result.error?.issues ?? [];
    expect(issues.map((issue) => issue.path)).toEqual([['a-key-much-too-long'], ['v']]);
    expect(issues[0]?.message).toContain('"a-key-much-too-long"');
    expect(traits.safeParse([]).success).toBe(false);
    expect(traits.safeParse(null).success).toBe(false);
  });

  property.prop([fc.dictionary(fc.constantFrom(...RESERVED.filter(Boolean), 'a', 'b'), fc.string({ maxLength: 5 }))])(
    'ownRecord round-trips any keys through JSON text',
    (record) => {
      const text = JSON.stringify(record);
      expect(JSON.stringify(ownRecord(z.string(), z.string()).parse(JSON.parse(text)))).toBe(text);
    },
  );
});

describe('numbers DynamoDB stores', () => {
  it('are 0 and magnitudes from 1e-130 to 9.99…e125', () => {
    for (const n of [0, -0, 1, -1.5, DYNAMODB.smallestPositiveNumber, -9.999999999999998e125, Number.MAX_SAFE_INTEGER]) expect(isStorableNumber(n)).toBe(true);
    for (const n of [1e-131, 1e126, -1e126, Number.MAX_VALUE, Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY]) expect(isStorableNumber(n)).toBe(false);
  });
});

describe('sizes in messages', () => {
  it('read as people read them', () => {
    expect(formatBytes(100)).toBe('100 bytes');
    expect(formatBytes(64 * 1024)).toBe('64 KiB');
    expect(formatBytes(4 * 1024 * 1024)).toBe('4 MiB');
    expect(formatBytes(308_429)).toBe('301.2 KiB');
  });
});

describe('image digests', () => {
  it('are equal for equal content whatever the key order, and differ otherwise', () => {
    const a = imageDigest({ b: 1, a: { y: [1, 2], x: 'é' } });
    expect(a).toEqual(imageDigest({ a: { x: 'é', y: [1, 2] }, b: 1 }));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.bytes).toBe(Buffer.byteLength('{"a":{"x":"é","y":[1,2]},"b":1}'));
    expect(imageDigest({ b: 1, a: { y: [2, 1], x: 'é' } }).sha256).not.toBe(a.sha256);
    expect(imageDigest(JSON.parse('{"__proto__":1}')).sha256).not.toBe(imageDigest({}).sha256);
  });
});
