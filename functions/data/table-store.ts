/**
 * The Store port on one DynamoDB table: GetItem / BatchGetItem / Query / UpdateItem /
 * TransactWriteItems only, through a `DocumentTable` (the AWS SDK's document client, or the
 * sdk-api's lean client).
 */
import type { ChangeEvent, Entity } from '../domain/entities.js';
import { imageDigest } from '../domain/image-digest.js';
import { DYNAMODB, formatBytes, STORABLE_NUMBER_MESSAGE } from '../domain/limits.js';
import {
  type Collection,
  type CollectionItems,
  CommitConflict,
  type EntitiesOf,
  type EntityOf,
  type EntityRef,
  type EvaluationCount,
  InvalidCursor,
  type Page,
  type PageRequest,
  type Store,
  StoreLimitExceeded,
  type Write,
} from '../domain/ports.js';
import { fullJitterDelay, sleep as defaultSleep } from '../shared/backoff.js';
import { cancellationReasonsOf, type DocumentTable, type Item, type QueryInput, type TransactWriteItem } from './document-table.js';
import { decodeValue, encodeValue, measureItem } from './item-codec.js';
import { type CollectionQuery, type ItemKeys, itemKeysOf, keyOf, queryOf } from './keys.js';
import { table } from './table.js';
import type { Cursor } from './cursor-schema.js';

/** The condition of a write that expects a stored version. */
const versionIs = (expected: number) => ({
  ConditionExpression: '#version = :expected',
  ExpressionAttributeNames: { '#version': 'version' },
  ExpressionAttributeValues: { ':expected': expected },
});
/** BatchGetItem's limit on keys per call. */
const BATCH_GET_KEYS = 100;
/**
 * How often keys DynamoDB leaves unprocessed (throttling, or its 16 MB answer limit) are asked
 * for again, with exponential backoff and full jitter as AWS advises for BatchGetItem.
 */
const BATCH_GET_ATTEMPTS = 8;
/** How often a commit that lost a race only on document size bounds is sent (see `commit`). */
const BOUND_RACE_ATTEMPTS = 8;
/** Attributes the store adds to items (keys, expiry, search text), never part of an entity. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', table.timeToLiveAttribute, 'searchText'] as const;

/** Lower-cased text a listing's `search` matches (tenants: key and name), so search ignores case. */
const searchTextOf = (entity: Entity): Item => (entity.type === 'tenant' ? { searchText: `${entity.key}\n${entity.name}`.toLowerCase() } : {});

