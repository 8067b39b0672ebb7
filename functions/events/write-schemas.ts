/**
 * Writes the JSON Schema of every detail-type's `detail` to docs/events/ (`npm run events:schemas`),
 * for customers who attach their own EventBridge rules. A unit test fails when the committed files
 * and the zod schemas disagree, so the documents cannot drift from what the publisher sends.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { eventSchemas } from './detail-types.js';
import { TENANT_UPDATE_DETAIL_TYPE, TENANT_UPDATE_VERSION, tenantUpdateJsonSchema } from './tenant-updates.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../../docs/events/', import.meta.url));

/** File name and content of each schema document: what Vexilla publishes, and the tenant.update customers put. Pure. */
export function schemaFiles(): { name: string; content: string }[] {
  const file = (detailType: string, version: number, schema: Record<string, unknown>) => ({
    name: `${detailType}.v${version}.schema.json`,
    content: `${JSON.stringify({ $id: `vexilla/${detailType}/v${version}`, ...schema }, null, 2)}\n`,
  });
  return [...eventSchemas().map(({ detailType, version, schema }) => file(detailType, version, schema)), file(TENANT_UPDATE_DETAIL_TYPE, TENANT_UPDATE_VERSION, tenantUpdateJsonSchema())];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await mkdir(SCHEMA_DIR, { recursive: true });
  for (const file of schemaFiles()) await writeFile(`${SCHEMA_DIR}${file.name}`, file.content);
  console.log(`Wrote ${schemaFiles().length} schemas to docs/events/`);
}
