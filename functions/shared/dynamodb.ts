import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshallOptions, unmarshallOptions } from './dynamodb-marshalling.js';

export { unmarshallOptions } from './dynamodb-marshalling.js';

/** A document client that stores JSON values as they are (no empty-string or class surprises). */
export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { ...marshallOptions },
    // A copy: the document client sets `convertWithoutMapWrapper` on the object it is given, which
    // would break every other `unmarshall` (the stream publisher's) sharing it.
    unmarshallOptions: { ...unmarshallOptions },
  });
}
