/**
 * What a browser downloads, gzipped, from the built dashboard (dist/dashboard, `npm run build`):
 * the shell (the entry and everything it imports statically) and each page on top of it, from
 * Vite's manifest. `npm run bench -- dashboard` prints it; the README reports the shell's figure,
 * and test/e2e/dashboard/bundle-budget.test.ts holds it to the budget.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DASHBOARD_DIST = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

interface Chunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface BundleSizes {
  /** Gzipped bytes of the shell's JavaScript (entry + static imports). */
  shellJs: number;
  shellCss: number;
  /** Gzipped JavaScript each page adds to the shell, by its source file. */
  pages: Record<string, number>;
}

export function bundleSizes(dist = DASHBOARD_DIST): BundleSizes {
  const manifestFile = join(dist, '.vite/manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`No ${manifestFile}: run \`npm run build\` first.`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, Chunk>;
  const gzipped = new Map<string, number>();
  const size = (file: string) => gzipped.get(file) ?? gzipped.set(file, gzipSync(readFileSync(join(dist, file)), { level: 9 }).length).get(file)!;
  const closure = (key: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const next of manifest[key]?.imports ?? []) closure(next, seen);
    return seen;
  };
  const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entry) throw new Error('The manifest has no entry.');
  const shell = closure(entry);
  const sum = (keys: Iterable<string>, pick: (chunk: Chunk) => string[]) => [...keys].flatMap((key) => pick(manifest[key] as Chunk)).reduce((total, file) => total + size(file), 0);
  const pages: Record<string, number> = {};
  for (const key of manifest[entry]?.dynamicImports ?? []) {
    const added = [...closure(key)].filter((chunk) => !shell.has(chunk));
    pages[manifest[key]?.src ?? key] = sum(added, (chunk) => [chunk.file]);
  }
  return { shellJs: sum(shell, (chunk) => [chunk.file]), shellCss: sum(shell, (chunk) => chunk.css ?? []), pages };
}
