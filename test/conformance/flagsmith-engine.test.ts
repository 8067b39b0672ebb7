import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { getEvaluationResult, type EvaluationContext } from '../../functions/engine/index.js';

// Fixtures from Flagsmith/engine-test-data, shared beside the checkout (../shared/conformance).
const dir = join(import.meta.dirname, '../../../shared/conformance/flagsmith-engine-test-data/test_cases');
const files = readdirSync(dir).filter((f) => /\.jsonc?$/.test(f)).sort();

describe('Flagsmith engine conformance', () => {
  it('finds the shared fixtures', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s', (file) => {
    const { context, result } = JSON5.parse(readFileSync(join(dir, file), 'utf8')) as {
      context: EvaluationContext;
      result: unknown;
    };
    expect(getEvaluationResult(context)).toEqual(result);
  });
});
