/**
 * How entities become DynamoDB items and back, for the parts of them that are user data (trait
 * keys, JSON object keys). Three map keys cannot be stored as they are: `""` (DynamoDB refuses
 * empty attribute names), `__proto__` (the AWS SDK builds maps by assignment, which sets the
 * prototype instead) and `constructor` (the SDK reads `value.constructor.name` to decide what a
 * value is). Those keys, and keys that start with the escape character, are stored with one
 * escape character in front; reading removes it. Every other key is stored as it is, so items
 * written before this codec read back unchanged.
 *
 * Also measures items as DynamoDB does ("DynamoDB item sizes and formats",
 * docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html), so
 * the store can refuse an item DynamoDB would refuse, before sending it.
 */
import { isStorableNumber } from '../domain/limits.js';
import { isPlainObject, setOwn } from '../engine/records.js';

/** U+E000, a private-use character: no key anyone writes starts with it. */
const ESCAPE = '\uE000';
const needsEscape = (key: string) => key === '' || key === '__proto__' || key === 'constructor' || key.startsWith(ESCAPE);

/** The value as it is stored: map keys escaped where needed. The caller has bounded its depth. */
export function encodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(encodeValue);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    setOwn(out, needsEscape(key) ? ESCAPE + key : key, encodeValue(inner));
  }
  return out;
}

/** The value as it was written: escapes removed, `__proto__` back as an own key. */
export function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) setOwn(out, key.startsWith(ESCAPE) ? key.slice(ESCAPE.length) : key, decodeValue(inner));
  return out;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number's size: one byte per two significant digits, plus one (rounded up, to be safe). */
function numberSize(value: number): number {
  const digits = (Math.abs(value).toExponential().split('e')[0] ?? '').replace('.', '');
  let significant = digits.length;
  while (significant > 1 && digits[significant - 1] === '0') significant--;
  return Math.ceil(significant / 2) + 2;
}

/**
 * An item's size and deepest nesting of lists and maps inside an attribute, as DynamoDB counts
 * them (the item is given as stored: keys escaped), and whether every number is one DynamoDB
 * stores. Walks without recursion.
 */
export function measureItem(item: Record<string, unknown>): { bytes: number; depth: number; storableNumbers: boolean } {
  let bytes = 0;
  let depth = 0;
  let storableNumbers = true;
  const stack: [unknown, number][] = [];
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += utf8(name);
    stack.push([value, 0]);
  }
  while (stack.length) {
    const [value, level] = stack.pop() as [unknown, number];
    if (typeof value === 'string') bytes += utf8(value);
    else if (typeof value === 'number') {
      bytes += numberSize(value);
      if (!isStorableNumber(value)) storableNumbers = false;
    }
    else if (value === null || typeof value === 'boolean') bytes += 1;
    else if (Array.isArray(value)) {
      bytes += 3;
      depth = Math.max(depth, level + 1);
      for (const inner of value) {
        bytes += 1;
        stack.push([inner, level + 1]);
      }
    } else if (typeof value === 'object') {
      bytes += 3;
      depth = Math.max(depth, level + 1);
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (inner === undefined) continue;
        bytes += 1 + utf8(key);
        stack.push([inner, level + 1]);
      }
    }
  }
  return { bytes, depth, storableNumbers };
}
