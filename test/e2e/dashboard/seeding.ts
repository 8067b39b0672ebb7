/**
 * The dashboard stack's table for a journey that seeds bulk data with the product's own write
 * builders (test/support/seed-identities.ts), as the integration tests do: through the API, each
 * item is a check, a transaction and an event that republishes documents. On the sdk-api's lean
 * DynamoDB client, so the journey's worker does not load the AWS SDK for a few transactions.
 */
import { dashboardStack } from './stack.js';
import { leanDocumentTable } from '../../../functions/data/lean-dynamodb.js';
import { TableStore } from '../../../functions/data/table-store.js';
import type { Project } from '../../../functions/domain/entities.js';
import type { Deps } from '../../../functions/domain/use-cases/support.js';
import { localDynamoClientConfig } from '../../../functions/local/dynamodb-local-config.js';

/** Deps over the stack's table, and the journey's project as stored. */
export async function stackTable(projectId: string): Promise<{ deps: Deps; project: Project }> {
  const { dynamoEndpoint, tableName } = dashboardStack().table;
  const deps: Deps = { store: new TableStore(leanDocumentTable(localDynamoClientConfig(dynamoEndpoint)), tableName), clock: () => new Date() };
  const project = await deps.store.get({ type: 'project', id: projectId });
  if (!project) throw new Error(`no project ${projectId} in ${tableName}`);
  return { deps, project };
}
