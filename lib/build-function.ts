/**
 * `node lib/build-function.mjs <entry> <outdir> [--source-maps]` (its launcher): bundles one Lambda
 * function (lib/bundling.ts). CDK's local bundling (`tryBundle`) is synchronous and esbuild's
 * plugins need its asynchronous API, so lib/functions.ts runs this in a child process.
 */
import { buildFunctionBundle } from './bundling.js';

const [entry, outdir, ...flags] = process.argv.slice(2);
if (!entry || !outdir) throw new Error('usage: lib/build-function.ts <entry> <outdir> [--source-maps]');
await buildFunctionBundle(entry, outdir, { sourceMaps: flags.includes('--source-maps') });
