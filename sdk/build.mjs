#!/usr/bin/env node
/**
 * Builds @vexilla/sdk into sdk/dist: ESM (dist/esm) and CommonJS (dist/cjs, marked by its own
 * package.json), one module per source file (so the providers share the client's classes), the
 * engine it evaluates with included; its libraries stay dependencies and OpenFeature stays a peer.
 * Declarations (tsc, TypeScript 7) go next to both. Then it measures what a browser downloads: the client
 * without the engine, and the engine, minified and gzipped.
 */
import { cp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const sdk = fileURLToPath(new URL('.', import.meta.url));
const root = join(sdk, '..');
const dist = join(sdk, 'dist');

const sources = async (dir) => (await readdir(join(root, dir))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join(root, dir, f));
const entryPoints = [...(await sources('sdk')), ...(await sources('functions/engine'))];

await rm(dist, { recursive: true, force: true });
for (const format of ['esm', 'cjs']) {
  await build({ entryPoints, outbase: root, outdir: join(dist, format), format, platform: 'neutral', target: 'es2022', bundle: false, logLevel: 'warning' });
}
await writeFile(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

// Declarations with the native TypeScript 7 compiler (the one `npm run typecheck` uses), on one
// thread: emitting these 29 files without checking (the type check is typecheck's) took 8.3 s of
// CPU with TypeScript 5.9 and takes 1.8 s here (2.8 s with its default worker threads, no faster).
execFileSync(process.execPath, [join(root, 'node_modules/typescript-native/bin/tsc'), '-p', join(sdk, 'tsconfig.build.json'), '--singleThreaded'], { stdio: 'inherit' });
for (const format of ['esm', 'cjs']) await cp(join(dist, 'types'), join(dist, format), { recursive: true });
await rm(join(dist, 'types'), { recursive: true, force: true });

/** Minified, gzipped bytes of a browser ESM bundle. */
async function browserSize(entry, external = []) {
  const result = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, external, logLevel: 'silent' });
  return gzipSync(result.outputFiles[0].contents).byteLength;
}
const engineExternal = { name: 'engine-external', setup: (b) => b.onResolve({ filter: /functions\/engine\/index\.js$/ }, (args) => ({ path: args.path, external: true })) };
const client = await build({ entryPoints: [join(sdk, 'index.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, plugins: [engineExternal], logLevel: 'silent' });
const sizes = {
  clientWithoutEngine: gzipSync(client.outputFiles[0].contents).byteLength,
  engine: await browserSize(join(root, 'functions/engine/index.ts')),
  clientWithEngine: await browserSize(join(sdk, 'index.ts')),
};
await writeFile(join(dist, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`@vexilla/sdk built in sdk/dist. Browser ESM, minified + gzipped: client without the engine ${kb(sizes.clientWithoutEngine)}, engine ${kb(sizes.engine)}, together ${kb(sizes.clientWithEngine)}.`);
