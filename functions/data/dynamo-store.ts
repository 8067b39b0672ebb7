/**
 * The Store port on DynamoDB: one table, GetItem / Query / TransactWriteItems only.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Entity } from '../domain/entities.js';
import {
  type Collection,
  type CollectionItems,
  CommitConflict,
  type EntityOf,
  type EntityRef,
  InvalidCursor,
  type Page,
  type PageRequest,
  type Store,
  type Write,
} from '../domain/ports.js';
import { itemKeysOf, keyOf, queryOf } from './keys.js';
import { table } from './table.js';

type Item = Record<string, unknown>;

/** The condition of a write that expects a stored version. */
const versionIs = (expected: number) => ({
  ConditionExpression: '#version = :expected',
  ExpressionAttributeNames: { '#version': 'version' },
  ExpressionAttributeValues: { ':expected': expected },
});
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', table.timeToLiveAttribute] as const;

function toEntity<T>(item: Item): T {
  const entity: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete entity[attribute];
  return entity as T;
}

// A cursor carries only sort positions and the shard; the partition always comes from the
// request, so a forged cursor can move within the caller's own listing and nowhere else.
const cursorSchema = z.object({
  shard: z.number().int().min(0),
  key: z.partialRecord(z.enum(['pk', 'sk', 'gsi1sk']), z.string().max(2048)),
});
type Cursor = z.infer<typeof cursorSchema>;

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
function decodeCursor(text: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursor('The cursor is not one this listing issued.');
  }
}

/** Filters the audit listing applies after the key condition. */
function auditFilter(collection: Collection): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeValues' | 'ExpressionAttributeNames'> {
  if (collection.of !== 'audit' || !collection.filter) return {};
  const { envId, featureName, tokenId } = collection.filter;
  const clauses: string[] = [];
  const values: Item = {};
  const names: Record<string, string> = {};
  if (envId) {
    clauses.push('envId = :envId');
    values[':envId'] = envId;
  }
  if (featureName) {
    clauses.push('#subject.featureName = :featureName');
    names['#subject'] = 'subject';
    values[':featureName'] = featureName;
  }
  if (tokenId) {
    // A token's or a person's id, or a person's email address.
    clauses.push('(actor.tokenId = :tokenId OR actor.email = :tokenId)');
    values[':tokenId'] = tokenId;
  }
  if (clauses.length === 0) return {};
  return {
    FilterExpression: clauses.join(' AND '),
    ExpressionAttributeValues: values,
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
  };
}

export class DynamoStore implements Store {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get<R extends EntityRef>(ref: R): Promise<EntityOf<R> | undefined> {
    const { pk, sk } = keyOf(ref);
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return result.Item ? toEntity<EntityOf<R>>(result.Item) : undefined;
  }

