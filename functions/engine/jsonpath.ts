/**
 * The JSONPath environment condition properties are compiled in: json-p3's (RFC 9535), with its
 * `match()` and `search()` function extensions replaced by RE2-backed ones (./iregexp.ts).
 * json-p3's own run the pattern on JavaScript's backtracking RegExp, where a client key's
 * identifier of 30 `a`s against `(a+)+b` takes seconds.
 */
import { type FilterFunction, FunctionExpressionType, JSONPathEnvironment } from 'json-p3';
import { fullMatches, searchMatches } from './iregexp.js';

/** A JSONPath regex function (ValueType, ValueType) -> LogicalType, as RFC 9535 §2.4.6 types it. */
class Re2Function implements FilterFunction {
  readonly argTypes = [FunctionExpressionType.ValueType, FunctionExpressionType.ValueType];
  readonly returnType = FunctionExpressionType.LogicalType;
  constructor(readonly call: (value: unknown, pattern: unknown) => boolean) {}
}

export const RE2_MATCH: FilterFunction = new Re2Function(fullMatches);
export const RE2_SEARCH: FilterFunction = new Re2Function(searchMatches);

/** JSONPath with linear-time regular expressions: use it, never json-p3's default environment. */
export const jsonPath = new JSONPathEnvironment();
jsonPath.functionRegister.set('match', RE2_MATCH);
jsonPath.functionRegister.set('search', RE2_SEARCH);
