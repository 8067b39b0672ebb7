#!/usr/bin/env node
/**
 * `node lib/build-function.mjs <entry> <outdir> [--source-maps]`: lib/build-function.ts, which
 * synth runs once per function. Bundled once (lib/bundle-cache.mjs) instead of compiled by tsx in
 * every one of those processes (tsx's start and its loading of esbuild and TypeScript were most
 * of each function's bundling time).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from './bundle-cache.mjs';

const bundle = await cachedBundle({
  root: join(dirname(fileURLToPath(import.meta.url)), '..'),
  name: 'vexilla-build-function',
  launcher: fileURLToPath(import.meta.url),
  entry: 'lib/build-function.ts',
  // esbuild and TypeScript load from node_modules, as they are.
  options: { packages: 'external' },
});
await import(pathToFileURL(bundle).href);
