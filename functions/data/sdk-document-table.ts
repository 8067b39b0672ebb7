/** The store's table operations on the AWS SDK's DynamoDB document client. */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DocumentTable } from './document-table.js';

export const sdkDocumentTable = (client: DynamoDBDocumentClient): DocumentTable => ({
  get: async (input) => client.send(new GetCommand(input)),
  batchGet: async ({ TableName, Keys, ConsistentRead }) => {
    const answer = await client.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys, ConsistentRead } } }));
    return { Items: answer.Responses?.[TableName] ?? [], UnprocessedKeys: answer.UnprocessedKeys?.[TableName]?.Keys ?? [] };
  },
  query: async (input) => client.send(new QueryCommand(input)),
  update: async (input) => client.send(new UpdateCommand(input)),
  transactWrite: async (input) => {
    await client.send(new TransactWriteCommand(input));
  },
});
