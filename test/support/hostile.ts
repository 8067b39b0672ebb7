/**
 * fast-check arbitraries for hostile HTTP requests: values that have broken services like this
 * one (deep, long, multi-byte, reserved object keys, numbers DynamoDB cannot hold, lone
 * surrogates), request bodies generated from a route's own zod schema and then mutated with
 * them, path ids, query strings with forged cursors, and headers.
 */
import { fc } from '@fast-check/vitest';
import * as z from 'zod';

/** Object keys that break code which builds objects by assignment or reads them through the prototype. */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''] as const;

const nest = (depth: number, leaf: unknown, kind: 'array' | 'object'): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
};

/** Strings that are long in characters, in bytes, or not Unicode at all. */
export const hostileString = fc.oneof(
  fc.integer({ min: 1025, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 257, max: 700 }).map((n) => '€'.repeat(n)),
  fc.integer({ min: 100, max: 600 }).map((n) => '🚩'.repeat(n)),
  fc.constantFrom(...RESERVED_KEYS, '\ud800', 'a\udc00b', '\u0000', '..', ' ', '[x', 'a,b', '%', '$.identity[?match(@, "(a+)+b")]'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** Numbers at the edges of what JSON, JavaScript and DynamoDB can hold. */
export const hostileNumber = fc.oneof(
  fc.constantFrom(1e300, -1e300, 1e126, 9.9e125, 5e-324, 1e-131, 2 ** 53 + 2, -0, 0.1 + 0.2, 1e9, 1e21),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, including hostile ones: deep, large, oddly keyed. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: hostileString, weight: 2 },
  { arbitrary: hostileNumber, weight: 2 },
  fc.tuple(fc.integer({ min: 15, max: 70 }), fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>).map(([depth, kind]) => nest(depth, 1, kind)),
  fc.tuple(fc.constantFrom(...RESERVED_KEYS), fc.jsonValue({ maxDepth: 1 })).map(([key, value]) => JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value ?? null)}}`)),
  fc.integer({ min: 60_000, max: 250_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 500, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
  fc.constantFrom(null, true, [], {}),
);

/** JSON text no parser-then-recursion design survives: 10,000 levels, cut-off, not JSON. */
export const hostileRawBody = fc.oneof(
  fc.constantFrom('['.repeat(10_000) + ']'.repeat(10_000), '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), '{"name":', 'null', '"text"', '[]', 'not json', ''),
  fc.integer({ min: 257 * 1024, max: 300 * 1024 }).map((n) => JSON.stringify({ name: 'x'.repeat(n) })),
);

/** Real values by field or parameter name, so generated requests reach past the lookups. */
export type Known = Record<string, string[]>;

type JsonSchema = Record<string, any>;

/** A fast-check arbitrary of values that match a JSON Schema (as zod renders one), using known values for named fields. */
export function fromSchema(schema: JsonSchema, root: JsonSchema, known: Known, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if (schema.$ref) {
    const target = root.$defs?.[String(schema.$ref).replace('#/$defs/', '')];
    return target ? fromSchema(target, root, known, name, depth + 1) : fc.constant(null);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return fc.oneof(...union.map((option: JsonSchema) => fromSchema(option, root, known, name, depth + 1)));
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => fromSchema({ ...schema, type }, root, known, name, depth + 1)));
  const values = known[name];
  switch (schema.type) {
    case 'string': {
      let base: fc.Arbitrary<string>;
      if (schema.format === 'date-time') base = fc.date({ min: new Date(Date.now() + 3_600_000), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      else if (schema.format === 'uri') base = fc.constantFrom('https://hooks.example.com/vexilla', 'http://127.0.0.1:9/hook');
      else if (schema.pattern) base = fc.stringMatching(new RegExp(schema.pattern)).map((text) => text.slice(0, schema.maxLength ?? 60));
      else base = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
      return values?.length ? fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 3 }, base) : base;
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e6), max: Math.min(schema.maximum ?? 1000, 1e6) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, root, known, name, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      const properties: Record<string, JsonSchema> = schema.properties ?? {};
      if (Object.keys(properties).length === 0 && schema.additionalProperties) {
        const key = schema.propertyNames ? (fromSchema(schema.propertyNames, root, known, `${name}.key`, depth + 1) as fc.Arbitrary<string>) : fc.string({ maxLength: 12 });
        return fc.dictionary(fc.oneof(key, fc.constantFrom(...(known[`${name}.key`] ?? ['k']))), fromSchema(schema.additionalProperties, root, known, '', depth + 1), { maxKeys: 3 });
      }
      const arbitraries = Object.fromEntries(Object.entries(properties).map(([key, inner]) => [key, fromSchema(inner, root, known, key, depth + 1)]));
      return fc.record(arbitraries, { requiredKeys: schema.required ?? [] });
    }
    default:
      // No type: any JSON value (feature values, unknown parts of an import document).
      return fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostileValue);
  }
}

/** Every container of a value and the keys of each, so a mutation can pick one. */
function containers(value: unknown): (unknown[] | Record<string, unknown>)[] {
  const found: (unknown[] | Record<string, unknown>)[] = [];
  const stack = [value];
  while (stack.length && found.length < 200) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      found.push(node);
      stack.push(...node);
    } else if (node !== null && typeof node === 'object') {
      found.push(node as Record<string, unknown>);
      stack.push(...Object.values(node));
    }
  }
  return found;
}

/** A valid-shaped value with one part made hostile: a field replaced, a reserved key added, or the whole nested deep. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, hostileValue, fc.nat(), fc.constantFrom('replace', 'reserved-key', 'unknown-key', 'as-is'), fc.constantFrom(...RESERVED_KEYS))
    .map(([value, hostile, pick, kind, reserved]) => {
      // A copy that keeps own `__proto__` keys as data.
      const copy = JSON.parse(JSON.stringify(value ?? null));
      if (kind === 'as-is') return copy;
      const targets = containers(copy);
      const target = targets[pick % Math.max(targets.length, 1)];
      if (!target) return hostile;
      if (Array.isArray(target)) {
        if (target.length) target[pick % target.length] = hostile;
        else target.push(hostile);
        return copy;
      }
      const keys = Object.keys(target);
      const key = kind === 'reserved-key' ? reserved : kind === 'unknown-key' || keys.length === 0 ? 'surprise' : (keys[pick % keys.length] as string);
      Object.defineProperty(target, key, { value: hostile, enumerable: true, writable: true, configurable: true });
      return copy;
    });
}

/** A route's body: schema-shaped and mutated, or hostile JSON, or hostile text. */
export function bodyFor(schema: z.ZodType | undefined, known: Known, valid?: fc.Arbitrary<unknown>): fc.Arbitrary<{ json?: unknown; raw?: string }> {
  const shaped = valid ?? (schema ? fromSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, known) : fc.constant({}));
  return fc.oneof(
    { arbitrary: mutated(shaped).map((json) => ({ json })), weight: 6 },
    { arbitrary: hostileValue.map((json) => ({ json })), weight: 1 },
    { arbitrary: hostileRawBody.map((raw) => ({ raw })), weight: 1 },
  );
}

/** A cursor that decodes to well-formed JSON naming somebody else's keys, or an old or broken one. */
export const forgedCursor = fc
  .oneof(
    fc.record({
      of: fc.constantFrom('features', 'identities', 'audit', 'segments', 'x'),
      shard: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(-1), fc.constant(1e9)),
      key: fc.dictionary(fc.constantFrom('pk', 'sk', 'gsi1sk', 'gsi1pk', '__proto__'), fc.oneof(fc.constantFrom('ORG#x', 'AUDIT#org_x', 'FEATURE#f', 'IDENTITY#env#u', '#META', '', 'zzz'), hostileString)),
    }),
    fc.record({ shard: fc.nat(3), key: fc.record({ sk: hostileString }) }),
    hostileValue,
  )
  .map((cursor) => Buffer.from(JSON.stringify(cursor) ?? 'null').toString('base64url'));

/** A query string value: forged cursors, hostile strings and numbers. */
export const queryValue = fc.oneof(forgedCursor, hostileString, hostileNumber.map(String), fc.string({ maxLength: 10 }));

/** A path segment, already URL-encoded: a real id, or something no id is. */
export function pathSegment(known: string[]): fc.Arbitrary<string> {
  const encode = (text: string) => {
    try {
      return encodeURIComponent(text);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as UTF-8 bytes no decoder accepts
    }
  };
  return fc.oneof(
    { arbitrary: fc.constantFrom(...(known.length ? known : ['x'])).map(encode), weight: 8 },
    { arbitrary: hostileString.filter((text) => text.length > 0 && text !== '.' && text !== '..').map(encode), weight: 2 },
    { arbitrary: fc.constantFrom('%ED%A0%80', '%00', '%2F', 'a%2Fb', '%C0%AF'), weight: 1 },
  );
}

/** If-Match values a client may send, well-formed or not. */
export const ifMatch = fc.option(fc.oneof(fc.constantFrom('"0"', '"1"', '""', 'W/"1"', '-1', '1e300', '99999999999999999999', '*'), hostileString.map((text) => text.replace(/[^\x20-\x7e]/g, 'x'))), { nil: undefined });
