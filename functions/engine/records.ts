/**
 * Records keyed by user data (traits, tenant ids, JSON object keys). Any string is a key here,
 * `__proto__`, `constructor` and `hasOwnProperty` included: assignment (`record[key] = value`)
 * would turn `__proto__` into a prototype change, and zod's `z.record` skips that key, so both
 * lose user data silently. Lookups go through `Object.hasOwn`, never through the prototype.
 * Their schema is `ownRecord` (./own-record.ts, with zod; this module loads none).
 */

/** Defines an own, enumerable property, whatever the key (assignment would treat `__proto__` as the prototype). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The record's own value for `key`, never one inherited from Object.prototype. */
export const getOwn = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

/** A plain object (what JSON.parse makes), not an array, a class instance or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
