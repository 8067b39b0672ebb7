/**
 * TypeScript entry points that run as plain Node (the CLI, `npm run dev`), bundled once with
 * esbuild into node_modules/.cache/<name>/ and bundled again only when one of their source files
 * changed (their mtimes are in the manifest). Compiling on every start (tsx) costs seconds of CPU
 * on a busy machine; a fresh bundle costs a stat per source.
 *
 * Plain JavaScript, no TypeScript: it runs before anything could compile TypeScript.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bundled CommonJS requires Node's built-ins: gives each ES module chunk a `require`. */
export const REQUIRE_BANNER = "import { createRequire as __vexillaRequire } from 'node:module'; const require = __vexillaRequire(import.meta.url);";

/**
 * Each TypeScript module keeps its own `import.meta.url` (modules find the repository, or files
 * next to them, from it): inside one bundle it would be the bundle's.
 * @type {import('esbuild').Plugin}
 */
const ownImportMetaUrl = {
  name: 'vexilla-own-import-meta-url',
  setup(build) {
    // esbuild replaces the expression (never text in a string) with a name each such module
    // declares for itself; the bundle keeps each module's declarations apart.
    build.initialOptions.define = { ...build.initialOptions.define, 'import.meta.url': OWN_URL };
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      return { contents: `const ${OWN_URL} = ${JSON.stringify(pathToFileURL(args.path).href)};\n${source}`, loader: 'ts' };
    });
  },
};
const OWN_URL = '__vexillaOwnImportMetaUrl';

/**
 * CommonJS packages (the AWS SDK, aws-cdk-lib, ...) left outside the bundle and imported
 * statically are loaded with `require`. An ES module `import` makes Node scan each file they export
 * from for its names first (cjs-module-lexer, following every re-export). The AWS SDK clients
 * `npm run dev` loads cost 2.4 times the CPU that way (0.55 s against 0.22 s); aws-cdk-lib cost 0.4 s
 * instead of 0.01 s.
 */
const COMMONJS_PACKAGES = /^(?:@aws-sdk\/|@smithy\/|aws-cdk-lib(?:\/|$)|constructs$|ajv(?:\/|$)|semver(?:\/|$)|aws4$|json-p3$)/;
const REQUIRED = 'vexilla-required';

/**
 * @param {import('esbuild').BuildOptions} settings
 * @returns {import('esbuild').Plugin}
 */
