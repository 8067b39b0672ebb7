/**
 * The DeliveryQueue port of the local stack: a timer per message. Every message runs on its own,
 * so one slow or dead endpoint never delays another delivery. Like SQS, a handler that throws has
 * its message received again (after `retryDelayMs`), up to `maxReceives` times.
 */
import type { DeliveryQueue } from '../domain/ports.js';
import type { DeliveryRef } from '../domain/webhook-deliveries.js';
import { createTimerQueue } from './timer-queue.js';

export type DeliveryHandler = (delivery: DeliveryRef) => Promise<unknown>;

export interface LocalDeliveryQueueOptions {
  /** @default 1000 */
  retryDelayMs?: number;
  /** @default 3 */
  maxReceives?: number;
  /** Called when a message failed its last receive. @default ignore */
  onError?: (delivery: DeliveryRef, error: unknown) => void;
}

export interface LocalDeliveryQueue extends DeliveryQueue {
  /** Sets the consumer of the messages (the webhook dispatcher's attempt). */
  process(handler: DeliveryHandler): void;
  /** Resolves once no message is waiting or running (for tests and shutdown). */
  idle(): Promise<void>;
  /** Drops waiting messages; running ones finish. */
  stop(): void;
}

export function createLocalDeliveryQueue(options: LocalDeliveryQueueOptions = {}): LocalDeliveryQueue {
  let handler: DeliveryHandler | undefined;
  const queue = createTimerQueue<DeliveryRef>({
    handle: async (delivery) => {
      if (!handler) throw new Error('The local delivery queue has no handler');
      await handler(delivery);
    },
    retryDelayMs: options.retryDelayMs ?? 1000,
    maxReceives: options.maxReceives ?? 3,
    onError: options.onError,
  });
  return {
    async enqueue(delivery, delaySeconds) {
      queue.schedule({ webhookId: delivery.webhookId, deliveryId: delivery.deliveryId }, Math.max(0, delaySeconds * 1000));
    },
    process(next) {
      handler = next;
    },
    idle: () => queue.idle(),
    stop: () => queue.stop(),
  };
}
