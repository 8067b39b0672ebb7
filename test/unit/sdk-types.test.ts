/**
 * Generated flag types make the SDK's getters typed. The assertions here are checked twice:
 * by the compiler (`npm test` type-checks first; `@ts-expect-error` fails if the error vanishes)
 * and at run time.
 */
import { describe, expect, it } from 'vitest';
import { flagTypes } from '../../cli/commands/documents.js';
import { Flags } from '../../sdk/flags.js';

// What `vexilla types` prints for such a project (checked below).
interface VexillaFlags {
  banner: string | null;
  max_upload_mb: number | null;
  [name: string]: unknown;
}

describe('generated flag types', () => {
  it('are what `vexilla types` prints', () => {
    const printed = flagTypes('prj_1', [
      { name: 'max_upload_mb', valueType: 'number' },
      { name: 'banner', valueType: 'string' },
      { name: 'config', valueType: 'json' },
    ]);
    expect(printed).toContain('  "banner": string | null;\n  "config": string | null; // JSON: read it with getJSON()\n  "max_upload_mb": number | null;');
  });

  it('type getValue by flag name', () => {
    const flags = new Flags<VexillaFlags>({ max_upload_mb: { enabled: true, value: 25 }, banner: { enabled: true, value: 'hi' } });
    const limit: number | null = flags.getValue('max_upload_mb', 10);
    const banner: string | null = flags.getValue('banner', 'default');
    expect([limit, banner]).toEqual([25, 'hi']);
    // @ts-expect-error a number flag does not take a string default
    expect(flags.getValue('max_upload_mb', 'ten')).toBe(25);
    // @ts-expect-error nor does it read into a string
    const wrong: string = flags.getValue('max_upload_mb', 1);
    expect(wrong).toBe(25);
  });
});
