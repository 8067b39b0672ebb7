#!/usr/bin/env node
/**
 * `npm run dev` (see dev.ts). Rather than compile the local stack's TypeScript on every start
 * (tsx: its loader thread resolved and compiled every module, packages included, a quarter of the
 * start's CPU), dev.ts is bundled once into node_modules/.cache/vexilla-dev/ and bundled again only
 * when one of its sources changed (lib/bundle-cache.mjs).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from '../../lib/bundle-cache.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const bundle = await cachedBundle({
  root,
  name: 'vexilla-dev',
  launcher: fileURLToPath(import.meta.url),
  entry: 'functions/local/dev.ts',
  options: {
    // Packages load from node_modules as they are (some read files next to themselves); only
    // this repository's TypeScript is bundled. Split, so what only some requests need loads with them.
    packages: 'external',
    splitting: true,
    // Stack traces name the TypeScript sources, as they did when tsx compiled them.
    sourcemap: 'linked',
  },
});
process.setSourceMapsEnabled(true);
await import(pathToFileURL(bundle).href);
