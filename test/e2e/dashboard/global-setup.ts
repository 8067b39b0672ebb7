/**
 * vitest globalSetup for the `dashboard` project: builds the dashboard once (`npm run
 * build:dashboard` → dist/dashboard), which `npm run dev` then serves at `/`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { quietEnv, REPO_ROOT } from '../../support/dev-process.js';

export default function setup(): void {
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'dashboard/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    // What ships: vitest sets NODE_ENV=test, which would give Vite React's development build.
    env: { ...quietEnv, NODE_ENV: 'production' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`Building the dashboard failed:\n${result.stdout}\n${result.stderr}`);
  console.log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
