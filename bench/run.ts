/**
 * `npm run bench`: bundles the benchmarks with esbuild, as the Lambda functions and the SDK are
 * shipped (a TypeScript loader adds wrappers of its own that would skew the figures), and runs
 * them with plain Node. Dependencies stay external, so flagsmith-nodejs runs as published.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}node_modules/.cache/vexilla-bench`;
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [`${root}bench/index.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: `${outdir}/bench.mjs`,
  logLevel: 'warning',
});
// The bundle lives elsewhere, so the benchmarks resolve their files from the working directory.
console.log(`# Vexilla benchmarks (node ${process.version}, ${process.platform}/${process.arch})`);
let status = 0;
// `npm run bench -- bundles` runs one section.
const only = process.argv.slice(2);
for (const section of only.length > 0 ? only : ['engine', 'prerequisites', 'sdk-api', 'sdk', 'webhooks', 'freshness', 'bundles', 'import', 'dashboard', 'tenants', 'dynamodb-local']) {
  const run = spawnSync(process.execPath, ['--expose-gc', `${outdir}/bench.mjs`, section], {
    stdio: 'inherit',
    cwd: root,
    // The AWS SDK's notice that its 2027 releases need Node 22 is noise in a report.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env },
  });
  status ||= run.status ?? 1;
}
process.exit(status);
