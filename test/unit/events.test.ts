import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemOf } from '../../functions/data/dynamo-store.js';
import type { ChangeEvent } from '../../functions/domain/entities.js';
import { detailSchemas, detailTypes, eventSchemas, toEventDetail } from '../../functions/events/detail-types.js';
import { SCHEMA_DIR, schemaFiles } from '../../functions/events/write-schemas.js';
import { featureStateEvent } from '../support/change-events.js';
import { type BusEvent, createLocalBus } from '../../functions/events/local-bus.js';
import {
  type BusEntry,
  type EventBus,
  MAX_BYTES_PER_PUT,
  PublishFailed,
  publishStreamRecords,
  type StreamRecordLike,
  entrySize,
  toPutEventsEntries,
} from '../../functions/events/publisher.js';
import { eventPattern, eventRules, matchingConsumers } from '../../functions/events/rules.js';
import { documentClient } from '../../functions/shared/dynamodb.js';

/** A stream record as DynamoDB writes it for a stored item. */
const insertOf = (item: Record<string, unknown>): StreamRecordLike => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) },
});

describe('detail-types', () => {
  it('has a schema for every DetailType declared in entities.ts', () => {
    // Prepare: the union as written in the source, so a new member without a schema fails here
    const source = readFileSync(new URL('../../functions/domain/entities.ts', import.meta.url), 'utf8');
    const union = /export type DetailType =([^;]+);/.exec(source)?.[1] ?? '';
    const declared = [...union.matchAll(/'([^']+)'/g)].map((match) => match[1]);

    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect([...detailTypes].sort()).toEqual([...declared].sort());
    expect(Object.keys(detailSchemas).sort()).toEqual([...declared].sort());
  });

  it('maps a change event to the documented detail, which its schema accepts', () => {
    const detail = toEventDetail(featureStateEvent());

    expect(detail).toEqual({
      version: 1,
      eventId: 'evt-1',
      organisationId: 'org-1',
      projectId: 'prj-1',
      environmentId: 'env-1',
      actor: { tokenId: 'tok-1', name: 'ana' },
      action: 'updated',
      subject: { kind: 'feature-state', featureName: 'checkout' },
      before: { enabled: false, value: 'old', version: 1 },
      after: { enabled: true, value: 'new', version: 2 },
      entityVersion: 2,
      at: '2026-01-02T03:04:05.678Z',
    });
    expect(detailSchemas['feature-state.changed'].parse(detail)).toEqual(detail);
    const overrideDetail = toEventDetail(featureStateEvent({ subject: { kind: 'segment-override', featureName: 'checkout', segmentId: 's1' } }));
    expect(detailSchemas['feature-state.changed'].safeParse(overrideDetail).success).toBe(true);
  });

  it('rejects details that break a detail-type contract', () => {
    const detail = toEventDetail(featureStateEvent());
    const { environmentId: _dropped, ...withoutEnvironment } = detail;
    expect(detailSchemas['feature-state.changed'].safeParse(withoutEnvironment).success).toBe(false);
    expect(detailSchemas['segment.changed'].safeParse(detail).success).toBe(false); // wrong subject kind
    expect(detailSchemas['feature-state.changed'].safeParse({ ...detail, version: 2 }).success).toBe(false);

    const orgDetail = toEventDetail(
      featureStateEvent({ detailType: 'organisation.changed', projectId: undefined, envId: undefined, subject: { kind: 'organisation', id: 'org-1' }, version: undefined }),
    );
    expect(orgDetail).not.toHaveProperty('projectId');
    expect(orgDetail).not.toHaveProperty('entityVersion');
    expect(detailSchemas['organisation.changed'].safeParse(orgDetail).success).toBe(true);
  });

  it('publishes one JSON Schema per detail-type for customers', () => {
    const documents = eventSchemas();

    expect(documents.map((d) => d.detailType)).toEqual(detailTypes);
    const featureState = documents.find((d) => d.detailType === 'feature-state.changed')?.schema;
    expect(featureState).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'feature-state.changed v1',
      type: 'object',
      additionalProperties: false,
      properties: { version: { const: 1 }, subject: { properties: { kind: { enum: ['feature-state', 'segment-override', 'tenant-override', 'template-values'] } } } },
    });
    expect(featureState?.required).toEqual(expect.arrayContaining(['eventId', 'organisationId', 'projectId', 'environmentId', 'before', 'after', 'at']));
  });

  it('keeps the committed schema files in docs/events/ equal to the schemas (run `npm run events:schemas` after a change)', () => {
    const files = schemaFiles();

    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(files.map((file) => file.name).sort());
    for (const file of files) expect(readFileSync(join(SCHEMA_DIR, file.name), 'utf8'), file.name).toBe(file.content);
  });
});

describe('rule table', () => {
  it('routes detail-types to consumers, with the audit writer on every one', () => {
    expect(matchingConsumers('feature-state.changed')).toEqual(['audit-writer', 'webhook-dispatcher', 'document-publisher']);
    expect(matchingConsumers('token.changed')).toEqual(['audit-writer']);
    expect(matchingConsumers('no.such-type')).toEqual([]);
    for (const detailType of detailTypes) expect(matchingConsumers(detailType)).toContain('audit-writer');
  });

  it('gives CDK an EventBridge pattern per rule', () => {
    const webhook = eventRules.find((rule) => rule.consumer === 'webhook-dispatcher');
    expect(webhook && eventPattern(webhook)).toEqual({ source: ['vexilla'], 'detail-type': [...(webhook?.detailTypes ?? [])] });
  });
});

