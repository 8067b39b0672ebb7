import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Numbers as JSON has them: any finite JavaScript number is written (the schemas keep them in
 * DynamoDB's range) and read back as a JavaScript number, never a BigInt (which JSON cannot hold).
 */
export const unmarshallOptions: Readonly<NonNullable<Parameters<typeof unmarshall>[1]>> = Object.freeze({ wrapNumbers: (text: string) => Number(text) });

/** A document client that stores JSON values as they are (no empty-string or class surprises). */
export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false, allowImpreciseNumbers: true },
    // A copy: the document client sets `convertWithoutMapWrapper` on the object it is given, which
    // would break every other `unmarshall` (the stream publisher's) sharing it.
    unmarshallOptions: { ...unmarshallOptions },
  });
}
