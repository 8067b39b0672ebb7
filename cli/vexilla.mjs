#!/usr/bin/env node
/**
 * The `vexilla` command. The CLI is TypeScript; rather than compile it on every start (seconds on
 * a busy machine), it is bundled once with esbuild into node_modules/.cache/vexilla-cli/ and
 * bundled again only when one of its source files changed (lib/bundle-cache.mjs).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from '../lib/bundle-cache.mjs';

// The AWS SDK warns that its 2027 releases need Node 22; this project supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bundle = await cachedBundle({
  root,
  name: 'vexilla-cli',
  launcher: fileURLToPath(import.meta.url),
  entry: 'cli/main.ts',
  // The route table as plain data: without it, every command would load zod and the API's schemas.
  evaluate: ['cli/route-table.ts'],
  options: {
    // Split, so what only one command needs (the AWS SDK) loads with it. Its packages are bundled
    // too (zod, commander): Node's ESM loader resolving, reading and compiling zod's hundreds of
    // files was two thirds of every command's start (0.9 s of CPU, now 0.4). The AWS SDK stays
    // outside: only `bootstrap` loads it, from node_modules.
    splitting: true,
    external: ['@aws-sdk/*', '@smithy/*', 'esbuild'],
    define: { 'process.env.VEXILLA_VERSION': JSON.stringify(version) },
  },
});

const { main, processIo } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2), processIo());
