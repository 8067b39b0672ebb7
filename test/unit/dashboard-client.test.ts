import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypesSource } from '../../dashboard/scripts/client-source.js';

describe("the dashboard's generated API client", () => {
  it('matches the OpenAPI document of the route table (run `npm run dashboard:client` after changing routes or schemas)', async () => {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8');
    expect(committed === (await clientTypesSource()), 'dashboard/src/api/schema.gen.ts is stale: run `npm run dashboard:client`').toBe(true);
  });
});
