/**
 * Setup file of the integration projects (vitest.config.ts): each file starts once the run's
 * DynamoDB Local answers (its globalSetup starts it in the background), so the files can read
 * their endpoint synchronously (testDynamoEndpoint), at module level included.
 */
import { awaitDynamoEndpoints } from './dynamodb.js';

await awaitDynamoEndpoints();
