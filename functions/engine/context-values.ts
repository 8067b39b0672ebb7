/**
 * Context values as Flagsmith's reference (Python) engine sees them.
 *
 * The reference engine coerces number-like trait strings to int / float, casts a condition's
 * string value to the type of the trait it is compared with, and renders values with Python's
 * `str()` when it hashes or matches them as text. Reproducing those rules exactly is what keeps
 * our answers identical to every Flagsmith SDK's local evaluation.
 */

/**
 * A value after coercion, with the Python type it would have. `integral` is a JSON number with
 * no fractional part: JSON parsing in JavaScript cannot tell `2` (a Python int) from `2.0` (a
 * Python float), so it compares as an int where the condition is an int and as a float
 * otherwise, and renders as an int (what JavaScript clients send).
 */
export type ContextValue =
  | { readonly kind: 'str'; readonly str: string }
  | { readonly kind: 'int' | 'float' | 'integral'; readonly num: number; readonly str: string }
  | { readonly kind: 'bool'; readonly num: 0 | 1; readonly bool: boolean; readonly str: 'True' | 'False' };

const INT_PATTERN = /^-?[0-9]+$/;
const FLOAT_PATTERN = /^-?[0-9]+\.[0-9]+$/;

/** Python's `repr(float)`: shortest round-trip digits, `.0` on integral values, 2-digit exponents. */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    // Python switches to exponent notation outside [1e-4, 1e16) and pads the exponent to 2 digits.
    const [mantissa = '', exponent = ''] = x.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

/** Python's `str()` of an int-valued number (JSON numbers without a fraction are ints). */
function pyIntStr(x: number): string {
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

const TRUE: ContextValue = { kind: 'bool', num: 1, bool: true, str: 'True' };
const FALSE: ContextValue = { kind: 'bool', num: 0, bool: false, str: 'False' };

/**
 * Coerces a raw trait or context value the way the reference engine's
 * `map_any_value_to_context_value` does. `undefined` and `null` are "not set".
 */
export function toContextValue(raw: unknown): ContextValue | undefined {
  if (raw === undefined || raw === null) return undefined;
  switch (typeof raw) {
    case 'boolean':
      return raw ? TRUE : FALSE;
    case 'number':
      return Number.isInteger(raw)
        ? { kind: 'integral', num: raw, str: pyIntStr(raw) }
        : { kind: 'float', num: raw, str: pyFloatStr(raw) };
    case 'string':
      if (INT_PATTERN.test(raw)) {
        // Python ints are exact: keep the digits for str(), normalised as int() would.
        const big = BigInt(raw);
        return { kind: 'int', num: Number(big), str: big.toString() };
      }
      if (FLOAT_PATTERN.test(raw)) {
        const num = Number(raw);
        return { kind: 'float', num, str: pyFloatStr(num) };
      }
      return { kind: 'str', str: raw };
    default:
      // The reference engine falls back to str() for anything else; JSON is our closest rendering.
      return { kind: 'str', str: JSON.stringify(raw) ?? String(raw) };
  }
}

/** Python's `str()` of a condition value as it arrives in the context (string, number, bool, null). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? pyIntStr(value) : pyFloatStr(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const PY_INT = /^[+-]?\d+(?:_\d+)*$/;
// Each digit run is `\d(?:_?\d)*`, which splits a run of digits one way only: with two adjacent
// `\d+` (as this once had) a long run of digits followed by a letter backtracks quadratically.
const PY_FLOAT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PY_FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's `int(str)`: optional sign, digits with single underscores, surrounding whitespace. */
export function pyInt(text: string): number | undefined {
  const trimmed = text.trim();
  if (!PY_INT.test(trimmed)) return undefined;
  return Number(trimmed.replaceAll('_', ''));
}

/** Python's `float(str)`, including `inf` / `nan` spellings and underscores between digits. */
export function pyFloat(text: string): number | undefined {
  const trimmed = text.trim();
  const special = PY_FLOAT_SPECIAL.exec(trimmed);
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!PY_FLOAT.test(trimmed)) return undefined;
  return Number(trimmed.replaceAll('_', ''));
}

/** Python's `%` on floats: the result takes the sign of the divisor. */
export function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}
