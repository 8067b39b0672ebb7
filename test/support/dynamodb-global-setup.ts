/**
 * vitest globalSetup for the `integration` project: one in-memory DynamoDB Local per test worker,
 * each file using its worker's (test/support/dynamodb.ts; files isolate themselves with their own
 * table names). DynamoDB Local answers every request through one SQLite thread: shared by all
 * workers, that thread was the suite's bottleneck (busy ~23 of 34 minutes while the machine idled).
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One endpoint per worker: worker N (VITEST_POOL_ID, 1-based) uses entry N - 1. */
    dynamoEndpoints: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workers = Math.max(1, Number(project.globalConfig.maxWorkers) || 1);
  const emulators = await Promise.all(Array.from({ length: workers }, () => startDynamoDbLocal({ inMemory: true })));
  project.provide('dynamoEndpoints', emulators.map((emulator) => emulator.endpoint));
  return async () => {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  };
}
