import { describe, expect, it } from 'vitest';
import { synthVexilla } from './synth.js';

// No bundling: the snapshot is of the template, and asset hashes are normalised away below.
const { template } = synthVexilla(undefined, { bundle: false });

/** The template with what changes on every code edit (asset hashes) replaced by a placeholder. */
const normalised = () => JSON.stringify(template.toJSON(), null, 2).replace(/[0-9a-f]{64}/g, '<asset-hash>');

describe('the synthesised template', () => {
  it('matches the reviewed snapshot (update with `npx vitest run test/infra/template-snapshot.test.ts -u` after reviewing the diff)', async () => {
    const text = normalised();
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    await expect(text).toMatchFileSnapshot('./__snapshots__/vexilla-stack.template.json');
  });
});
