/**
 * The JSONPath environment condition properties are compiled in: json-p3's (RFC 9535), with its
 * `match()` and `search()` function extensions replaced by RE2-backed ones (./iregexp.ts).
 * json-p3's own run the pattern on JavaScript's backtracking RegExp, where a client key's
 * identifier of 30 `a`s against `(a+)+b` takes seconds.
 */
import type { FilterFunction, JSONPathEnvironment } from 'json-p3';
import { jsonP3 } from './condition-libraries.js';
import { fullMatches, searchMatches } from './iregexp.js';

/** A JSONPath regex function (ValueType, ValueType) -> LogicalType, as RFC 9535 §2.4.6 types it. */
function re2Function(call: (value: unknown, pattern: unknown) => boolean): FilterFunction {
  const { FunctionExpressionType } = jsonP3();
  return { argTypes: [FunctionExpressionType.ValueType, FunctionExpressionType.ValueType], returnType: FunctionExpressionType.LogicalType, call };
}

let environment: JSONPathEnvironment | undefined;

/**
 * JSONPath with linear-time regular expressions: use it, never json-p3's default environment.
 * Built on first use (json-p3 may be loaded on demand: ./condition-libraries.ts).
 */
export function jsonPath(): JSONPathEnvironment {
  if (environment) return environment;
  const created = new (jsonP3().JSONPathEnvironment)();
  created.functionRegister.set('match', re2Function(fullMatches));
  created.functionRegister.set('search', re2Function(searchMatches));
  return (environment = created);
}
