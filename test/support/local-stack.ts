/** The whole local stack (pipeline, edge, publisher) on a table of its own in the tests' DynamoDB Local. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/data/create-table.js';
import { bootstrapOrganisation } from '../../functions/domain/use-cases/organisation.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../functions/local/stack.js';
import { testDynamoEndpoint } from './dynamodb.js';

/** Starts it with an organisation and that organisation's admin token. */
export async function startFreshLocalStack(
  options: Omit<LocalStackOptions, 'endpoint' | 'tableName'> & { organisation: string },
): Promise<{ stack: LocalStack; orgId: string; token: string }> {
  const { organisation: name, ...stackOptions } = options;
  const tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
  await ensureTable(raw, tableName);
  raw.destroy();
  const stack = await startLocalStack({ endpoint: testDynamoEndpoint(), tableName, ...stackOptions });
  const { organisation, secret } = await bootstrapOrganisation(stack.deps, { name });
  return { stack, orgId: organisation.id, token: secret };
}
