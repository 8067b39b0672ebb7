/**
 * A lean DynamoDB client for the store's operations (GetItem, BatchGetItem, Query, UpdateItem,
 * TransactWriteItems), for the sdk-api's cold start: the AWS SDK's DynamoDB document client
 * costs ~80 ms of CPU to load, this a few. DynamoDB's JSON protocol over HTTPS, signed with
 * Signature Version 4 (`signed-https.ts`, loaded with the first request), items marshalled with
 * the SDK's own `@aws-sdk/util-dynamodb` and the same options as the document client, so items
 * read and write exactly as they do through the SDK.
 *
 * As the SDK does: credentials and region from Lambda's environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION), endpoint from AWS_ENDPOINT_URL_DYNAMODB or
 * AWS_ENDPOINT_URL (DynamoDB Local), up to 3 attempts with exponential backoff and full jitter
 * on throttling, 5xx and network errors (base 500 ms for throttling, 100 ms otherwise, capped at
 * 20 s: the SDK's standard retry strategy,
 * docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), and an idempotency token
 * on transactions so a retried one is applied once
 * (docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 * Errors carry DynamoDB's exception name (`error.name`), like the SDK's.
 */
import { randomUUID } from 'node:crypto';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { fullJitterDelay, sleep as defaultSleep } from '../shared/backoff.js';
import { marshallOptions, unmarshallOptions } from '../shared/dynamodb-marshalling.js';
import type { DocumentTable, Item, TransactWriteItem } from './document-table.js';
import type { SignedPost } from './signed-https.js';

export interface LeanDynamoOptions {
  /** @default AWS_REGION, then AWS_DEFAULT_REGION */
  region?: string;
  /** @default AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL, then DynamoDB's regional endpoint */
  endpoint?: string;
  /** @default AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per operation, the first included. @default 3 */
  maxAttempts?: number;
  /** How a retry waits (tests pass one that records the delay and does not wait). */
  sleep?: (ms: number) => Promise<void>;
}

/** An error DynamoDB answered (or the network gave), named as the SDK names it. */
export class DynamoDBError extends Error {
  constructor(
    name: string,
    message: string,
    readonly $metadata: { httpStatusCode?: number; attempts: number },
    readonly CancellationReasons?: { Code?: string; Message?: string }[],
  ) {
    super(message);
    this.name = name;
  }
}

/** The SDK's throttling error codes that DynamoDB answers (@smithy/service-error-classification). */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TransactionInProgressException', 'LimitExceededException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const MAX_DELAY_MS = 20_000;

/**
 * DynamoDB's JSON protocol carries binary values (B, BS) as base64 text where the AWS SDK gives and
 * takes bytes: each binary value among marshalled attribute values (in maps and lists too) is
 * converted in place, on the way out and on the way back.
 */
function convertBinary(attributes: unknown, convert: (value: unknown) => unknown): unknown {
  for (const value of Object.values(attributes as Record<string, Record<string, unknown>>)) {
    if (typeof value !== 'object' || value === null) continue;
    if ('B' in value) value.B = convert(value.B);
    else if ('BS' in value) value.BS = (value.BS as unknown[]).map(convert);
    else if ('M' in value) convertBinary(value.M, convert);
    else if ('L' in value) convertBinary(value.L, convert);
  }
  return attributes;
}
// A Uint8Array may be a view into a larger buffer: only its own bytes.
const base64Of = (bytes: unknown) => Buffer.from((bytes as Uint8Array).buffer, (bytes as Uint8Array).byteOffset, (bytes as Uint8Array).byteLength).toString('base64');
const bytesOf = (text: unknown) => new Uint8Array(Buffer.from(String(text), 'base64'));

const toAttributes = (item: Item) => convertBinary(marshall(item, marshallOptions), base64Of);
const fromAttributes = (item: unknown): Item => unmarshall(convertBinary(item, bytesOf) as Parameters<typeof unmarshall>[0], unmarshallOptions);
const withValues = <T extends { ExpressionAttributeValues?: Item }>(input: T) =>
  input.ExpressionAttributeValues ? { ...input, ExpressionAttributeValues: toAttributes(input.ExpressionAttributeValues) } : input;

function transactItem(item: TransactWriteItem): unknown {
  if (item.Put) return { Put: withValues({ ...item.Put, Item: toAttributes(item.Put.Item) }) };
  if (item.Delete) return { Delete: withValues({ ...item.Delete, Key: toAttributes(item.Delete.Key) }) };
  if (item.ConditionCheck) return { ConditionCheck: withValues({ ...item.ConditionCheck, Key: toAttributes(item.ConditionCheck.Key) }) };
  if (item.Update) return { Update: withValues({ ...item.Update, Key: toAttributes(item.Update.Key) }) };
  throw new Error('A transaction item is a Put, a Delete, a ConditionCheck or an Update.');
}