const requireCommonJs = (settings) => {
  const external = (name) =>
    settings.packages === 'external' ||
    (settings.external ?? []).some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern || name.startsWith(`${pattern}/`)));
  return {
    name: 'vexilla-require-commonjs',
    setup(build) {
      build.onResolve({ filter: COMMONJS_PACKAGES }, (args) => {
        // The require in the stand-in below: left to Node, as any external package is.
        if (args.namespace === REQUIRED) return { path: args.path, external: true };
        // A dynamic import() stays one: a split bundle would give it the stand-in's default export only.
        return args.kind !== 'dynamic-import' && external(args.path) ? { path: args.path, namespace: REQUIRED } : undefined;
      });
      // A CommonJS stand-in: esbuild gives its importers the package's exports, as Node's import would.
      build.onLoad({ filter: /.*/, namespace: REQUIRED }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
};

/**
 * The path of `entry`'s bundle, built now unless a fresh one exists.
 * @param {{ root: string, name: string, launcher: string, entry: string, evaluate?: string[], options?: import('esbuild').BuildOptions }} settings
 *   `launcher`: the file that calls this (a change to it, or to this file, builds anew);
 *   `entry`: the TypeScript entry, relative to `root`; `evaluate`: modules (relative to `root`)
 *   whose exports are plain data, evaluated now: the bundle holds their values instead of their
 *   code and what it imports; `options`: esbuild's, on top of the defaults.
 * @returns {Promise<string>}
 */
export async function cachedBundle({ root, name, launcher, entry, evaluate = [], options = {} }) {
  // One cache per checkout (copies sharing a node_modules, a linked one, keep their own bundles)
  // and per version of the launcher and of this file.
  const hash = createHash('sha256').update(root).update(readFileSync(launcher)).update(readFileSync(fileURLToPath(import.meta.url)));
  const cache = join(root, 'node_modules', '.cache', name, hash.digest('hex').slice(0, 12));
  const manifestFile = join(cache, 'manifest.json');
  const fresh = freshBundle(root, cache, manifestFile);
  if (fresh) return fresh;

  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  // A directory of its own per build, named in the manifest last: a process started meanwhile
  // uses the previous build, whole.
  const dir = `build-${Date.now()}-${process.pid}`;
  const base = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const settings = {
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: REQUIRE_BANNER },
    metafile: true,
    logLevel: 'error',
    ...options,
  };
  const evaluated = await evaluateModules(build, root, join(cache, dir, 'evaluated'), evaluate, settings);
  const result = await build({
    ...settings,
    entryPoints: { [base]: join(root, entry) },
    outdir: join(cache, dir),
    plugins: [evaluated.plugin, ownImportMetaUrl, requireCommonJs(settings), ...(options.plugins ?? [])],
  });
  const inputs = new Set([...inputsOf(root, result), ...evaluated.inputs]);
  const manifest = { root, entry: join(dir, `${base}.mjs`), inputs: [...inputs].map((file) => [file, statSync(join(root, file)).mtimeMs]) };
  writeFileSync(`${manifestFile}.${process.pid}`, JSON.stringify(manifest));
  renameSync(`${manifestFile}.${process.pid}`, manifestFile);
  pruneGoneCheckouts(dirname(cache));
  return join(cache, manifest.entry);
}

/** The sources a build read, relative to `root`. */
const inputsOf = (root, result) =>
  Object.keys(result.metafile.inputs)
    .filter((file) => !file.includes(':'))
    .map((file) => relative(root, join(process.cwd(), file)));

/**
 * Bundles and runs the `evaluate` modules; answers an esbuild plugin that loads each as its
 * exports' values (JSON), and the sources they were computed from (a change to one builds anew).
 */
async function evaluateModules(build, root, outdir, modules, settings) {
  const values = new Map();
  const inputs = [];
  if (modules.length > 0) {
    const entryPoints = Object.fromEntries(modules.map((file, index) => [`evaluated-${index}`, join(root, file)]));
    const result = await build({ ...settings, entryPoints, outdir, splitting: false, plugins: [ownImportMetaUrl, ...(settings.plugins ?? [])] });
    inputs.push(...inputsOf(root, result));
    for (const [index, file] of modules.entries()) {
      const exports = await import(pathToFileURL(join(outdir, `evaluated-${index}.mjs`)).href);
      const code = Object.entries(exports).map(([name, value]) => {
        const json = JSON.stringify(value);
        if (json === undefined) throw new Error(`${file}: export ${name} is not plain data, so it cannot be evaluated when bundling.`);
        return name === 'default' ? `export default ${json};` : `export const ${name} = ${json};`;
      });
      values.set(realpathSync(join(root, file)), code.join('\n'));
    }
    rmSync(outdir, { recursive: true, force: true });
  }
  /** @type {import('esbuild').Plugin} */
  const plugin = {
    name: 'vexilla-evaluated',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, (args) => (values.has(args.path) ? { contents: values.get(args.path), loader: 'js' } : undefined));
    },
  };
  return { plugin, inputs };
}

/**
 * Removes the caches of checkouts that no longer exist: copies sharing this node_modules (the
 * README's test runs in a temporary copy) would otherwise leave their bundles behind for good.
 * A cache whose manifest names no root (made before roots were recorded) is left alone.
 */
export function pruneGoneCheckouts(caches) {
  for (const entry of readdirSync(caches, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    let root;
    try {
      root = JSON.parse(readFileSync(join(caches, entry.name, 'manifest.json'), 'utf8')).root;
    } catch {
      continue;
    }
    if (typeof root === 'string' && !existsSync(root)) rmSync(join(caches, entry.name), { recursive: true, force: true });
  }
}

/** The current bundle's entry, if every source it was built from is unchanged. */
function freshBundle(root, cache, manifestFile) {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const fresh = manifest.inputs.every(([file, mtime]) => statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs === mtime);
    return fresh && statSync(join(cache, manifest.entry), { throwIfNoEntry: false }) ? join(cache, manifest.entry) : undefined;
  } catch {
    return undefined;
  }
}
