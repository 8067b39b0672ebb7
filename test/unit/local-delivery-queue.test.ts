import { describe, expect, it } from 'vitest';
import type { DeliveryRef } from '../../functions/domain/webhook-deliveries.js';
import { createLocalDeliveryQueue } from '../../functions/local/local-delivery-queue.js';

const ref = (deliveryId: string): DeliveryRef => ({ webhookId: 'whk_1', deliveryId });

describe('local delivery queue', () => {
  it('runs each message on its own: one that never finishes does not hold back the others', async () => {
    const queue = createLocalDeliveryQueue();
    const done: string[] = [];
    let release: () => void = () => undefined;
    queue.process(async ({ deliveryId }) => {
      if (deliveryId === 'slow') await new Promise<void>((resolve) => (release = resolve));
      done.push(deliveryId);
    });

    await queue.enqueue(ref('slow'), 0);
    await queue.enqueue(ref('a'), 0);
    await queue.enqueue(ref('b'), 0.001);
    const idle = queue.idle();
    while (done.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    expect([...done].sort()).toEqual(['a', 'b']);
    release();
    await idle;

    expect(done.at(-1)).toBe('slow');
  });

  it('receives a message again when its handler throws, up to maxReceives, then reports it', async () => {
    const failed: string[] = [];
    const queue = createLocalDeliveryQueue({ retryDelayMs: 1, maxReceives: 3, onError: ({ deliveryId }) => failed.push(deliveryId) });
    const receives: Record<string, number> = {};
    queue.process(async ({ deliveryId }) => {
      receives[deliveryId] = (receives[deliveryId] ?? 0) + 1;
      if (deliveryId === 'broken' || receives[deliveryId] === 1) throw new Error('unexpected');
    });

    await queue.enqueue(ref('broken'), 0);
    await queue.enqueue(ref('flaky'), 0);
    await queue.idle();

    expect(receives).toEqual({ broken: 3, flaky: 2 });
    expect(failed).toEqual(['broken']);
  });

  it('drops waiting messages on stop', async () => {
    const queue = createLocalDeliveryQueue();
    const done: string[] = [];
    queue.process(async ({ deliveryId }) => {
      done.push(deliveryId);
    });

    await queue.enqueue(ref('later'), 60);
    queue.stop();
    await queue.enqueue(ref('after-stop'), 0);
    await queue.idle();

    expect(done).toEqual([]);
  });
});
