/**
 * The webhook-dispatcher consumer. One Lambda, two event sources:
 * - EventBridge events (its rule): fan out to the matching webhooks, queueing one attempt each;
 *   a `webhook.changed` event about a delivery (a redelivery) queues that delivery again.
 * - SQS messages from the delivery queue: one attempt per message. A failed HTTP attempt is not a
 *   Lambda failure (it queued its retry); only unexpected errors are reported in
 *   `batchItemFailures`, so SQS receives just those messages again.
 * - `{"sweep": true}` (a scheduled rule): re-queues deliveries stuck pending or retrying.
 * The local stack wires the same functions to its bus and timer queue (`wireWebhookDispatcher`).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../../data/dynamo-store.js';
import type { DetailType } from '../../domain/entities.js';
import { CommitConflict, type DeliveryQueue } from '../../domain/ports.js';
import type { Deps } from '../../domain/use-cases/support.js';
import { type DeliveryRef, type DispatchDeps, type DispatchOptions, deliverOnce, fanOut, sweepStuckDeliveries } from '../../domain/webhook-deliveries.js';
import { documentClient } from '../../shared/dynamodb.js';
import { requiredEnv } from '../../shared/env.js';
import { logger } from '../../shared/logger.js';
import { detailSchemas, type EventDetail } from '../detail-types.js';
import type { BusEvent, LocalBus } from '../local-bus.js';
import { SqsDeliveryQueue } from '../sqs-delivery-queue.js';
import { consumedWrite } from './idempotency.js';

export const CONSUMER = 'webhook-dispatcher';

const busEventSchema = z.object({ 'detail-type': z.string().min(1), detail: z.record(z.string(), z.unknown()) });
const deliveryMessageSchema = z.object({ webhookId: z.string().min(1), deliveryId: z.string().min(1) }).strict();
const sweepEventSchema = z.object({ sweep: z.literal(true) });

/** A delivery untouched this long is stuck: far beyond an attempt's timeout and SQS's longest delay (15 min). */
export const STUCK_AFTER_MS = 15 * 60_000;

export interface WebhookDispatcher {
  /** Handles one bus event (EventBridge's or the local bus's). */
  onEvent(event: Pick<BusEvent, 'detail-type' | 'detail'>): Promise<void>;
  /** Makes one delivery attempt (a queue message). */
  onDelivery(delivery: DeliveryRef): Promise<void>;
  /** Re-queues stuck deliveries (see sweepStuckDeliveries); returns how many. */
  sweep(olderThanMs?: number): Promise<number>;
}

export function createWebhookDispatcher(deps: DispatchDeps, options: DispatchOptions = {}): WebhookDispatcher {
  /** Queues a redelivered delivery once per event: enqueue first, then mark, so a crash between them repeats rather than loses it. */
  const requeue = async (detail: EventDetail) => {
    const marker = consumedWrite(CONSUMER, detail.eventId, deps.clock());
    if (await deps.store.get({ type: 'consumed', consumer: CONSUMER, eventId: detail.eventId })) return;
    const { webhookId, deliveryId } = detail.subject;
    if (!webhookId || !deliveryId) return;
    await deps.queue.enqueue({ webhookId, deliveryId }, 0);
    try {
      await deps.store.commit([marker]);
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
    }
  };

  return {
    async onEvent(event) {
      const { 'detail-type': detailType, detail: raw } = busEventSchema.parse(event);
      const schema = detailSchemas[detailType as DetailType];
      if (!schema) return;
      const detail = schema.parse(raw);
      if (detailType === 'webhook.changed') {
        if (detail.subject.kind === 'webhook-delivery') await requeue(detail);
        return;
      }
      const created = await fanOut(deps, { detailType, detail });
      logger.debug('webhook fan-out', { eventId: detail.eventId, detailType, deliveries: created.length });
    },
    async onDelivery(delivery) {
      const result = await deliverOnce(deps, deliveryMessageSchema.parse(delivery), options);
      // Ids and the outcome only: URLs may carry tokens, bodies may carry anything.
      const log = result === 'failed' ? logger.warn : result === 'retrying' ? logger.info : logger.debug;
      log.call(logger, 'webhook attempt', { webhookId: delivery.webhookId, deliveryId: delivery.deliveryId, result });
    },
    async sweep(olderThanMs = STUCK_AFTER_MS) {
      const queued = await sweepStuckDeliveries(deps, { olderThanMs });
      if (queued.length > 0) logger.warn('stuck webhook deliveries queued again', { deliveries: queued });
      return queued.length;
    },
  };
}

export interface WireOptions {
  deps: Deps;
  bus: LocalBus;
  /** The local timer queue (functions/local/local-delivery-queue.ts) or any queue with a `process` hook. */
  queue: DeliveryQueue & { process(handler: (delivery: DeliveryRef) => Promise<unknown>): void };
  options?: DispatchOptions;
}

/** Plugs the dispatcher into the local stack: bus events fan out, queue messages attempt. Returns the dispatcher and the unsubscribe function. */
export function wireWebhookDispatcher({ deps, bus, queue, options }: WireOptions): WebhookDispatcher & { unsubscribe: () => void } {
  const dispatcher = createWebhookDispatcher({ ...deps, queue }, options);
  queue.process((delivery) => dispatcher.onDelivery(delivery));
  return { ...dispatcher, unsubscribe: bus.subscribe(CONSUMER, (event) => dispatcher.onEvent(event)) };
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  Array.isArray((event as SQSEvent | undefined)?.Records) && (event as SQSEvent).Records.every((record) => record.eventSource === 'aws:sqs');

let instance: WebhookDispatcher | undefined;

/** The Lambda entry (env TABLE_NAME, WEBHOOK_QUEUE_URL). */
export const handler = middy<unknown, SQSBatchResponse | void>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    instance ??= createWebhookDispatcher({
      store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')),
      clock: () => new Date(),
      queue: new SqsDeliveryQueue(new SQSClient({}), requiredEnv('WEBHOOK_QUEUE_URL')),
    });
    const dispatcher = instance;
    if (sweepEventSchema.safeParse(event).success) {
      await dispatcher.sweep();
      return;
    }
    if (!isSqsEvent(event)) return dispatcher.onEvent(event as BusEvent);
    // All records at once: a slow endpoint holds only its own attempt (bounded by the timeout).
    const failures = await Promise.all(
      event.Records.map(async (record) => {
        try {
          await dispatcher.onDelivery(JSON.parse(record.body) as DeliveryRef);
          return undefined;
        } catch (error) {
          logger.error('webhook attempt failed unexpectedly', { messageId: record.messageId, error: error as Error });
          return { itemIdentifier: record.messageId };
        }
      }),
    );
    return { batchItemFailures: failures.filter((failure) => failure !== undefined) };
  });