describe('publisher', () => {
  it('turns inserted audit items into PutEvents entries, skipping everything else', () => {
    const event = featureStateEvent();
    const records: StreamRecordLike[] = [
      insertOf(itemOf(event)),
      { eventName: 'MODIFY', dynamodb: { NewImage: marshall(itemOf(featureStateEvent({ id: 'evt-2' }))) } },
      { eventName: 'REMOVE', dynamodb: {} },
      insertOf({ pk: 'ENV#env-1', sk: 'FS#f1', type: 'feature-state' }),
    ];

    const calls = toPutEventsEntries(records, 'vexilla-bus');

    expect(calls).toEqual([
      [
        {
          Source: 'vexilla',
          DetailType: 'feature-state.changed',
          Detail: JSON.stringify(toEventDetail(event)),
          EventBusName: 'vexilla-bus',
          Time: new Date('2026-01-02T03:04:05.678Z'),
        },
      ],
    ]);
  });

  it('splits into calls of at most 10 entries and 256 KB, in stream order', () => {
    const small = Array.from({ length: 23 }, (_, i) => insertOf(itemOf(featureStateEvent({ id: `evt-${i}` }))));
    const smallCalls = toPutEventsEntries(small, 'bus');
    expect(smallCalls.map((call) => call.length)).toEqual([10, 10, 3]);
    expect(smallCalls.flat().map((entry) => JSON.parse(entry.Detail).eventId)).toEqual(small.map((_, i) => `evt-${i}`));

    const big = 'x'.repeat(100 * 1024);
    const large = Array.from({ length: 5 }, (_, i) => insertOf(itemOf(featureStateEvent({ id: `big-${i}`, after: { value: big } }))));
    const largeCalls = toPutEventsEntries(large, 'bus');
    expect(largeCalls.map((call) => call.length)).toEqual([2, 2, 1]);
    for (const call of largeCalls) expect(call.reduce((sum, entry) => sum + entrySize(entry), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_PUT);
  });

  it('publishes an event too big for the bus without its images, flagged as truncated', () => {
    const huge = insertOf(itemOf(featureStateEvent({ after: { value: 'x'.repeat(300 * 1024) } })));

    const [[entry] = []] = toPutEventsEntries([huge], 'bus');

    expect(entry && entrySize(entry)).toBeLessThanOrEqual(MAX_BYTES_PER_PUT);
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ eventId: 'evt-1', before: null, after: null, truncated: true });
  });

  it('still reads stream records after a document client has run a command (it must not share their unmarshall options)', async () => {
    const client = documentClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    // Answered before the network: what matters is that the command was built, with its marshalling.
    client.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), { step: 'build', name: 'noNetwork' });
    await client.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }));
    client.destroy();

    expect(toPutEventsEntries([insertOf(itemOf(featureStateEvent()))], 'bus').flat()).toHaveLength(1);
  });

  it('throws when the bus rejects an entry, so the stream batch is retried', async () => {
    const records = [insertOf(itemOf(featureStateEvent()))];
    const accepted: BusEntry[][] = [];
    const ok: EventBus = { put: async (entries) => (accepted.push(entries), { failed: 0 }) };
    const failing: EventBus = { put: async () => ({ failed: 1 }) };

    expect(await publishStreamRecords(records, { bus: ok, busName: 'bus' })).toEqual({ published: 1 });
    expect(accepted).toHaveLength(1);
    await expect(publishStreamRecords(records, { bus: failing, busName: 'bus' })).rejects.toBeInstanceOf(PublishFailed);
  });
});

describe('local bus', () => {
  const entry = (event: ChangeEvent): BusEntry => toPutEventsEntries([insertOf(itemOf(event))], 'local')[0]![0]!;

  it('delivers by the rule table, each consumer isolated from a failing or hanging one', async () => {
    // Prepare
    const bus = createLocalBus({ retryDelayMs: 1 });
    const webhooks: BusEvent[] = [];
    const audit: BusEvent[] = [];
    bus.subscribe('webhook-dispatcher', (event) => {
      webhooks.push(event);
    });
    bus.subscribe('audit-writer', (event) => {
      audit.push(event);
    });
    bus.subscribe('document-publisher', () => {
      throw new Error('down');
    });
    // A second audit handler that hangs forever must not hold up anyone.
    bus.subscribe('audit-writer', () => new Promise<void>(() => undefined));

    // Act
    const result = await bus.put([entry(featureStateEvent()), entry(featureStateEvent({ id: 'tok', detailType: 'token.changed', subject: { kind: 'token', id: 't' } }))]);

    // Assess: delivery is asynchronous; wait for each outcome, not for a duration.
    expect(result).toEqual({ failed: 0 });
    await expect.poll(() => webhooks.map((e) => e.detail.eventId)).toEqual(['evt-1']);
    await expect.poll(() => audit.map((e) => e.detail.eventId)).toEqual(['evt-1', 'tok']);
    expect(webhooks[0]).toMatchObject({ source: 'vexilla', 'detail-type': 'feature-state.changed', time: '2026-01-02T03:04:05.678Z' });
    await expect.poll(() => bus.failures()).toEqual({ 'document-publisher': 1 });
  });

  it('refuses a consumer no rule routes to', () => {
    expect(() => createLocalBus().subscribe('nobody', () => undefined)).toThrow(/No rule/);
  });
});
