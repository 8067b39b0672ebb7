import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { assertLocalEndpoint, awaitDynamoEndpoints, testDynamoEndpoint } from '../support/dynamodb.js';

describe('DynamoDB Local', () => {
  const client = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
  const documents = DynamoDBDocumentClient.from(client);
  afterAll(() => client.destroy());

  it('creates a composite-key table, writes, reads back and deletes it', async () => {
    const tableName = `smoke-${randomUUID().slice(0, 8)}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    try {
      const item = { pk: 'ORG#1', sk: 'FLAG#dark-mode', enabled: true, rollout: 25, tags: ['ui'] };
      await documents.send(new PutCommand({ TableName: tableName, Item: item }));
      const read = await documents.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'ORG#1', sk: 'FLAG#dark-mode' }, ConsistentRead: true }),
      );
      expect(read.Item).toEqual(item);

      const missing = await documents.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'ORG#1', sk: 'FLAG#other' } }),
      );
      expect(missing.Item).toBeUndefined();
    } finally {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
    }
    const tables = await client.send(new ListTablesCommand({}));
    expect(tables.TableNames ?? []).not.toContain(tableName);
  });

  it('gives each test worker one of the run\'s DynamoDB Locals, by its pool id (one per worker unless VEXILLA_TEST_DYNAMODB_LOCALS says how many)', async () => {
    const endpoints = await awaitDynamoEndpoints();
    expect(endpoints.length).toBeGreaterThanOrEqual(1);
    expect(new Set(endpoints).size).toBe(endpoints.length);
    expect(testDynamoEndpoint()).toBe(endpoints[(Number(process.env.VITEST_POOL_ID ?? 1) - 1) % endpoints.length]);
  });
});

describe('assertLocalEndpoint', () => {
  it.each(['http://127.0.0.1:8000', 'http://localhost:4567', 'https://localhost'])('accepts %s', (url) => {
    expect(assertLocalEndpoint(url)).toBe(url);
  });

  it.each([
    'https://dynamodb.us-east-1.amazonaws.com',
    'http://10.0.0.5:8000',
    'http://127.0.0.1.example.com:8000',
    'http://localhost.example.com',
    'http://user@dynamodb.example.com@127.0.0.1.nip.io',
    'file:///127.0.0.1',
    'not a url',
    '',
  ])('rejects %s', (url) => {
    expect(() => assertLocalEndpoint(url)).toThrow(/Refusing DynamoDB endpoint/);
  });
});
