/**
 * The DeliveryQueue port of the local stack: a timer per message. Every message runs on its own,
 * so one slow or dead endpoint never delays another delivery. Like SQS, a handler that throws has
 * its message received again (after `retryDelayMs`), up to `maxReceives` times.
 */
import type { DeliveryQueue } from '../domain/ports.js';
import type { DeliveryRef } from '../domain/webhook-deliveries.js';

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
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const maxReceives = options.maxReceives ?? 3;
  let handler: DeliveryHandler | undefined;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const waiters = new Set<() => void>();

  const settle = () => {
    if (timers.size > 0 || running.size > 0) return;
    for (const wake of waiters) wake();
    waiters.clear();
  };

  const schedule = (delivery: DeliveryRef, delayMs: number, receives: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = (async () => {
        try {
          if (!handler) throw new Error('The local delivery queue has no handler');
          await handler(delivery);
        } catch (error) {
          if (receives + 1 < maxReceives) schedule(delivery, retryDelayMs, receives + 1);
          else options.onError?.(delivery, error);
        }
      })();
      running.add(run);
      void run.finally(() => {
        running.delete(run);
        settle();
      });
    }, delayMs);
    timers.add(timer);
  };

  return {
    async enqueue(delivery, delaySeconds) {
      schedule({ webhookId: delivery.webhookId, deliveryId: delivery.deliveryId }, Math.max(0, delaySeconds * 1000), 0);
    },
    process(next) {
      handler = next;
    },
    async idle() {
      while (timers.size > 0 || running.size > 0) await new Promise<void>((resolve) => waiters.add(resolve));
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      settle();
    },
  };
}
