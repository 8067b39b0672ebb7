/** The environment a Lambda entry reads (as the stack sets it), pointed at a test's table in DynamoDB Local. */
import { vi } from 'vitest';
import { testDynamoEndpoint } from './dynamodb.js';

/**
 * Sets TABLE_NAME, the SDK's DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB), region, placeholder
 * credentials and `extra` with `vi.stubEnv`; the file calls `vi.unstubAllEnvs()` in `afterAll`,
 * because the next file in the worker shares this process (test/support/file-hygiene.ts).
 */
export function stubLambdaEnv(tableName: string, extra: Record<string, string> = {}): void {
  const values = {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: testDynamoEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...extra,
  };
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}
