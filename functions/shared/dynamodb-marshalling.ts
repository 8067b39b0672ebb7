import type { marshallOptions as MarshallOptions, unmarshallOptions as UnmarshallOptions } from '@aws-sdk/util-dynamodb';

/**
 * How JSON values become DynamoDB attribute values and back, for both DynamoDB clients (the AWS
 * SDK's document client, `dynamodb.ts`, and the sdk-api's lean client, `data/lean-dynamodb.ts`):
 * values stored as they are (no empty-string or class surprises), undefined members dropped.
 */
export const marshallOptions: Readonly<MarshallOptions> = Object.freeze({ removeUndefinedValues: true, convertClassInstanceToMap: false, allowImpreciseNumbers: true });

/**
 * Numbers as JSON has them: any finite JavaScript number is written (the schemas keep them in
 * DynamoDB's range) and read back as a JavaScript number, never a BigInt (which JSON cannot hold).
 */
export const unmarshallOptions: Readonly<UnmarshallOptions> = Object.freeze({ wrapNumbers: (text: string) => Number(text) });
