import type { RE2JS } from 're2js';
import type SemVer from 'semver/classes/semver.js';
import { re2, semver } from './condition-libraries.js';
import { type ContextValue, pyFloat, pyInt, pyMod, pyStr } from './context-values.js';
import { type HashKey, hashedPercentageOf, hashKey } from './hashing.js';
import type { ConditionOperator, SegmentCondition } from './schema.js';

/**
 * A condition compiled once per environment: all parsing of its value is done up front.
 * `value` is the coerced value of the condition's property (undefined when not set);
 * `identityKey` the identity's hashing key (undefined when evaluating without an identity).
 */
export type ValueMatcher = (value: ContextValue | undefined, identityKey: HashKey | undefined) => boolean;

const never: ValueMatcher = () => false;

const SEMVER_SUFFIX = ':semver';

/** Strict SemVer 2.0 as Python's `semver.Version.parse` reads it (no `v` prefix, no padding). */
function parseSemver(text: string): SemVer | undefined {
  if (text.length === 0 || /^[v=\s]|\s$/.test(text)) return undefined;
  try {
    return new (semver().SemVer)(text);
  } catch {
    return undefined;
  }
}

type Comparison = (order: number) => boolean;
const COMPARISONS: Partial<Record<ConditionOperator, Comparison>> = {
  EQUAL: (o) => o === 0,
  NOT_EQUAL: (o) => o !== 0,
  GREATER_THAN: (o) => o > 0,
  GREATER_THAN_INCLUSIVE: (o) => o >= 0,
  LESS_THAN: (o) => o < 0,
  LESS_THAN_INCLUSIVE: (o) => o <= 0,
};

/** Python's three-way comparison of two values of one type; NaN compares as unordered. */
function order<T extends number | string>(a: T, b: T): number {
  if (a === b) return 0;
  if (a < b) return -1;
  if (a > b) return 1;
  return Number.NaN;
}

/**
 * EQUAL, NOT_EQUAL, the four orderings and CONTAINS: the condition's value is cast to the type
 * of the trait (bool, int, float or str) and compared, or compared as SemVer when the condition
 * value ends in `:semver`. A cast that fails never matches.
 */
function typedMatcher(operator: ConditionOperator, raw: unknown): ValueMatcher {
  const text = pyStr(raw);
  const asInt = pyInt(text);
  const asFloat = pyFloat(text);
  const asBool = text !== 'False' && text !== 'false';
  const compare = COMPARISONS[operator];
  const isSemver = typeof raw === 'string' && raw.endsWith(SEMVER_SUFFIX);
  const conditionVersion = isSemver ? parseSemver(raw.slice(0, -SEMVER_SUFFIX.length)) : undefined;

  const test = (result: number) => (compare ? compare(result) : false);
  return (value) => {
    if (value === undefined) return false;
    if (isSemver && value.kind === 'str') {
      const version = parseSemver(value.str);
      return version !== undefined && conditionVersion !== undefined && test(semver().compare(version, conditionVersion));
    }
    switch (value.kind) {
      case 'bool':
        return compare ? test(order(value.num, asBool ? 1 : 0)) : false;
      case 'int':
        return asInt !== undefined && compare ? test(order(value.num, asInt)) : false;
      case 'float':
        return asFloat !== undefined && compare ? test(order(value.num, asFloat)) : false;
      case 'integral': {
        const cast = asInt ?? asFloat;
        return cast !== undefined && compare ? test(order(value.num, cast)) : false;
      }
      case 'str':
        return compare ? test(order(value.str, text)) : value.str.includes(text);
    }
  };
}

/** IN compares str and int values by their text; bool and float never match. */
export const isInLike = (value: ContextValue): boolean =>
  value.kind === 'str' || value.kind === 'int' || value.kind === 'integral';

/** IN: a JSON array or a comma-separated list, compared as strings with str or int traits. */
function inMatcher(raw: unknown): ValueMatcher {
  let items: unknown[] | undefined = Array.isArray(raw) ? raw : undefined;
  if (items === undefined && typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) items = parsed;
    } catch {
      // Not JSON: a comma-separated list, as below.
    }
  }
  const values = new Set((items ?? pyStr(raw).split(',')).map(pyStr));
  return (value) => value !== undefined && isInLike(value) && values.has(value.str);
}

/** REGEX: RE2 semantics (linear time), anchored at the start like Python's `re.match`. */
function regexMatcher(raw: unknown): ValueMatcher {
  let pattern: RE2JS;
  try {
    pattern = re2().compile(pyStr(raw));
  } catch {
    // A pattern RE2 cannot compile (backreferences, lookaround, bad syntax) matches nothing.
    return never;
  }
  return (value) => value !== undefined && pattern.matcher(value.str).lookingAt();
}

/** MODULO: `divisor|remainder` against a numeric trait, with Python's sign rule for `%`. */
function moduloMatcher(raw: unknown): ValueMatcher {
  const text = raw === null || raw === undefined ? '' : pyStr(raw);
  const parts = text.split('|');
  if (text === '' || parts.length !== 2) return never;
  const divisor = pyFloat(parts[0] ?? '');
  const remainder = pyFloat(parts[1] ?? '');
  if (divisor === undefined || remainder === undefined || divisor === 0) return never;
  return (value) => value !== undefined && value.kind !== 'str' && pyMod(value.num, divisor) === remainder;
}

/**
 * PERCENTAGE_SPLIT: the md5 bucket of (segment key, split key). The split key is the property's
 * value when the condition names a property (an identity without it is not in the split), and
 * the identity key otherwise.
 */
function percentageSplitMatcher(raw: unknown, segmentKey: string, byProperty: boolean): ValueMatcher {
  const threshold = pyFloat(pyStr(raw));
  if (threshold === undefined) return never;
  const prefix = hashKey(`${segmentKey},`);
  return (value, identityKey) => {
    const splitKey = byProperty ? value && hashKey(value.str) : identityKey;
    return splitKey !== undefined && hashedPercentageOf(prefix, splitKey) <= threshold;
  };
}

/** Compiles one condition of a segment whose hashing key is `segmentKey`. */
export function compileCondition(condition: SegmentCondition, segmentKey: string): ValueMatcher {
  const raw = condition.value;
  switch (condition.operator) {
    case 'IS_SET':
      return (value) => value !== undefined;
    case 'IS_NOT_SET':
      return (value) => value === undefined;
    case 'IN':
      return inMatcher(raw);
    case 'REGEX':
      return regexMatcher(raw);
    case 'MODULO':
      return moduloMatcher(raw);
    case 'PERCENTAGE_SPLIT':
      return percentageSplitMatcher(raw, segmentKey, Boolean(condition.property));
    case 'NOT_CONTAINS': {
      const text = pyStr(raw);
      return (value) => value?.kind === 'str' && !value.str.includes(text);
    }
    default:
      return typedMatcher(condition.operator, raw);
  }
}

/** Relative cost, so cheap conditions run first and short-circuit the expensive ones. */
export function conditionCost(operator: ConditionOperator): number {
  if (operator === 'PERCENTAGE_SPLIT') return 3;
  if (operator === 'REGEX') return 2;
  return 1;
}
