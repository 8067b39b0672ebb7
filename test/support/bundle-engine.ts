import { build, type Metafile } from 'esbuild';

/**
 * Bundles the engine for a neutral platform (browser, edge, Lambda): no Node built-ins may be
 * pulled in, or the build fails. Shared by the bundle test and the benchmark.
 */
export async function bundleEngine(
  entry = new URL('../../functions/engine/index.ts', import.meta.url).pathname,
): Promise<{ code: string; bytes: number; metafile: Metafile }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['browser', 'import', 'default'],
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.text ?? '';
  return { code, bytes: Buffer.byteLength(code), metafile: result.metafile };
}
