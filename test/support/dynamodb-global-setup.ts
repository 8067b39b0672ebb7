/**
 * vitest globalSetup for the `integration` project: one in-memory DynamoDB Local for the whole
 * run, shared by every test file (each file isolates itself with its own table names).
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startDynamoDbLocal({ inMemory: true });
  const previous = process.env.DYNAMODB_ENDPOINT;
  project.provide('dynamoEndpoint', emulator.endpoint);
  // Set before workers start, so they inherit it (for code that reads the env, not inject()).
  process.env.DYNAMODB_ENDPOINT = emulator.endpoint;
  return async () => {
    if (previous === undefined) delete process.env.DYNAMODB_ENDPOINT;
    else process.env.DYNAMODB_ENDPOINT = previous;
    await emulator.stop();
  };
}