/** An item as read, back to the entity it stores (keys dropped, user map keys unescaped). */
export function toEntity<T>(item: Item): T {
  const entity = decodeValue(item) as Item;
  for (const attribute of KEY_ATTRIBUTES) delete entity[attribute];
  return entity as T;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const KEY_LIMITS: Record<keyof ItemKeys, number> = {
  pk: DYNAMODB.partitionKeyBytes,
  sk: DYNAMODB.sortKeyBytes,
  gsi1pk: DYNAMODB.partitionKeyBytes,
  gsi1sk: DYNAMODB.sortKeyBytes,
};
/** Whether DynamoDB takes these key values (non-empty, within its byte limits). */
const keysFit = (keys: Partial<ItemKeys>) =>
  Object.entries(keys).every(([name, value]) => value === undefined || (value.length > 0 && bytes(value) <= KEY_LIMITS[name as keyof ItemKeys]));

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/**
 * A cursor carries the listing it belongs to, the shard and the sort position; the partition
 * always comes from the request. Decoding validates it against the listing's own key space
 * (its collection, shard count, sort-key prefix or range, key sizes), so a forged or foreign
 * cursor is a 400 before it reaches DynamoDB, and the most it can do is move within the
 * caller's own listing. Its schema loads with the first cursor a caller sends back (./cursor-schema.ts).
 */
async function decodeCursor(text: string, collection: Collection, query: CollectionQuery): Promise<Cursor> {
  const refuse = () => new InvalidCursor('The cursor is not one this listing issued.');
  const { cursorSchema } = await import('./cursor-schema.js');
  let cursor: Cursor;
  try {
    cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw refuse();
  }
  if (cursor.of !== collection.of || cursor.shard >= query.partitions.length || !keysFit(cursor.key)) throw refuse();
  const names = Object.keys(cursor.key).sort().join(',');
  if (names === '') return cursor;
  if (query.index) {
    // An index position names the item: the index sort key and the table's whole key.
    if (names !== 'gsi1sk,pk,sk') throw refuse();
    return cursor;
  }
  const sk = cursor.key.sk;
  if (names !== 'sk' || sk === undefined) throw refuse();
  if (query.skPrefix !== undefined && !sk.startsWith(query.skPrefix)) throw refuse();
  if (query.skBetween && (sk < query.skBetween[0] || sk > query.skBetween[1])) throw refuse();
  return cursor;
}

/** Filters the audit and tenant listings apply after the key condition. */
function auditFilter(collection: Collection): Pick<QueryInput, 'FilterExpression' | 'ExpressionAttributeValues' | 'ExpressionAttributeNames'> {
  if (collection.of === 'tenants' && collection.search) {
    return { FilterExpression: 'contains(searchText, :search)', ExpressionAttributeValues: { ':search': collection.search.toLowerCase() } };
  }
  if (collection.of === 'segments' && collection.tenantKey !== undefined) {
    return { FilterExpression: 'tenantKey = :tenantKey', ExpressionAttributeValues: { ':tenantKey': collection.tenantKey } };
  }
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

export class TableStore implements Store {
  constructor(
    private readonly client: DocumentTable,
    private readonly tableName: string,
    /** How the store waits before asking DynamoDB again: unprocessed batch keys, a lost size-bound race (tests record it). */
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  async get<R extends EntityRef>(ref: R): Promise<EntityOf<R> | undefined> {
    const { pk, sk } = keyOf(ref);
    // No item can have a key DynamoDB refuses: it is not there.
    if (!keysFit({ pk, sk })) return undefined;
    const result = await this.client.get({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true });
    return result.Item ? toEntity<EntityOf<R>>(result.Item) : undefined;
  }

  /** BatchGetItem, 100 keys a call, asking again (with backoff) for keys DynamoDB leaves unprocessed. */
  async getMany<const R extends readonly EntityRef[]>(refs: R): Promise<EntitiesOf<R>> {
    const keys = refs.map((ref) => keyOf(ref));
    const id = ({ pk, sk }: { pk: unknown; sk: unknown }) => `${String(pk)}\u0000${String(sk)}`;
    // DynamoDB refuses a batch naming one key twice; keys it would refuse name nothing (as in `get`).
    const wanted = [...new Map(keys.filter(keysFit).map((key) => [id(key), { pk: key.pk, sk: key.sk }])).values()];
    const found = new Map<string, Item>();
    for (let start = 0; start < wanted.length; start += BATCH_GET_KEYS) {
      let pending: Item[] = wanted.slice(start, start + BATCH_GET_KEYS);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_GET_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} key(s) of a BatchGetItem unprocessed ${BATCH_GET_ATTEMPTS} times.`);
        if (attempt > 1) await this.sleep(fullJitterDelay(attempt - 1, 100, 5000));
        const answer = await this.client.batchGet({ TableName: this.tableName, Keys: pending, ConsistentRead: true });
        for (const item of answer.Items) found.set(id(item as { pk: unknown; sk: unknown }), item);
        pending = answer.UnprocessedKeys;
      }
    }
    return keys.map((key) => {
      const item = found.get(id(key));
      return item ? toEntity(item) : undefined;
    }) as EntitiesOf<R>;
  }

  async list<C extends Collection>(collection: C, page: PageRequest): Promise<Page<CollectionItems[C['of']]>> {
    const query = queryOf(collection);
    const filter = auditFilter(collection);
    let cursor: Cursor | undefined = page.cursor ? await decodeCursor(page.cursor, collection, query) : { of: collection.of, shard: 0, key: {} };
    const items: CollectionItems[C['of']][] = [];
    let pageBytes = 0;
    const full = () => items.length >= page.limit || (page.maxBytes !== undefined && pageBytes >= page.maxBytes);
    // Filtered listings may need several reads to fill a page; a bound keeps latency in check.
    for (let reads = 0; cursor && !full() && reads < 10; reads++) {
      const partition = query.partitions[cursor.shard] as string;
      // No item can have a partition key DynamoDB refuses: the listing is empty.
      if (!keysFit({ pk: partition })) {
        cursor = undefined;
        break;
      }
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
      const result = await this.client.query({
        TableName: this.tableName,
        ...(query.index ? { IndexName: query.index } : { ConsistentRead: true }),
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(filter.FilterExpression ? { FilterExpression: filter.FilterExpression } : {}),
        ScanIndexForward: !query.newestFirst,
        Limit: page.limit - items.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      const positionOf = (keys: Item): Cursor => {
        const key: Cursor['key'] = {};
        // The position DynamoDB takes back: the table's sort key, or on an index the table's key and the index sort key.
        for (const name of query.index ? (['pk', 'sk', 'gsi1sk'] as const) : (['sk'] as const)) if (typeof keys[name] === 'string') key[name] = keys[name];
        return { of: collection.of, shard: (cursor as Cursor).shard, key };
      };
      const read = result.Items ?? [];
      let cut: Item | undefined;
      for (const [i, item] of read.entries()) {
        items.push(toEntity(item));
        if (page.maxBytes !== undefined) pageBytes += measureItem(item).bytes;
        // A page with a byte budget ends after the item that reaches it; the next starts after that item.
        if (full() && i < read.length - 1) {
          cut = item;
          break;
        }
      }
      const last = cut ?? result.LastEvaluatedKey;
      if (last) {
        cursor = positionOf(last);
      } else {
        cursor = cursor.shard + 1 < query.partitions.length ? { of: collection.of, shard: cursor.shard + 1, key: {} } : undefined;
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
    const result = await this.client.update({
      TableName: this.tableName,
      Key: { pk: `COUNTER#${counter}`, sk: '#COUNTER' },
      UpdateExpression: 'ADD #next :count',
      ExpressionAttributeNames: { '#next': 'next' },
      ExpressionAttributeValues: { ':count': count },
      ReturnValues: 'UPDATED_NEW',
    });
    return Number(result.Attributes?.next) - count + 1;
  }

  async addEvaluations(envId: string, day: string, counts: Record<string, number>): Promise<void> {
    // One item per feature and day: counters on separate items never contend with each other.
    await Promise.all(
      Object.entries(counts).map(([feature, count]) =>
        this.client.update({
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
    );
  }

  async getEvaluations(envId: string, day: string): Promise<Record<string, number>> {
    // Feature names are user data: fromEntries defines own properties (a `__proto__` name too).
    return Object.fromEntries((await this.getEvaluationDays(envId, day, day)).map(({ feature, count }) => [feature, count]));
  }

  async getEvaluationDays(envId: string, fromDay: string, toDay: string): Promise<EvaluationCount[]> {
    const counts: EvaluationCount[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.client.query({
        TableName: this.tableName,
        // Sort keys are `<day>#<feature>`: '$' sorts right after '#', so `<toDay>$` closes the last day.
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': `ANALYTICS#${envId}`, ':from': `${fromDay}#`, ':to': `${toDay}$` },
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of result.Items ?? []) counts.push({ day: String(item.day), feature: String(item.feature), count: Number(item.count) });
      start = result.LastEvaluatedKey;
    } while (start);
    return counts;
  }

  /**
   * Commits `writes` in one transaction. Additions to document size bounds that do not fit in it
   * (a project-level write in a project of many environments adds one per environment) are sent
   * after it, in transactions of their own: a bound must never be below its document, and an
   * addition made after the growth it counts can only leave it too high (document-budget.ts). The
   * ones that fit stay in the transaction, in place, so a conflict names the same writes.
   */
  async commit(writes: Write[]): Promise<void> {
    if (writes.length <= DYNAMODB.transactionItems) return this.commitTogether(writes);
    const { kept, later } = overflowingBoundAdditions(writes);
    await this.commitTogether(kept);
    for (let start = 0; start < later.length; start += DYNAMODB.transactionItems) {
      await this.commitTogether(later.slice(start, start + DYNAMODB.transactionItems));
    }
  }

  private async commitTogether(writes: Write[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length > DYNAMODB.transactionItems) throw new Error(`A commit holds at most ${DYNAMODB.transactionItems} writes, got ${writes.length}`);
    let transactionBytes = 0;
    const items: TransactWriteItem[] = writes.map((write) => {
      if (write.kind === 'put') {
        const item = storableItem(write.entity);
        transactionBytes += measureItem(item).bytes;
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
      if (write.kind === 'grow-document') {
        return {
          Update: {
            TableName: this.tableName,
            Key: { ...keyOf(write.ref) },
            UpdateExpression: 'ADD #bytes :bytes SET #type = :type, #envId = :envId',
            ExpressionAttributeNames: { '#bytes': 'bytes', '#type': 'type', '#envId': 'envId' },
            ExpressionAttributeValues: { ':bytes': write.bytes, ':type': 'document-size', ':envId': write.ref.envId },
          },
        };
      }
      const { pk, sk } = keyOf(write.ref);
      if (!keysFit({ pk, sk })) throw keyTooLarge(write.ref.type);
      if (write.kind === 'check') {
        return {
          ConditionCheck: {
            TableName: this.tableName,
            Key: { pk, sk },
            ...(write.expect === 'present' ? { ConditionExpression: 'attribute_exists(pk)' } : versionIs(write.expect)),
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
      const key = (item.Put?.Item ?? item.Delete?.Key ?? item.ConditionCheck?.Key ?? item.Update?.Key) as Item;
      return `${String(key.pk)}|${String(key.sk)}`;
    });
    const twice = keys.find((key, index) => keys.indexOf(key) !== index);
    if (twice) throw new Error(`A commit may write or check an item once, got ${twice} twice`);
    if (transactionBytes > DYNAMODB.transactionBytes) {
      throw new StoreLimitExceeded(
        'transaction-size',
        `The change is ${formatBytes(transactionBytes)} in all, more than the ${formatBytes(DYNAMODB.transactionBytes)} one commit can hold: make it smaller.`,
        { bytes: transactionBytes, limitBytes: DYNAMODB.transactionBytes },
      );
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.transactWrite({ TransactItems: items });
        return;
      } catch (error) {
        const reasons = cancellationReasonsOf(error);
        if (reasons) {
          const failed = reasons
            // A concurrent transaction on the same item is a lost race too: the caller re-reads.
            .map((reason, index) => (reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict' ? index : -1))
            .filter((index) => index >= 0);
          // Additions to a document's size bound hold no condition: a commit that lost a race only
          // on those (concurrent writers to one environment) is sent again, never refused.
          const boundRaceOnly = failed.length > 0 && failed.every((index) => reasons[index]?.Code === 'TransactionConflict' && writes[index]?.kind === 'grow-document');
          if (boundRaceOnly && attempt < BOUND_RACE_ATTEMPTS) {
            await this.sleep(Math.random() * 20 * attempt);
            continue;
          }
          if (failed.length > 0) throw new CommitConflict(failed);
        }
        throw error;
      }
    }
  }
}

/**
 * Splits a commit too large for one transaction: the last size-bound additions go `later`, as many
 * as it takes to fit the rest (which keeps every other write's position). Anything else too large
 * stays, for commitTogether to refuse.
 */
function overflowingBoundAdditions(writes: Write[]): { kept: Write[]; later: Write[] } {
  const kept = [...writes];
  const later: Write[] = [];
  for (let index = kept.length - 1; index >= 0 && kept.length > DYNAMODB.transactionItems; index--) {
    if (kept[index]?.kind === 'grow-document') later.unshift(...kept.splice(index, 1));
  }
  return { kept, later };
}

/** Entities are stored with their keys and user map keys escaped (item-codec.ts); exported for tests that look at raw items. */
export const itemOf = (entity: Entity): Item => encodeValue({ ...entity, ...searchTextOf(entity), ...itemKeysOf(entity) }) as Item;

const keyTooLarge = (type: string) =>
  new StoreLimitExceeded('key-size', `A key of this ${type} would be longer than DynamoDB allows.`, {
    partitionKeyBytes: DYNAMODB.partitionKeyBytes,
    sortKeyBytes: DYNAMODB.sortKeyBytes,
  });

/** The images of an event that does not fit an item, left out in turn (before first), each replaced by its digest. */
function fitEvent(event: ChangeEvent): ChangeEvent {
  let fitted = event;
  for (const side of ['before', 'after'] as const) {
    if (measureItem(itemOf(fitted)).bytes <= DYNAMODB.itemBytes) break;
    if (fitted[side] === null || fitted[side] === undefined) continue;
    fitted = { ...fitted, [side]: null, omittedImages: { ...fitted.omittedImages, [side]: imageDigest(fitted[side]) } };
  }
  return fitted;
}

/**
 * The item for an entity, checked against what DynamoDB accepts: nesting (checked before the
 * recursive encoding walks it), key sizes and item size. An event too large keeps digests of
 * its images instead; any other entity too large is refused, with nothing written.
 */
function storableItem(entity: Entity): Item {
  const { depth, storableNumbers } = measureItem(entity as unknown as Item);
  if (!storableNumbers) throw new StoreLimitExceeded('number', `This ${entity.type} holds a number DynamoDB cannot store: ${STORABLE_NUMBER_MESSAGE}.`, {});
  if (depth > DYNAMODB.attributeNestingLevels) {
    throw new StoreLimitExceeded('nesting', `This ${entity.type} would nest ${depth} levels deep, more than the ${DYNAMODB.attributeNestingLevels} DynamoDB stores.`, {
      depth,
      limit: DYNAMODB.attributeNestingLevels,
    });
  }
  if (!keysFit(itemKeysOf(entity))) throw keyTooLarge(entity.type);
  const stored = entity.type === 'event' ? fitEvent(entity) : entity;
  const item = itemOf(stored);
  const size = measureItem(item).bytes;
  if (size > DYNAMODB.itemBytes) {
    throw new StoreLimitExceeded('item-size', `This ${entity.type} would take ${formatBytes(size)}, more than the ${formatBytes(DYNAMODB.itemBytes)} one item holds.`, {
      bytes: size,
      limitBytes: DYNAMODB.itemBytes,
    });
  }
  return item;
}
