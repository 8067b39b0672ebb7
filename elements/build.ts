/**
 * Builds `<vexilla-tenant-settings>` into one small ES module with esbuild: the local stack serves
 * it (functions/local/tenant-demo.ts), the stack deploys it next to the dashboard (lib/dashboard.ts)
 * and `npm run build:elements` (elements/write-dist.ts) writes it to dist/elements/ for a customer
 * who hosts it themselves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions } from 'esbuild';

const here = fileURLToPath(new URL('..', import.meta.url));
// Bundled (npm run bench runs from node_modules/.cache), this file is not next to its sources:
// they are then found from the working directory, the repository.
const root = existsSync(join(here, 'elements/tenant-settings')) ? here : `${process.cwd()}/`;
/** The repository's root (where dist/ is written). */
export const REPO_ROOT = root;
export const ELEMENT_FILE = 'vexilla-tenant-settings.js';
/** Where the stack's distribution and the local stack serve the elements: `/elements/vexilla-tenant-settings.js`. */
export const ELEMENTS_PATH = '/elements/';

/** The element's bundle: ES2022 (every evergreen browser), minified, no dependencies. */
const options = {
  entryPoints: [join(root, 'elements/tenant-settings/vexilla-tenant-settings.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
} satisfies BuildOptions;

export async function buildTenantSettingsElement(): Promise<string> {
  return (await build(options)).outputFiles[0]?.text ?? '';
}

/** The same bundle, synchronously (CDK constructs are built synchronously: lib/dashboard.ts). */
export function buildTenantSettingsElementSync(): string {
  return buildSync(options).outputFiles[0]?.text ?? '';
}
