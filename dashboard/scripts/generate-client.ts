/** `npm run dashboard:client`: regenerates dashboard/src/api/schema.gen.ts (see client-source.ts). */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CLIENT_TYPES_FILE, clientTypesSource } from './client-source.js';

await writeFile(CLIENT_TYPES_FILE, await clientTypesSource());
console.log(`wrote ${fileURLToPath(CLIENT_TYPES_FILE)}`);
