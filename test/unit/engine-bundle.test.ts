import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import * as engine from '../../functions/engine/index.js';
import { bundleEngine } from '../support/bundle-engine.js';

describe('the engine bundle', () => {
  it('builds for a neutral platform with no Node built-ins, and evaluates like the source', async () => {
    const { code, metafile } = await bundleEngine();
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((input) => input.startsWith('node:') || !input.includes('/'))).toEqual([]);
    expect(code).not.toMatch(/\brequire\(|from\s*["']node:/);

    const bundled = (await import(
      `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
    )) as typeof engine;
    const fixture = join(
      import.meta.dirname,
      '../../../shared/conformance/flagsmith-engine-test-data/test_cases/test_1bde8445-ca19-4bda-a9d5-3543a800fc0f__context_values.json',
    );
    const { context, result } = JSON5.parse(readFileSync(fixture, 'utf8'));
    expect(bundled.getEvaluationResult(context)).toEqual(result);
  });
});
