/**
 * The Store port on DynamoDB through the AWS SDK's document client (every function but the
 * sdk-api, which runs the same store on the lean client: `lean-dynamodb.ts`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkDocumentTable } from './sdk-document-table.js';
import { TableStore } from './table-store.js';

export { itemOf, toEntity } from './table-store.js';

export class DynamoStore extends TableStore {
  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(sdkDocumentTable(client), tableName);
  }
}
