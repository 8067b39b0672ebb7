import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedBundle } from '../../lib/bundle-cache.mjs';

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function checkout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'vexilla-bundle-cache-'));
  made.push(root);
  await writeFile(join(root, 'entry.ts'), "export const answer: number = 42;\n");
  await writeFile(join(root, 'launcher.mjs'), '// launcher\n');
  return root;
}

describe('cachedBundle', () => {
  it('bundles once, and removes the caches of checkouts that are gone when it bundles again', async () => {
    // A checkout whose node_modules the others share (as the README test's copy links the repository's)
    const home = await checkout();
    const caches = join(home, 'node_modules', '.cache', 'test-bundle');
    const settings = (root: string) => ({ root, name: 'test-bundle', launcher: join(root, 'launcher.mjs'), entry: 'entry.ts' });
    const first = await cachedBundle(settings(home));
    expect(await import(first)).toMatchObject({ answer: 42 });
    expect(await cachedBundle(settings(home))).toBe(first);

    // A copy that built into the same node_modules, then was deleted; and a cache from before roots were recorded
    const copy = await checkout();
    await symlink(join(home, 'node_modules'), join(copy, 'node_modules'));
    await cachedBundle(settings(copy));
    await mkdir(join(caches, 'old'), { recursive: true });
    await writeFile(join(caches, 'old', 'manifest.json'), JSON.stringify({ entry: 'x.mjs', inputs: [] }));
    expect(await readdir(caches)).toHaveLength(3);
    await rm(copy, { recursive: true, force: true });

    // Act: a change in the home checkout bundles anew
    await writeFile(join(home, 'entry.ts'), "export const answer: number = 43;\n");
    const second = await cachedBundle(settings(home));

    // Assess: the gone copy's cache is removed; the home checkout's and the root-less one stay
    expect(second).not.toBe(first);
    expect(await import(second)).toMatchObject({ answer: 43 });
    expect((await readdir(caches)).sort()).toEqual([first.slice(caches.length + 1).split('/')[0]!, 'old'].sort());
  });

  it('builds an evaluated module in as its values, and bundles again when a source of them changes', async () => {
    // Prepare: the entry reads a table computed from a module it should not carry (as the CLI's route table)
    const root = await checkout();
    await writeFile(join(root, 'entry.ts'), "import { table } from './table.js';\nexport const answer = table;\n");
    await writeFile(join(root, 'table.ts'), "import { build } from './heavy.js';\nexport const table = build();\n");
    await writeFile(join(root, 'heavy.ts'), "export const build = () => ({ heavyMarker: 'v1', list: [1, 2] });\n");
    const settings = { root, name: 'test-bundle', launcher: join(root, 'launcher.mjs'), entry: 'entry.ts', evaluate: ['table.ts'] };

    // Act
    const first = await cachedBundle(settings);

    // Assess: the values, without the code that computed them; a change to that code bundles anew
    expect(await import(first)).toMatchObject({ answer: { heavyMarker: 'v1', list: [1, 2] } });
    expect(await readFile(first, 'utf8')).not.toContain('build');
    expect(await readdir(dirname(first))).toEqual(['entry.mjs']);
    expect(await cachedBundle(settings)).toBe(first);
    await writeFile(join(root, 'heavy.ts'), "export const build = () => ({ heavyMarker: 'v2' });\n");
    expect(await import(await cachedBundle(settings))).toMatchObject({ answer: { heavyMarker: 'v2' } });
  });

  it('loads a CommonJS package it leaves outside with require where it is imported statically, and with import() where it is imported so', async () => {
    // Prepare: semver (CommonJS) beside the checkout, as node_modules holds it
    const root = await checkout();
    await mkdir(join(root, 'node_modules'), { recursive: true });
    await symlink(fileURLToPath(new URL('../../node_modules/semver', import.meta.url)), join(root, 'node_modules', 'semver'));
    await writeFile(
      join(root, 'entry.ts'),
      "import { SemVer } from 'semver';\nimport compare from 'semver/functions/compare.js';\n" +
        "export const major = new SemVer('1.2.3').major;\nexport const order = compare('1.0.0', '2.0.0');\n" +
        "export const later = async () => (await import('semver')).valid('1.0.0');\n",
    );

    // Act
    const bundle = await cachedBundle({ root, name: 'test-bundle', launcher: join(root, 'launcher.mjs'), entry: 'entry.ts', options: { packages: 'external', splitting: true } });

    // Assess: the package's exports, named and default, either way; the static imports as requires
    const loaded = await import(bundle);
    expect({ major: loaded.major, order: loaded.order, later: await loaded.later() }).toEqual({ major: 1, order: -1, later: '1.0.0' });
    const code = await readFile(bundle, 'utf8');
    expect(code).toContain('require("semver")');
    expect(code).not.toMatch(/from "semver/);
  });
});
