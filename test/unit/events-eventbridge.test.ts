import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../functions/events/eventbridge-bus.js';
import { type BusEntry, PublishFailed, publishStreamRecords } from '../../functions/events/publisher.js';

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const entry = (eventId: string): BusEntry => ({
  Source: 'vexilla',
  DetailType: 'feature-state.changed',
  Detail: JSON.stringify({ version: 1, eventId }),
  EventBusName: 'vexilla-events',
  Time: new Date('2026-01-02T03:04:05.678Z'),
});

describe('EventBridgeBus', () => {
  it('sends the entries as one PutEvents call, exactly', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }));

    const result = await bus.put([entry('e1'), entry('e2')]);

    expect(result).toEqual({ failed: 0 });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Entries: [
        { Source: 'vexilla', DetailType: 'feature-state.changed', Detail: '{"version":1,"eventId":"e1"}', EventBusName: 'vexilla-events', Time: new Date('2026-01-02T03:04:05.678Z') },
        { Source: 'vexilla', DetailType: 'feature-state.changed', Detail: '{"version":1,"eventId":"e2"}', EventBusName: 'vexilla-events', Time: new Date('2026-01-02T03:04:05.678Z') },
      ],
    });
  });

  it('reports a partial failure, and the publisher throws so the stream batch is retried', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }));

    expect(await bus.put([entry('e1'), entry('e2')])).toEqual({ failed: 1 });

    const record = {
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          pk: { S: 'AUDIT#org-1' }, sk: { S: '2026-01-02T03:04:05.678Z#e1' }, type: { S: 'event' }, id: { S: 'e1' },
          detailType: { S: 'feature-state.changed' }, action: { S: 'updated' }, orgId: { S: 'org-1' }, projectId: { S: 'p' }, envId: { S: 'e' },
          subject: { M: { kind: { S: 'feature-state' }, featureName: { S: 'checkout' } } },
          actor: { M: { tokenId: { S: 't' }, name: { S: 'ana' } } }, before: { NULL: true }, after: { M: { enabled: { BOOL: true } } },
          version: { N: '1' }, at: { S: '2026-01-02T03:04:05.678Z' },
        },
      },
    };
    await expect(publishStreamRecords([record], { bus, busName: 'vexilla-events' })).rejects.toBeInstanceOf(PublishFailed);
  });

  it('makes no call for nothing and refuses more than 10 entries', async () => {
    const bus = new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' }));
    expect(await bus.put([])).toEqual({ failed: 0 });
    await expect(bus.put(Array.from({ length: 11 }, (_, i) => entry(`e${i}`)))).rejects.toThrow(/at most 10/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe('stream-publisher Lambda', () => {
  const auditInsert = (id: string, at: string) => ({
    eventID: `stream-${id}`,
    eventName: 'INSERT' as const,
    dynamodb: {
      SequenceNumber: id,
      NewImage: {
        pk: { S: 'AUDIT#org-1' }, sk: { S: `${at}#${id}` }, type: { S: 'event' }, id: { S: id },
        detailType: { S: 'feature-state.changed' }, action: { S: 'updated' }, orgId: { S: 'org-1' }, projectId: { S: 'prj-1' }, envId: { S: 'env-1' },
        subject: { M: { kind: { S: 'feature-state' }, featureName: { S: 'checkout' } } },
        actor: { M: { tokenId: { S: 'tok-1' }, name: { S: 'ana' } } }, before: { NULL: true }, after: { M: { enabled: { BOOL: true } } },
        version: { N: '2' }, at: { S: at },
      },
    },
  });

  it('puts the batch\'s change events on the bus named by EVENT_BUS_NAME, exactly, and skips other records', async () => {
    // Prepare
    process.env.EVENT_BUS_NAME = 'vexilla-events';
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
    const { handler } = await import('../../functions/events/stream-publisher.js');
    const featureStateWrite = { eventID: 'stream-x', eventName: 'MODIFY' as const, dynamodb: { NewImage: { pk: { S: 'ENV#env-1' }, sk: { S: 'FS#f' } } } };

    // Act
    const result = await handler({ Records: [auditInsert('e1', '2026-01-02T03:04:05.678Z'), featureStateWrite] } as never);

    // Assess
    expect(result).toEqual({ published: 1 });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Entries: [
        {
          Source: 'vexilla',
          DetailType: 'feature-state.changed',
          EventBusName: 'vexilla-events',
          Time: new Date('2026-01-02T03:04:05.678Z'),
          Detail: JSON.stringify({
            version: 1,
            eventId: 'e1',
            organisationId: 'org-1',
            projectId: 'prj-1',
            environmentId: 'env-1',
            actor: { tokenId: 'tok-1', name: 'ana' },
            action: 'updated',
            subject: { kind: 'feature-state', featureName: 'checkout' },
            before: null,
            after: { enabled: true },
            entityVersion: 2,
            at: '2026-01-02T03:04:05.678Z',
          }),
        },
      ],
    });
  });

  it('fails the invocation when EventBridge rejects an entry, so Lambda retries the batch', async () => {
    process.env.EVENT_BUS_NAME = 'vexilla-events';
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    const { handler } = await import('../../functions/events/stream-publisher.js');

    await expect(handler({ Records: [auditInsert('e2', '2026-01-02T03:04:06.000Z')] } as never)).rejects.toBeInstanceOf(PublishFailed);
  });
});
