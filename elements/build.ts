/**
 * Builds `<vexilla-tenant-settings>` into one small ES module with esbuild: the local stack serves
 * it (functions/local/tenant-demo.ts), the stack deploys it next to the dashboard (lib/dashboard.ts)
 * and `npm run build:elements` writes it to dist/elements/ for a customer who hosts it themselves.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions } from 'esbuild';

const here = fileURLToPath(new URL('..', import.meta.url));
// Bundled (npm run bench runs from node_modules/.cache), this file is not next to its sources:
// they are then found from the working directory, the repository.
const root = existsSync(join(here, 'elements/tenant-settings')) ? here : `${process.cwd()}/`;
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await buildTenantSettingsElement();
  await mkdir(join(root, 'dist/elements'), { recursive: true });
  await writeFile(join(root, 'dist/elements', ELEMENT_FILE), code);
  console.log(`wrote dist/elements/${ELEMENT_FILE} (${code.length} bytes)`);
}
