/**
 * How the Lambda functions are bundled, as plain esbuild options with no CDK in sight:
 * lib/functions.ts hands them to NodejsFunction, and `npm run bench` builds with exactly these to
 * report each bundle's size and cold-start init time.
 */

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies that call it (directly or through
 * esbuild's `__require` shim) get one from `createRequire`. The alias avoids clashing with any
 * `createRequire` import in the bundle itself.
 */
export const REQUIRE_BANNER = "import { createRequire as __vexillaCreateRequire } from 'node:module'; const require = __vexillaCreateRequire(import.meta.url);";

/**
 * The AWS SDK's default credential chain, replaced in the Lambda bundles by the environment
 * variables Lambda sets for the function's role (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN: docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * The chain's SSO, STS, INI and IMDS providers are a fifth of a bundle and never run in Lambda.
 */
export const LAMBDA_CREDENTIALS_ALIAS = { '@aws-sdk/credential-provider-node': './functions/shared/lambda-credentials.ts' } as const;

/**
 * How every function is bundled, as esbuild options: `npm run bench` builds with exactly these to
 * report bundle size and init time. Minified ESM for Node 22, AWS SDK v3 bundled too (the version
 * that runs is the one in package-lock.json and the tests, not whatever the runtime ships that
 * week), and no source maps unless asked for: a 1-1.6 MB map and `--enable-source-maps` cost
 * 10-15 ms of every cold start.
 */
export function lambdaEsbuildOptions(options: { sourceMaps: boolean }) {
  return {
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    minify: true,
    sourcemap: options.sourceMaps,
    // Source maps only need names and positions; the sources would double the asset size.
    sourcesContent: false,
    alias: { ...LAMBDA_CREDENTIALS_ALIAS },
  } as const;
}
