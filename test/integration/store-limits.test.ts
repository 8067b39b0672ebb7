/**
 * The store refuses, before sending, every write DynamoDB would refuse (StoreLimitExceeded, a
 * 4xx), and lets through only what DynamoDB Local then accepts: its measure of items never
 * undercounts. Events too large for an item are stored with digests instead of images.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { fc, test as property } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import type { Feature } from '../../functions/domain/entities.js';
import { imageDigest } from '../../functions/domain/image-digest.js';
import { DYNAMODB } from '../../functions/domain/limits.js';
import { StoreLimitExceeded } from '../../functions/domain/ports.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { featureStateEvent } from '../support/change-events.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

const tableName = `vexilla-limits-${randomUUID().slice(0, 8)}`;
let raw: DynamoDBClient;
let store: DynamoStore;

beforeAll(async () => {
  const config = localDynamoClientConfig(testDynamoEndpoint());
  raw = new DynamoDBClient(config);
  await ensureTable(raw, tableName);
  store = new DynamoStore(documentClient(config), tableName);
});
afterAll(() => raw?.destroy());

const at = '2026-01-01T00:00:00.000Z';
const feature = (name: string, initialValue: unknown): Feature => ({
  type: 'feature',
  id: `ftr_${randomUUID().slice(0, 16)}`,
  numericId: 1,
  orgId: 'org_x',
  projectId: 'prj_limits',
  name,
  kind: 'STANDARD',
  valueType: 'json',
  defaultEnabled: false,
  initialValue: initialValue as Feature['initialValue'],
  options: [],
  tags: [],
  description: '',
  owner: null,
  createdAt: at,
  updatedAt: at,
  version: 1,
});

/** Values around 400 KB: a big string plus structure, numbers and multi-byte text of random shape. */
const nearTheLimit = fc
  .tuple(
    fc.integer({ min: 380_000, max: 412_000 }),
    fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e100, max: 1e100 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constant([]), fc.constant({})), { maxLength: 300 }),
    fc.constantFrom('x', 'é', '€', '🚩'),
  )
  .map(([bytes, filler, char]) => ({ text: char.repeat(Math.floor(bytes / Buffer.byteLength(char))), filler }));

describe('the store against DynamoDB Local', () => {
  property.prop([nearTheLimit], { numRuns: 12 })('lets through only items DynamoDB accepts, and refuses the rest as StoreLimitExceeded', async (value) => {
    try {
      await store.commit([{ kind: 'put', entity: feature(`near-${randomUUID()}`, value) }]);
    } catch (error) {
      // Refused before sending (our measure), never by DynamoDB (a ValidationException).
      expect(error).toBeInstanceOf(StoreLimitExceeded);
      expect(['item-size', 'number']).toContain((error as StoreLimitExceeded).limit);
    }
  });

  it('refuses nesting beyond 31 levels and numbers out of range before DynamoDB does', async () => {
    // DynamoDB Local takes 31 nested lists in an attribute and refuses 32.
    let deep: unknown = 1;
    for (let i = 0; i < 32; i++) deep = [deep];
    await store.commit([{ kind: 'put', entity: feature('deep-ok', (deep as unknown[])[0]) }]);
    await expect(store.commit([{ kind: 'put', entity: feature('too-deep', deep) }])).rejects.toMatchObject({ limit: 'nesting' });
    await expect(store.commit([{ kind: 'put', entity: feature('tiny', 1e-200) }])).rejects.toMatchObject({ limit: 'number' });
    // 1e126 is what JavaScript makes of DynamoDB's largest number (9.99…e125 with 38 digits): DynamoDB refuses it.
    await expect(raw.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'n' }, sk: { S: 'n' }, n: { N: '1e126' } } }))).rejects.toThrow(/Number overflow/i);
    await expect(store.commit([{ kind: 'put', entity: feature('huge', -1e126) }])).rejects.toMatchObject({ limit: 'number' });
    await store.commit([{ kind: 'put', entity: feature('largest-number', 9.999999999999998e125) }]);
    await store.commit([{ kind: 'put', entity: feature('large-number', 1.5e125) }]);
    expect((await store.get({ type: 'feature', projectId: 'prj_limits', name: 'large-number' }))?.initialValue).toBe(1.5e125);
  });

  it('refuses a transaction over 4 MB in all', async () => {
    const writes = Array.from({ length: 12 }, (_, i) => ({ kind: 'put' as const, entity: feature(`bulk-${i}`, 'x'.repeat(390_000)) }));
    await expect(store.commit(writes)).rejects.toMatchObject({ limit: 'transaction-size' });
    expect(await store.get({ type: 'feature', projectId: 'prj_limits', name: 'bulk-0' })).toBeUndefined();
  });

  it('reads nothing (rather than failing) for a key DynamoDB could never hold', async () => {
    expect(await store.get({ type: 'feature', projectId: 'prj_limits', name: 'n'.repeat(5000) })).toBeUndefined();
    expect((await store.list({ of: 'segments', projectId: 'p'.repeat(5000) }, { limit: 10 })).items).toEqual([]);
  });

  it('stores an event too large for one item with the digest of its before image', async () => {
    const before = feature('big', 'b'.repeat(250_000));
    const after = { ...before, initialValue: 'a'.repeat(250_000), version: 2 };
    const event = featureStateEvent({ id: randomUUID(), detailType: 'feature.changed', orgId: 'org_limits', projectId: 'prj_limits', subject: { kind: 'feature', featureName: 'big' }, before, after, at });
    await store.commit([{ kind: 'put', entity: event, expect: 'absent' }]);
    const [stored] = (await store.list({ of: 'audit', orgId: 'org_limits' }, { limit: 10 })).items;
    expect(stored).toMatchObject({ id: event.id, before: null, after: { initialValue: after.initialValue }, omittedImages: { before: imageDigest(before) } });
    expect(stored?.omittedImages?.after).toBeUndefined();
    expect(DYNAMODB.itemBytes).toBeLessThan(500_000);
  });
});
