/**
 * The webhook-dispatcher Lambda entry as AWS invokes it: an EventBridge event fans out into SQS
 * messages, an SQS batch makes one attempt per record (and, as in production, refuses a target on
 * 127.0.0.1 without a request), and a `{"sweep": true}` event queues stuck deliveries again.
 * DynamoDB is DynamoDB Local (through the SDK's AWS_ENDPOINT_URL_DYNAMODB); SQS, which has no
 * local twin here, is mocked and its calls asserted exactly.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deliveryIdOf, deliveryWrite } from '../../functions/domain/webhook-deliveries.js';
import { handler } from '../../functions/events/consumers/webhook-dispatcher.js';
import { stubLambdaEnv } from '../support/lambda-env.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/vexilla-webhooks';
const context = { functionName: 'webhook-dispatcher', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const sqs = mockClient(SQSClient);

let api: TestApi;
let received = 0;
const server = createServer((_request, response) => {
  received++;
  response.writeHead(503).end();
});

beforeAll(async () => {
  api = await startTestApi();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The handler builds its clients on first use, from the environment, as in Lambda.
  stubLambdaEnv(api.tableName, { WEBHOOK_QUEUE_URL: QUEUE_URL });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  sqs.restore();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await api?.close();
});

describe('webhook-dispatcher Lambda', () => {
  it('turns an EventBridge event into one queued attempt per webhook, once, and makes attempts from SQS records', async () => {
    // Prepare
    const projectId: string = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'P' } })).body.id;
    const envId: string = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'E' } })).body.environment.id;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const webhook = (await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body: { url } })).body;
    const eventId = 'evt-lambda-1';
    const deliveryId = deliveryIdOf({ eventId, at: '2026-11-25T12:00:00.000Z' }, webhook.id);
    const message = JSON.stringify({ webhookId: webhook.id, deliveryId });
    const event = {
      version: '0',
      id: 'envelope-1',
      source: 'vexilla',
      'detail-type': 'feature-state.changed',
      account: '123456789012',
      time: '2026-11-25T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        version: 1,
        eventId,
        organisationId: api.organisationId,
        projectId,
        environmentId: envId,
        actor: { tokenId: 'tok_1', name: 'ci' },
        action: 'updated',
        subject: { kind: 'feature-state', featureName: 'checkout' },
        before: null,
        after: { enabled: true },
        at: '2026-11-25T12:00:00.000Z',
      },
    };

    // Act: the event arrives twice (EventBridge delivers at least once)
    await handler(event, context);
    await handler({ ...event, id: 'envelope-2' }, context);

    // Assess
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: message, DelaySeconds: 0 }]);
    const pending = await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries`);
    expect(pending.body.items).toMatchObject([{ id: deliveryId, status: 'pending', attempts: 0, eventId }]);

    // Act: an SQS batch with that message and one that cannot be read
    sqs.resetHistory();
    const batch = {
      Records: [
        { messageId: 'm-1', body: message, eventSource: 'aws:sqs' },
        { messageId: 'm-2', body: 'not json', eventSource: 'aws:sqs' },
      ],
    } as unknown as SQSEvent;
    const result = await handler(batch, context);

    // Assess: the Lambda refuses the private target at once (no request, no retry queued), which
    // is not a Lambda failure; the unreadable record is
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(received).toBe(0);
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
    const failed = await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries?status=failed`);
    expect(failed.body.items).toMatchObject([{ id: deliveryId, attempts: 1, lastError: 'target resolves to a private address (127.0.0.1): refused' }]);
  });

  it('queues a delivery stuck pending again on a {"sweep": true} event', async () => {
    // Prepare: a delivery committed 20 minutes ago whose first attempt was never queued
    const projectId: string = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'S' } })).body.id;
    const envId: string = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'E' } })).body.environment.id;
    const webhook = (await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body: { url: 'https://hooks.example.com/x' } })).body;
    const at = new Date(Date.now() - 20 * 60_000).toISOString();
    const deliveryId = deliveryIdOf({ eventId: 'evt-stuck', at }, webhook.id);
    const payload = JSON.stringify({ id: 'evt-stuck', type: 'feature-state.changed', data: {} });
    await api.deps.store.commit([
      deliveryWrite(
        { type: 'webhook-delivery', id: deliveryId, orgId: api.organisationId, envId, webhookId: webhook.id, eventId: 'evt-stuck', detailType: 'feature-state.changed', status: 'pending', attempts: 0, payload, createdAt: at, updatedAt: at, version: 1 },
        'absent',
      ),
    ]);
    sqs.resetHistory();

    // Act
    await handler({ sweep: true }, context);

    // Assess
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: JSON.stringify({ webhookId: webhook.id, deliveryId }), DelaySeconds: 0 },
    ]);
  });
});
