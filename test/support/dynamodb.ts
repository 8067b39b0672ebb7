/**
 * The DynamoDB endpoint for integration tests. Tests create and delete tables, so they refuse
 * anything but a loopback endpoint: a misconfigured env must never reach a real account.
 */
import { inject } from 'vitest';
import { setupValue } from './background-setup.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Returns the URL unchanged if its host is 127.0.0.1 or localhost; throws otherwise. */
export function assertLocalEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`Refusing DynamoDB endpoint ${JSON.stringify(endpoint)}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Refusing DynamoDB endpoint ${endpoint}: protocol must be http(s)`);
  }
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new Error(
      `Refusing DynamoDB endpoint ${endpoint}: tests only run against DynamoDB Local on 127.0.0.1 or localhost`,
    );
  }
  return endpoint;
}

/**
 * The run's DynamoDB Locals, which the integration projects' globalSetup starts in the background;
 * their setup file (dynamodb-ready.ts) waits for them before each file.
 */
const emulators = setupValue<string[]>(
  () => inject('dynamoEndpointsFile'),
  "the integration tests' DynamoDB Local",
  'run this test in a vitest integration project (test/integration/), whose globalSetup starts the emulator and whose setup file waits for it',
);
export const awaitDynamoEndpoints = emulators.wait;

/**
 * The endpoint the integration projects' globalSetup provided for this worker (one DynamoDB Local
 * shared by all unless VEXILLA_TEST_DYNAMODB_LOCALS says how many; by VITEST_POOL_ID), checked to be local.
 */
export function testDynamoEndpoint(): string {
  const endpoints = emulators.get();
  const worker = Math.max(1, Number(process.env.VITEST_POOL_ID ?? 1));
  return assertLocalEndpoint(endpoints[(worker - 1) % endpoints.length] as string);
}
