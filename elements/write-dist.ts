/** `npm run build:elements`: writes `<vexilla-tenant-settings>` to dist/elements/ (elements/build.ts builds it). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTenantSettingsElement, ELEMENT_FILE, REPO_ROOT } from './build.js';

const code = await buildTenantSettingsElement();
await mkdir(join(REPO_ROOT, 'dist/elements'), { recursive: true });
await writeFile(join(REPO_ROOT, 'dist/elements', ELEMENT_FILE), code);
console.log(`wrote dist/elements/${ELEMENT_FILE} (${code.length} bytes)`);
