/**
 * How the Lambda functions are bundled, with esbuild's API and no CDK in sight: lib/functions.ts
 * builds each function's asset with `buildFunctionBundle` (through lib/build-function.ts, as CDK's
 * local bundling is synchronous), and `npm run bench` builds with exactly the same options to
 * report each bundle's size and cold-start init time.
 *
 * Not NodejsFunction: it emits one file, and the bundles are split (ESM chunks) so that code only
 * some requests need is loaded when they come, not on every cold start.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import ts from 'typescript';

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies that call it (directly or through
 * esbuild's `__require` shim) get one from `createRequire`. The alias avoids clashing with any
 * `createRequire` import in the bundle itself. Every chunk starts with it (each is a module of its own).
 */
export const REQUIRE_BANNER = "import { createRequire as __vexillaCreateRequire } from 'node:module'; const require = __vexillaCreateRequire(import.meta.url);";

/**
 * The AWS SDK's default credential chain, replaced in the Lambda bundles by the environment
 * variables Lambda sets for the function's role (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN: docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * The chain's SSO, STS, INI and IMDS providers are a fifth of a bundle and never run in Lambda.
 */
export const LAMBDA_CREDENTIALS_ALIAS = { '@aws-sdk/credential-provider-node': './functions/shared/lambda-credentials.ts' } as const;

/** The repository root, found from this file (the bench, bundled elsewhere, passes its own). */
const defaultRoot = fileURLToPath(new URL('..', import.meta.url));

export interface LambdaBundleOptions {
  sourceMaps: boolean;
  /** @default the repository root */
  projectRoot?: string;
}

/**
 * re2js and json-p3 (a third of the sdk-api bundle) serve only REGEX and JSONPath conditions: in
 * the Lambda bundles the engine's condition-libraries module is swapped for the one that loads
 * them on demand, each in a chunk of its own (see both modules).
 */
export const lazyConditionLibraries = (projectRoot: string): Plugin => ({
  name: 'vexilla-lazy-condition-libraries',
  setup(builder) {
    const staticModule = join(projectRoot, 'functions/engine/condition-libraries.ts');
    const lazyModule = join(projectRoot, 'functions/shared/lazy-condition-libraries.ts');
    builder.onResolve({ filter: /[/\\]condition-libraries\.js$/ }, (args) => {
      if (!args.importer) return undefined;
      const resolved = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return resolved === staticModule ? { path: lazyModule } : undefined;
    });
  },
});

/** A module that declares zod schemas: it imports zod. */
const DECLARES_SCHEMAS = /^import[^;]*from 'zod';$/m;

/**
 * The top-level `const` declarations of a module whose value is built by a call (`z.object(…)`,
 * `name.optional()`, `ownRecord(…)`, `new …`), wrapped in an arrow called on the spot and marked
 * `@__PURE__`: the same value, built at the same moment, but esbuild may drop it when nothing the
 * bundle keeps reads it. Without it every schema a module declares is built on every cold start
 * of every function that imports one of them (esbuild must assume a call has side effects).
 * Returns the source unchanged when there is nothing to wrap.
 */
export function markSchemaDeclarationsPure(source: string, fileName: string): string {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edits: { start: number; end: number }[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      let value = declaration.initializer;
      while (value && (ts.isAsExpression(value) || ts.isSatisfiesExpression(value) || ts.isParenthesizedExpression(value))) value = value.expression;
      if (value && (ts.isCallExpression(value) || ts.isNewExpression(value))) edits.push({ start: declaration.initializer!.getStart(file), end: declaration.initializer!.end });
    }
  }
  let out = source;
  for (const { start, end } of edits.reverse()) out = `${out.slice(0, start)}/* @__PURE__ */ (() => (${out.slice(start, end)}))()${out.slice(end)}`;
  return out;
}

/**
 * Applies {@link markSchemaDeclarationsPure} to Vexilla's modules that declare zod schemas: a
 * function's bundle builds only the schemas its code can reach (the sdk-api needs a handful of
 * the management API's hundreds), and the schema modules stay single declarations, unchanged.
 * Building a zod schema is pure but for `.meta()`, which records it in zod's global registry:
 * only the OpenAPI document reads that, from schemas the route table reaches anyway.
 */
export const pureSchemaDeclarations = (projectRoot: string): Plugin => ({
  name: 'vexilla-pure-schema-declarations',
  setup(builder) {
    const functionsDir = join(projectRoot, 'functions');
    builder.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(functionsDir)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!DECLARES_SCHEMAS.test(source)) return undefined;
      return { contents: markSchemaDeclarationsPure(source, args.path), loader: 'ts' };
    });
  },
});

/**
 * How every function is bundled, as esbuild options: minified ESM for Node 22, split into an
 * `index.mjs` entry and chunks it imports on demand, AWS SDK v3 bundled too (the version that
 * runs is the one in package-lock.json and the tests, not whatever the runtime ships that week),
 * and no source maps unless asked for: a 1-1.6 MB map and `--enable-source-maps` cost 10-15 ms of
 * every cold start.
 */
export function lambdaEsbuildOptions(options: LambdaBundleOptions): BuildOptions {
  const projectRoot = options.projectRoot ?? defaultRoot;
  return {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    minify: true,
    splitting: true,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    sourcemap: options.sourceMaps,
    // Source maps only need names and positions; the sources would double the asset size.
    sourcesContent: false,
    alias: { ...LAMBDA_CREDENTIALS_ALIAS },
    plugins: [lazyConditionLibraries(projectRoot), pureSchemaDeclarations(projectRoot)],
    absWorkingDir: projectRoot,
    logLevel: 'error',
  };
}

/** Bundles one function's entry (a path from the repository root) into `outdir`: `index.mjs` and `chunks/`. */
export async function buildFunctionBundle(entry: string, outdir: string, options: LambdaBundleOptions): Promise<Metafile> {
  const root = options.projectRoot ?? defaultRoot;
  const { metafile } = await build({ ...lambdaEsbuildOptions(options), entryPoints: [join(root, entry)], outdir, metafile: true });
  // esbuild emits a chunk for every dynamic import it scanned, even where tree shaking then dropped
  // the import (a function that never compiles conditions still gets re2js): ship only the chunks
  // the code can reach.
  const reachable = new Set(filesReachable(metafile, () => true));
  for (const path of Object.keys(metafile.outputs)) if (!reachable.has(path) && !reachable.has(path.replace(/\.map$/, ''))) rmSync(join(root, path));
  return { ...metafile, outputs: Object.fromEntries(Object.entries(metafile.outputs).filter(([path]) => reachable.has(path) || reachable.has(path.replace(/\.map$/, '')))) };
}

/** The output files reachable from the entry through imports that `follow` accepts (paths as in the metafile). */
function filesReachable(metafile: Metafile, follow: (kind: string) => boolean): string[] {
  const outputs = metafile.outputs;
  // The function's `index.mjs` (entryNames): the chunks of dynamic imports name an entry point too.
  const entry = Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined && /(^|\/)index\.mjs$/.test(path));
  if (!entry) throw new Error('The bundle has no entry point.');
  const reached = new Set<string>([entry]);
  for (const path of reached) {
    for (const imported of outputs[path]?.imports ?? []) if (follow(imported.kind) && !imported.external) reached.add(imported.path);
  }
  return [...reached];
}

/**
 * The output files a cold start loads: the entry and every chunk it imports statically,
 * transitively (paths as in the metafile). Chunks behind a dynamic `import()` load on demand.
 */
export const filesLoadedAtInit = (metafile: Metafile): string[] => filesReachable(metafile, (kind) => kind === 'import-statement');
