/**
 * The libraries only some conditions need: re2js (REGEX conditions, and JSONPath's `match()`
 * and `search()`), json-p3 (JSONPath condition properties such as `$.identity.identifier`) and
 * semver (values ending in `:semver`). Together they are most of the engine's weight, and most
 * environments never use them.
 *
 * The engine reads them through `re2()` and `jsonP3()` and nothing else. This module, the
 * default, imports them statically: the SDK, the browser, the local stack and the tests evaluate
 * synchronously with nothing to prepare. The Lambda bundles swap it for
 * functions/shared/lazy-condition-libraries.ts (lib/bundling.ts), which loads each one in a chunk
 * of its own on demand: there, whoever compiles an environment first awaits
 * `loadConditionLibrariesFor(segments)` (a no-op here), and evaluation stays synchronous.
 */
import * as jsonP3Module from 'json-p3';
import { RE2JS } from 're2js';
import SemVer from 'semver/classes/semver.js';
import compare from 'semver/functions/compare.js';

export type Re2 = typeof RE2JS;
export type JsonP3 = typeof jsonP3Module;
export type Semver = { SemVer: typeof SemVer; compare: typeof compare };
export type ConditionLibrary = 're2js' | 'json-p3' | 'semver';

/** RE2 (linear-time regular expressions). */
export const re2 = (): Re2 => RE2JS;

/** json-p3 (RFC 9535 JSONPath). */
export const jsonP3 = (): JsonP3 => jsonP3Module;

const semverModule: Semver = { SemVer, compare };
/** SemVer 2.0 parsing and ordering. */
export const semver = (): Semver => semverModule;

/**
 * Makes sure the libraries that compiling these segments (or any value holding conditions)
 * needs are loaded; here they always are.
 */
export const loadConditionLibrariesFor = async (_value: unknown): Promise<void> => {};
