/**
 * Builds `<vexilla-tenant-settings>` into one small ES module with esbuild: the local stack serves
 * it (functions/local/tenant-demo.ts) and `npm run build:elements` writes it to dist/elements/ for
 * the customer to host (or serve next to the dashboard).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('..', import.meta.url));
// Bundled (npm run bench runs from node_modules/.cache), this file is not next to its sources:
// they are then found from the working directory, the repository.
const root = existsSync(join(here, 'elements/tenant-settings')) ? here : `${process.cwd()}/`;
export const ELEMENT_FILE = 'vexilla-tenant-settings.js';

/** The element's bundle: ES2022 (every evergreen browser), minified, no dependencies. */
export async function buildTenantSettingsElement(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'elements/tenant-settings/vexilla-tenant-settings.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.outputFiles[0]?.text ?? '';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await buildTenantSettingsElement();
  await mkdir(join(root, 'dist/elements'), { recursive: true });
  await writeFile(join(root, 'dist/elements', ELEMENT_FILE), code);
  console.log(`wrote dist/elements/${ELEMENT_FILE} (${code.length} bytes)`);
}