function endpointOf(region: string, configured: string | undefined): URL {
  const ignoreConfigured = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true';
  const url = configured ?? (ignoreConfigured ? undefined : (process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL));
  return new URL(url ?? `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`);
}

function credentialsOf(options: LeanDynamoOptions): NonNullable<LeanDynamoOptions['credentials']> {
  if (options.credentials) return options.credentials;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set.');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** A `DocumentTable` on DynamoDB's HTTP API. Nothing is read from the environment until the first call. */
export function leanDocumentTable(options: LeanDynamoOptions = {}): DocumentTable {
  const maxAttempts = options.maxAttempts ?? 3;
  const sleep = options.sleep ?? defaultSleep;
  let post: Promise<SignedPost> | undefined;
  let target: { region: string; endpoint: URL } | undefined;

  async function call(operation: string, body: unknown): Promise<Record<string, unknown>> {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('No AWS region: AWS_REGION is not set.');
    target ??= { region, endpoint: endpointOf(region, options.endpoint) };
    // node:https and the signer load with the first request, not at every cold start's init.
    post ??= import('./signed-https.js').then((module) => module.signedPost);
    const send = await post;
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let error: DynamoDBError;
      let throttled = false;
      try {
        const response = await send({ url: target.endpoint, region: target.region, service: 'dynamodb', target: `DynamoDB_20120810.${operation}`, body: payload, credentials: credentialsOf(options) });
        const answer = (response.body ? JSON.parse(response.body) : {}) as Record<string, unknown>;
        if (response.status < 300) return answer;
        // "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
        const name = String(answer.__type ?? `HTTP${response.status}`).split('#').pop() as string;
        const message = String(answer.message ?? answer.Message ?? `DynamoDB answered ${response.status}`);
        const reasons = answer.CancellationReasons as { Code?: string; Message?: string }[] | undefined;
        error = new DynamoDBError(name, message, { httpStatusCode: response.status, attempts: attempt }, reasons);
        throttled = THROTTLING.has(name) || response.status === 429;
        if (!throttled && !TRANSIENT_STATUS.has(response.status)) throw error;
      } catch (cause) {
        if (cause instanceof DynamoDBError) throw cause;
        const code = (cause as NodeJS.ErrnoException).code;
        if (!code || !NETWORK_ERRORS.has(code)) throw cause;
        error = new DynamoDBError('NetworkingError', (cause as Error).message, { attempts: attempt });
        error.cause = cause;
      }
      if (attempt >= maxAttempts) throw error;
      await sleep(fullJitterDelay(attempt, throttled ? 500 : 100, MAX_DELAY_MS));
    }
  }

  return {
    async get(input) {
      const answer = await call('GetItem', { ...input, Key: toAttributes(input.Key) });
      return answer.Item ? { Item: fromAttributes(answer.Item) } : {};
    },
    async batchGet({ TableName, Keys, ConsistentRead }) {
      const answer = await call('BatchGetItem', { RequestItems: { [TableName]: { Keys: Keys.map(toAttributes), ConsistentRead } } });
      const found = (answer.Responses as Record<string, unknown[]> | undefined)?.[TableName] ?? [];
      const left = (answer.UnprocessedKeys as Record<string, { Keys?: unknown[] }> | undefined)?.[TableName]?.Keys ?? [];
      return { Items: found.map(fromAttributes), UnprocessedKeys: left.map(fromAttributes) };
    },
    async query(input) {
      const answer = await call('Query', { ...withValues(input), ...(input.ExclusiveStartKey ? { ExclusiveStartKey: toAttributes(input.ExclusiveStartKey) } : {}) });
      return {
        Items: ((answer.Items ?? []) as unknown[]).map(fromAttributes),
        ...(answer.LastEvaluatedKey ? { LastEvaluatedKey: fromAttributes(answer.LastEvaluatedKey) } : {}),
      };
    },
    async update(input) {
      const answer = await call('UpdateItem', { ...withValues(input), Key: toAttributes(input.Key) });
      return answer.Attributes ? { Attributes: fromAttributes(answer.Attributes) } : {};
    },
    async transactWrite(input) {
      await call('TransactWriteItems', { TransactItems: input.TransactItems.map(transactItem), ClientRequestToken: randomUUID() });
    },
  };
}
