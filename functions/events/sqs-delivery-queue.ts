/**
 * The DeliveryQueue port on Amazon SQS (production): one message per attempt, delayed with
 * DelaySeconds, so a retry waits in the queue rather than in a running Lambda.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryQueue } from '../domain/ports.js';
import { MAX_DELAY_SECONDS } from '../domain/webhook-deliveries.js';

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** SQS takes whole seconds up to 15 minutes: the delay is rounded up and capped there. */
  async enqueue(delivery: { webhookId: string; deliveryId: string }, delaySeconds: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ webhookId: delivery.webhookId, deliveryId: delivery.deliveryId }),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  }
}
