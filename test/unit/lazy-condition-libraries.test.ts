/**
 * The Lambda bundles' condition-libraries module (functions/shared/lazy-condition-libraries.ts):
 * which segments need re2js, json-p3 or semver, the clear error when the engine reaches for one that was
 * not loaded, and loading on demand. The shipped bundle itself is tested in
 * test/integration/sdk-api-bundle.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as staticLibraries from '../../functions/engine/condition-libraries.js';
import { conditionLibrariesNeededBy, isLoaded, jsonP3, loadConditionLibrariesFor, re2, semver } from '../../functions/shared/lazy-condition-libraries.js';

const segment = (conditions: unknown[], nested: unknown[] = []) => ({ id: 's', name: 'n', rules: [{ type: 'ALL', conditions: [], rules: [{ type: 'ANY', conditions, rules: nested }] }] });

describe('the lazily loaded condition libraries', () => {
  it('are needed only by REGEX conditions (RE2), JSONPath properties (json-p3 and RE2) and :semver values, however deep', () => {
    expect(conditionLibrariesNeededBy([segment([{ operator: 'EQUAL', property: 'plan', value: 'pro' }, { operator: 'PERCENTAGE_SPLIT', value: 10 }])])).toEqual([]);
    expect(conditionLibrariesNeededBy([segment([], [{ type: 'ALL', conditions: [{ operator: 'REGEX', property: 'email', value: '.*' }] }])])).toEqual(['re2js']);
    expect(conditionLibrariesNeededBy([segment([{ operator: 'EQUAL', property: '$.identity.identifier', value: 'x' }])]).sort()).toEqual(['json-p3', 're2js']);
    // A trait named like a value is not a condition.
    expect(conditionLibrariesNeededBy([segment([{ operator: 'EQUAL', property: 'path', value: '$.identity' }])])).toEqual([]);
    expect(conditionLibrariesNeededBy([segment([{ operator: 'GREATER_THAN', property: 'version', value: '1.2.0:semver' }])])).toEqual(['semver']);
    expect(conditionLibrariesNeededBy(undefined)).toEqual([]);
  });

  it('refuse, naming the fix, until loaded; then are the libraries the static module imports', async () => {
    expect(isLoaded('re2js')).toBe(false);
    expect(() => re2()).toThrow(/needs re2js before it was loaded: await loadConditionLibrariesFor/);
    expect(() => jsonP3()).toThrow(/needs json-p3 before it was loaded/);
    await loadConditionLibrariesFor([segment([{ operator: 'REGEX', property: 'email', value: '.*' }])]);
    expect(re2()).toBe(staticLibraries.re2());
    expect(isLoaded('json-p3')).toBe(false);
    await loadConditionLibrariesFor([segment([{ operator: 'IS_SET', property: '$.identity.identifier', value: null }])]);
    expect(jsonP3().JSONPathEnvironment).toBe(staticLibraries.jsonP3().JSONPathEnvironment);
    expect(() => semver()).toThrow(/needs semver before it was loaded/);
    await loadConditionLibrariesFor([segment([{ operator: 'EQUAL', property: 'version', value: '1.2.0:semver' }])]);
    expect(semver().compare(new (semver().SemVer)('1.10.0'), new (semver().SemVer)('1.9.0'))).toBe(1);
  });
});
