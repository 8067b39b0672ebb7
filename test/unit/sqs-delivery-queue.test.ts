import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffSeconds } from '../../functions/domain/webhook-deliveries.js';
import { SqsDeliveryQueue } from '../../functions/events/sqs-delivery-queue.js';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/vexilla-webhooks';

describe('SqsDeliveryQueue', () => {
  it('sends one message naming the delivery, delayed by whole seconds', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const queue = new SqsDeliveryQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);

    await queue.enqueue({ webhookId: 'whk_1', deliveryId: 'dlv_1' }, 37.2);

    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ QueueUrl: QUEUE_URL, MessageBody: '{"webhookId":"whk_1","deliveryId":"dlv_1"}', DelaySeconds: 38 });
  });

  it('caps the delay at SQS’s 15 minutes and never sends a negative one', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const queue = new SqsDeliveryQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);

    await queue.enqueue({ webhookId: 'whk_1', deliveryId: 'dlv_1' }, 3600);
    await queue.enqueue({ webhookId: 'whk_1', deliveryId: 'dlv_2' }, -1);

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.DelaySeconds)).toEqual([900, 0]);
  });

  it('surfaces a send failure, so the attempt is not silently lost', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    const queue = new SqsDeliveryQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);

    await expect(queue.enqueue({ webhookId: 'whk_1', deliveryId: 'dlv_1' }, 0)).rejects.toThrow('throttled');
  });
});

describe('backoff', () => {
  it('doubles from the base, with jitter in the upper half, capped at 15 minutes', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, 60, () => 0))).toEqual([30, 60, 120, 240]);
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, 60, () => 1))).toEqual([60, 120, 240, 480]);
    expect(backoffSeconds(10, 60, () => 1)).toBe(900);
  });
});
