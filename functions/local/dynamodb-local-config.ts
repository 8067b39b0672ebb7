import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export interface LocalDynamoClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Client settings for the emulator; DynamoDB Local accepts any credentials, but the SDK needs some. */
export function localDynamoClientConfig(endpoint: string): LocalDynamoClientConfig {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  } satisfies DynamoDBClientConfig;
}
