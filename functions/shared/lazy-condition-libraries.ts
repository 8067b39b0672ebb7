/**
 * The Lambda bundles' stand-in for functions/engine/condition-libraries.ts (swapped in by
 * lib/bundling.ts): re2js, json-p3 and semver are dynamic imports, so esbuild puts each in a
 * chunk of its own that a cold start does not load. An environment whose segments need one loads
 * it once, when its snapshot is built (`loadConditionLibrariesFor`, awaited before compiling), and
 * the engine then reads it synchronously. Compiling such a condition before that is a bug, and
 * says so.
 *
 * Same exports as the static module, checked by the `satisfies` at the end.
 */
import type * as StaticLibraries from '../engine/condition-libraries.js';
import type { ConditionLibrary, JsonP3, Re2, Semver } from '../engine/condition-libraries.js';

const loaded: { re2js?: Re2; 'json-p3'?: JsonP3; semver?: Semver } = {};

function notLoaded(library: ConditionLibrary): never {
  throw new Error(`The engine compiled a condition that needs ${library} before it was loaded: await loadConditionLibrariesFor(segments) before compiling them.`);
}

export const re2 = (): Re2 => loaded.re2js ?? notLoaded('re2js');
export const jsonP3 = (): JsonP3 => loaded['json-p3'] ?? notLoaded('json-p3');
export const semver = (): Semver => loaded.semver ?? notLoaded('semver');

/** Whether a library is loaded. */
export const isLoaded = (library: ConditionLibrary): boolean => loaded[library] !== undefined;

const SEMVER_SUFFIX = ':semver';

/**
 * The libraries that compiling these segment rules (or any value holding conditions) needs: a
 * REGEX condition needs RE2; a JSONPath property (`$.…`) needs json-p3, and RE2 for the
 * `match()` and `search()` its filters may call; a value ending in `:semver` needs semver. The
 * walk is generic, so it needs no change when conditions move to new places.
 */
export function conditionLibrariesNeededBy(value: unknown): ConditionLibrary[] {
  const needed = new Set<ConditionLibrary>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && needed.size < 3) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (record.operator === 'REGEX') needed.add('re2js');
    if (typeof record.property === 'string' && record.property.startsWith('$.')) needed.add('json-p3').add('re2js');
    if (typeof record.value === 'string' && record.value.endsWith(SEMVER_SUFFIX)) needed.add('semver');
    for (const item of Object.values(record)) stack.push(item);
  }
  return [...needed];
}

const loaders: { [library in ConditionLibrary]: () => Promise<NonNullable<(typeof loaded)[library]>> } = {
  re2js: async () => (await import('re2js')).RE2JS,
  'json-p3': () => import('json-p3'),
  semver: async () => {
    const [SemVer, compare] = await Promise.all([import('semver/classes/semver.js'), import('semver/functions/compare.js')]);
    return { SemVer: SemVer.default, compare: compare.default };
  },
};

/** Loads, once per process, the libraries these segments need and that are not loaded yet. */
export async function loadConditionLibrariesFor(value: unknown): Promise<void> {
  const missing = conditionLibrariesNeededBy(value).filter((library) => !isLoaded(library));
  await Promise.all(
    missing.map(async (library) => {
      const module = await loaders[library]();
      (loaded as Record<ConditionLibrary, unknown>)[library] ??= module;
    }),
  );
}

// The stand-in offers everything the static module does, with the same types.
({ re2, jsonP3, semver, loadConditionLibrariesFor }) satisfies typeof StaticLibraries;
