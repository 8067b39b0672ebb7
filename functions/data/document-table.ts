/**
 * The few DynamoDB operations the store uses (GetItem, BatchGetItem, Query, UpdateItem,
 * TransactWriteItems), with items as plain JSON values (the document client's shapes), free of
 * any AWS client: the store runs on the AWS SDK's document client (`sdk-document-table.ts`, every
 * function but the sdk-api) or on the lean client (`lean-dynamodb.ts`, the sdk-api's cold start).
 */
export type Item = Record<string, unknown>;

interface Condition {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

export interface GetInput {
  TableName: string;
  Key: Item;
  ConsistentRead?: boolean;
}

/** BatchGetItem on one table: at most 100 distinct keys. */
export interface BatchGetInput {
  TableName: string;
  Keys: Item[];
  ConsistentRead?: boolean;
}

/** The items found (in no particular order) and the keys DynamoDB left for another call. */
export interface BatchGetOutput {
  Items: Item[];
  UnprocessedKeys: Item[];
}

export interface QueryInput {
  TableName: string;
  IndexName?: string;
  ConsistentRead?: boolean;
  KeyConditionExpression: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
  ScanIndexForward?: boolean;
  Limit?: number;
  ExclusiveStartKey?: Item;
}

export interface UpdateInput extends Condition {
  TableName: string;
  Key: Item;
  UpdateExpression: string;
  ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
}

export interface TransactWriteItem {
  Put?: Condition & { TableName: string; Item: Item };
  Delete?: Condition & { TableName: string; Key: Item };
  ConditionCheck?: Condition & { TableName: string; Key: Item; ConditionExpression: string };
  Update?: Condition & { TableName: string; Key: Item; UpdateExpression: string };
}

export interface DocumentTable {
  get(input: GetInput): Promise<{ Item?: Item }>;
  batchGet(input: BatchGetInput): Promise<BatchGetOutput>;
  query(input: QueryInput): Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>;
  update(input: UpdateInput): Promise<{ Attributes?: Item }>;
  transactWrite(input: { TransactItems: TransactWriteItem[] }): Promise<void>;
}

/**
 * A transaction DynamoDB cancelled, from either client: both name the error after DynamoDB's
 * exception and carry its `CancellationReasons`, one per item, in order.
 */
export function cancellationReasonsOf(error: unknown): { Code?: string }[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
}
