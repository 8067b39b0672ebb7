import { describe, expect, it } from 'vitest';
import { getEvaluationResult, type SegmentCondition, type SegmentContext } from '../../functions/engine/index.js';
import { compileIRegexp, fullMatches, iRegexpToRe2, searchMatches } from '../../functions/engine/iregexp.js';
import { jsonPath } from '../../functions/engine/jsonpath.js';

const environment = { key: 'env-key', name: 'Production' };

/** Whether an identity is in a one-condition segment. */
function inSegment(condition: SegmentCondition, identifier: string, traits: Record<string, string> = {}): boolean {
  const segment: SegmentContext = { key: '7', name: 'target', rules: [{ type: 'ALL', conditions: [condition] }] };
  return getEvaluationResult({ environment, segments: { '7': segment }, identity: { identifier, traits } }).segments.some((s) => s.name === 'target');
}

describe('JSONPath match() and search() in segment conditions', () => {
  it('evaluates a catastrophic pattern against a long identifier at once (backtracking never finished)', () => {
    // On a backtracking engine 30 `a`s took ~4 s and each one more doubles it: 5,000 would
    // outlive the test run. RE2 reads each character a bounded number of times.
    const condition: SegmentCondition = { property: "$.identity[?match(@, '(a+)+b')]", operator: 'IS_SET', value: null };
    expect(inSegment(condition, 'a'.repeat(5_000))).toBe(false);
    expect(inSegment(condition, `${'a'.repeat(5_000)}b`)).toBe(true);
  });

  it('targets identities by pattern, full match for match() and substring for search()', () => {
    const match: SegmentCondition = { property: "$.identity[?match(@, 'user-[0-9]+')]", operator: 'IS_SET', value: null };
    const search: SegmentCondition = { property: "$.identity[?search(@, '@example\\\\.com')]", operator: 'IS_SET', value: null };
    expect(inSegment(match, 'user-42')).toBe(true);
    expect(inSegment(match, 'user-42x')).toBe(false);
    expect(inSegment(search, 'jo@example.com')).toBe(true);
    expect(inSegment(search, 'jo@example.org')).toBe(false);
  });

  it('are the RE2-backed functions in the environment conditions compile in', () => {
    expect(jsonPath().functionRegister.get('match')?.call).toBe(fullMatches);
    expect(jsonPath().functionRegister.get('search')?.call).toBe(searchMatches);
    const nodes = jsonPath().query("$[?match(@, 'a.c')]", ['abc', 'a\nc', 'xabc']).values();
    expect(nodes).toEqual(['abc']);
  });
});

describe('I-Regexp (RFC 9485) on RE2', () => {
  it('refuses what is not I-Regexp: backreferences, lookaround, shorthand classes, lazy quantifiers', () => {
    for (const pattern of ['(a)\\1', '(?=a)a', '(?!b)a', 'a(?<=a)', '\\d+', '\\w', 'a*?', 'a{2', '[a', '(a', 'a)', '[]', '\\p{Xx}']) {
      expect(iRegexpToRe2(pattern), pattern).toBeUndefined();
      expect(fullMatches('aa', pattern), pattern).toBe(false);
    }
  });

  it('never runs a backreference, even one RE2 would be asked to compile', () => {
    // A backtracking engine accepts this; RE2 has no backreferences at all.
    expect(() => compileIRegexp('(a)\\1')).not.toThrow();
    expect(compileIRegexp('(a)\\1')).toBeNull();
    expect(searchMatches('aa', '(a)\\1')).toBe(false);
  });

  it('keeps I-Regexp semantics: `.` excludes CR and LF, astral characters are one character, ^ and $ are literals', () => {
    expect(fullMatches('a😀c', 'a.c')).toBe(true);
    expect(fullMatches('a\rc', 'a.c')).toBe(false);
    expect(fullMatches('a\nc', 'a[^x]c')).toBe(true);
    expect(fullMatches('a^b$', 'a^b$')).toBe(true);
    expect(fullMatches('ab', 'a^b')).toBe(false);
  });

  it('supports classes, ranges, escapes, categories and counted repeats', () => {
    expect(fullMatches('Été-2024', '\\p{Lu}\\p{Ll}+[\\-_][0-9]{4}')).toBe(true);
    expect(fullMatches('a-b', '[-a-z]+')).toBe(true);
    expect(fullMatches('a.b', 'a\\.b')).toBe(true);
    expect(fullMatches('axb', 'a\\.b')).toBe(false);
    expect(fullMatches('tab\there', 'tab\\there')).toBe(true);
    expect(fullMatches('aaa', 'a{2,3}')).toBe(true);
    expect(fullMatches('aaaa', 'a{2,3}')).toBe(false);
    expect(fullMatches('1', '[^\\P{N}]')).toBe(true);
    expect(searchMatches('xx-yy', '(y|-)+')).toBe(true);
  });

  it('answers false for non-string arguments, as RFC 9535 says', () => {
    expect(fullMatches(42, '42')).toBe(false);
    expect(fullMatches('42', 42)).toBe(false);
  });
});
