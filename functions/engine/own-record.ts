/**
 * The zod schema of a record keyed by user data (./records.ts says why any key, `__proto__`
 * included, must survive), in a module of its own: code that only reads and writes such records
 * (the sdk-api's at every cold start) imports ./records.ts and loads no zod.
 */
import * as z from 'zod';
import { isPlainObject, setOwn } from './records.js';

/**
 * `z.record(key, value)` that keeps every own key, `__proto__` included, validating each key and
 * value. Its JSON Schema is that of the equivalent `z.record`.
 */
export function ownRecord<V extends z.ZodType>(key: z.ZodType<string>, value: V) {
  const shape = z.record(key, value);
  return z
    .unknown()
    .transform((input, ctx): Record<string, z.output<V>> => {
      if (!isPlainObject(input)) {
        ctx.addIssue({ code: 'custom', message: 'expected an object' });
        return z.NEVER;
      }
      const out: Record<string, z.output<V>> = {};
      for (const name of Object.keys(input)) {
        const parsedKey = key.safeParse(name);
        if (!parsedKey.success) {
          for (const issue of parsedKey.error.issues) ctx.addIssue({ code: 'custom', path: [name], message: `key ${JSON.stringify(name)}: ${issue.message}` });
          continue;
        }
        const parsedValue = value.safeParse(input[name]);
        if (!parsedValue.success) {
          for (const issue of parsedValue.error.issues) ctx.addIssue({ code: 'custom', path: [name, ...issue.path], message: issue.message });
          continue;
        }
        setOwn(out, parsedKey.data, parsedValue.data);
      }
      return out;
    })
    .meta(lazyMetadata(() => jsonSchemaOf(shape)));
}

/**
 * Metadata computed the first time it is read: zod's registry reads it only to generate a JSON
 * Schema (the OpenAPI document), and converting the record's schema at declaration cost every
 * cold start that declares one (the engine's context schemas: most of the sdk-api's init).
 * `id` is answered without computing: zod's registry asks for it when the metadata is added,
 * and a converted schema never has one.
 */
function lazyMetadata(compute: () => Record<string, unknown>): Record<string, unknown> {
  let computed: Record<string, unknown> | undefined;
  const value = () => (computed ??= compute());
  return new Proxy(
    {},
    {
      get: (_, key) => Reflect.get(value(), key),
      has: (_, key) => key !== 'id' && Reflect.has(value(), key),
      ownKeys: () => Reflect.ownKeys(value()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(value(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/** The JSON Schema of `schema`, for use as another schema's metadata. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