  async list<C extends Collection>(collection: C, page: PageRequest): Promise<Page<CollectionItems[C['of']]>> {
    const query = queryOf(collection);
    const filter = auditFilter(collection);
    let cursor: Cursor | undefined = page.cursor ? decodeCursor(page.cursor) : { shard: 0, key: {} };
    if (cursor.shard >= query.partitions.length) throw new InvalidCursor('The cursor is not one this listing issued.');
    const items: CollectionItems[C['of']][] = [];
    // Filtered listings may need several reads to fill a page; a bound keeps latency in check.
    for (let reads = 0; cursor && items.length < page.limit && reads < 10; reads++) {
      const partition = query.partitions[cursor.shard] as string;
      const pkName = query.index ? table.indexes[query.index].partitionKey : table.partitionKey;
      const skName = query.index ? table.indexes[query.index].sortKey : table.sortKey;
      const names: Record<string, string> = { '#pk': pkName, '#sk': skName, ...filter.ExpressionAttributeNames };
      const values: Item = { ':pk': partition, ...filter.ExpressionAttributeValues };
      let condition = '#pk = :pk';
      if (query.skPrefix) {
        condition += ' AND begins_with(#sk, :prefix)';
        values[':prefix'] = query.skPrefix;
      } else if (query.skBetween) {
        condition += ' AND #sk BETWEEN :from AND :to';
        values[':from'] = query.skBetween[0];
        values[':to'] = query.skBetween[1];
      } else {
        delete names['#sk'];
      }
      const startKey = Object.keys(cursor.key).length ? { ...cursor.key, [pkName]: partition } : undefined;
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(query.index ? { IndexName: query.index } : { ConsistentRead: true }),
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(filter.FilterExpression ? { FilterExpression: filter.FilterExpression } : {}),
          ScanIndexForward: !query.newestFirst,
          Limit: page.limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of result.Items ?? []) items.push(toEntity(item));
      const last = result.LastEvaluatedKey;
      if (last) {
        const key: Cursor['key'] = {};
        for (const name of ['pk', 'sk', 'gsi1sk'] as const) if (typeof last[name] === 'string' && name !== pkName) key[name] = last[name];
        cursor = { shard: cursor.shard, key };
      } else {
        cursor = cursor.shard + 1 < query.partitions.length ? { shard: cursor.shard + 1, key: {} } : undefined;
      }
    }
    return { items, ...(cursor ? { cursor: encodeCursor(cursor) } : {}) };
  }

  async listAll<C extends Collection>(collection: C): Promise<CollectionItems[C['of']][]> {
    const all: CollectionItems[C['of']][] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(collection, { limit: 1000, cursor });
      all.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return all;
  }

  async allocate(counter: string, count = 1): Promise<number> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `COUNTER#${counter}`, sk: '#COUNTER' },
        UpdateExpression: 'ADD #next :count',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':count': count },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.next) - count + 1;
  }

  async addEvaluations(envId: string, day: string, counts: Record<string, number>): Promise<void> {
    // One item per feature and day: counters on separate items never contend with each other.
    await Promise.all(
      Object.entries(counts).map(([feature, count]) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `ANALYTICS#${envId}`, sk: `${day}#${feature}` },
            UpdateExpression: 'ADD #count :count SET #feature = :feature, #day = :day, #expires = :expires',
            ExpressionAttributeNames: { '#count': 'count', '#feature': 'feature', '#day': 'day', '#expires': table.timeToLiveAttribute },
            ExpressionAttributeValues: {
              ':count': count,
              ':feature': feature,
              ':day': day,
              // Kept for 400 days, enough for a year of stale-flag reports.
              ':expires': Math.floor(Date.parse(day) / 1000) + 400 * 86_400,
            },
          }),
        ),
      ),
    );
  }

  async getEvaluations(envId: string, day: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
          ExpressionAttributeValues: { ':pk': `ANALYTICS#${envId}`, ':day': `${day}#` },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of result.Items ?? []) counts[String(item.feature)] = Number(item.count);
      start = result.LastEvaluatedKey;
    } while (start);
    return counts;
  }

  async commit(writes: Write[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length > 100) throw new Error(`A commit holds at most 100 writes, got ${writes.length}`);
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = writes.map((write) => {
      if (write.kind === 'put') {
        const item = itemOf(write.entity);
        if (write.expect === 'absent') {
          return { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
        }
        if (typeof write.expect === 'number') {
          return {
            Put: {
              TableName: this.tableName,
              Item: item,
              ...versionIs(write.expect),
            },
          };
        }
        return { Put: { TableName: this.tableName, Item: item } };
      }
      const { pk, sk } = keyOf(write.ref);
      if (write.kind === 'check') {
        return {
          ConditionCheck: {
            TableName: this.tableName,
            Key: { pk, sk },
            ...versionIs(write.expect),
          },
        };
      }
      if (typeof write.expect === 'number') {
        return {
          Delete: {
            TableName: this.tableName,
            Key: { pk, sk },
            ...versionIs(write.expect),
          },
        };
      }
      return { Delete: { TableName: this.tableName, Key: { pk, sk } } };
    });
    // DynamoDB refuses two operations on one item with an opaque ValidationException; name the item instead.
    const keys = items.map((item) => {
      const key = (item.Put?.Item ?? item.Delete?.Key ?? item.ConditionCheck?.Key) as Item;
      return `${String(key.pk)}|${String(key.sk)}`;
    });
    const twice = keys.find((key, index) => keys.indexOf(key) !== index);
    if (twice) throw new Error(`A commit may write or check an item once, got ${twice} twice`);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const failed = (error.CancellationReasons ?? [])
          // A concurrent transaction on the same item is a lost race too: the caller re-reads.
          .map((reason, index) => (reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict' ? index : -1))
          .filter((index) => index >= 0);
        if (failed.length > 0) throw new CommitConflict(failed);
      }
      throw error;
    }
  }
}

/** Entities are stored with their keys; exported for tests that look at raw items. */
export const itemOf = (entity: Entity): Item => ({ ...entity, ...itemKeysOf(entity) });
