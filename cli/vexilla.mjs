#!/usr/bin/env node
/**
 * The `vexilla` command. The CLI is TypeScript; rather than compile it on every start (seconds on
 * a busy machine), it is bundled once with esbuild into node_modules/.cache/vexilla-cli/ and
 * bundled again only when one of its source files changed (their mtimes are in the manifest).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The AWS SDK warns that its 2027 releases need Node 22; this project supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One cache per checkout (copies sharing a node_modules, a linked one, keep their own bundles)
// and per version of this file (a change to how it bundles builds anew).
const launcher = readFileSync(fileURLToPath(import.meta.url));
const cache = join(root, 'node_modules', '.cache', 'vexilla-cli', createHash('sha256').update(root).update(launcher).digest('hex').slice(0, 12));
const manifestFile = join(cache, 'manifest.json');

/** The current bundle's entry, if every source it was built from is unchanged. */
function freshBundle() {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const fresh = manifest.inputs.every(([file, mtime]) => statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs === mtime);
    return fresh && statSync(join(cache, manifest.entry), { throwIfNoEntry: false }) ? join(cache, manifest.entry) : undefined;
  } catch {
    return undefined;
  }
}

let bundle = freshBundle();
if (!bundle) {
  const { build } = await import('esbuild');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  mkdirSync(cache, { recursive: true });
  // A directory of its own per build, named in the manifest last: a CLI started meanwhile uses
  // the previous build, whole. Split, so what only one command needs (the AWS SDK) loads with it.
  // Its packages are bundled too (zod, commander): Node's ESM loader resolving, reading and
  // compiling zod's hundreds of files was two thirds of every command's start (0.9 s of CPU, now
  // 0.4). The AWS SDK stays outside: only `bootstrap` loads it, from node_modules.
  const dir = `build-${Date.now()}-${process.pid}`;
  const result = await build({
    entryPoints: { main: join(root, 'cli', 'main.ts') },
    outdir: join(cache, dir),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@aws-sdk/*', '@smithy/*', 'esbuild'],
    // Bundled CommonJS (commander) requires Node's built-ins: give the ES module a `require`.
    banner: { js: "import { createRequire as __vexillaRequire } from 'node:module'; const require = __vexillaRequire(import.meta.url);" },
    metafile: true,
    define: { 'process.env.VEXILLA_VERSION': JSON.stringify(version) },
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs).map((file) => relative(root, join(process.cwd(), file)));
  bundle = join(cache, dir, 'main.mjs');
  const manifest = { entry: join(dir, 'main.mjs'), inputs: inputs.map((file) => [file, statSync(join(root, file)).mtimeMs]) };
  writeFileSync(`${manifestFile}.${process.pid}`, JSON.stringify(manifest));
  renameSync(`${manifestFile}.${process.pid}`, manifestFile);
}

const { main, processIo } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2), processIo());
