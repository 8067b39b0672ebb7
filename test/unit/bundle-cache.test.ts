import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
