/**
 * The document-publisher consumer. In production its rule targets an SQS queue with a batching
 * window, so a burst of changes arrives as one batch and each affected environment is rebuilt
 * once; locally a short debounce per environment plays the queue's part in front of the same
 * `publishDocuments`. Either way the edge (CloudFront, or the local edge cache) is invalidated
 * once per batch, for the cached answers of exactly the keys whose answers changed.
 */
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EdgeInvalidator } from '../../domain/ports.js';
import { type DocumentChange, type PublishBatchResult, publishDocuments } from '../../domain/use-cases/publish-documents.js';
import type { Deps } from '../../domain/use-cases/support.js';
import { DynamoStore } from '../../data/dynamo-store.js';
import { documentClient } from '../../shared/dynamodb.js';
import { requiredEnv } from '../../shared/env.js';
import { logger } from '../../shared/logger.js';
import { CloudFrontInvalidator } from '../cloudfront-invalidator.js';
import { type ConsumedDetail, parseBusEvent } from './bus-event.js';

export const documentChangeOf = ({ detailType, detail }: ConsumedDetail): DocumentChange => ({
  eventId: detail.eventId,
  detailType,
  projectId: detail.projectId,
  environmentId: detail.environmentId,
});

/**
 * One SQS batch whose bodies are EventBridge events. Messages that are not events on the
 * contract are logged and dropped (retrying cannot fix them); messages whose environment
 * failed to publish are reported back for redelivery.
 */
export async function publishSqsBatch(deps: Deps, edge: EdgeInvalidator, event: SQSEvent): Promise<SQSBatchResponse> {
  const messagesByEvent = new Map<string, string[]>();
  const changes: DocumentChange[] = [];
  for (const record of event.Records) {
    let change: DocumentChange;
    try {
      change = documentChangeOf(parseBusEvent(JSON.parse(record.body)));
    } catch (error) {
      logger.error('dropping a message that is not a Vexilla event', { messageId: record.messageId, error: error as Error });
      continue;
    }
    changes.push(change);
    messagesByEvent.set(change.eventId, [...(messagesByEvent.get(change.eventId) ?? []), record.messageId]);
  }
  // Throws if the invalidation fails: the batch is retried, finds its markers written, and
  // invalidates again under the same reference.
  const result = await publishDocuments(deps, edge, changes);
  logFailures(result);
  return { batchItemFailures: [...result.failedEventIds].flatMap((id) => messagesByEvent.get(id) ?? []).map((itemIdentifier) => ({ itemIdentifier })) };
}

function logFailures(result: PublishBatchResult): void {
  for (const [envId, error] of result.failed) logger.error('document publish failed', { envId, error: error as Error });
}

export interface DebouncedPublisherOptions {
  deps: Deps;
  edge: EdgeInvalidator;
  /** Quiet time after an environment's last event before it is published. @default 30 */
  delayMs?: number;
  /** Longest an event waits under a constant stream of changes. @default 250 */
  maxWaitMs?: number;
  /** Called after each publish (for tests and the bench). */
  onPublished?: (result: PublishBatchResult) => void;
}

export interface DebouncedPublisher {
  /** Takes one bus event; the publish happens after the debounce. */
  handle(event: unknown): void;
  /**
   * Holds publishing (changes keep coalescing) until the returned function is called, which
   * publishes everything held as one batch. For tests and maintenance.
   */
  pause(): () => void;
  /** Resolves once nothing is waiting for its debounce or publishing (held changes excepted). */
  idle(): Promise<void>;
  /** Publishes what is pending now, and stops the timers. */
  stop(): Promise<void>;
}

interface Pending {
  changes: DocumentChange[];
  timer: NodeJS.Timeout;
  firstAt: number;
}

/**
 * The local stack's document-publisher: a debounce per environment (project-wide events per
 * project) in front of `publishDocuments`. Publishes run one at a time (an environment reached
 * by both its own and project-wide events would otherwise be rebuilt by two racing publishes),
 * and whatever becomes ready while one runs is published together after it, so a burst costs
 * a few rebuilds however slow each one is.
 */
export function createDebouncedPublisher(options: DebouncedPublisherOptions): DebouncedPublisher {
  const delayMs = options.delayMs ?? 30;
  const maxWaitMs = options.maxWaitMs ?? 250;
  const pending = new Map<string, Pending>();
  /** Debounced changes waiting for the publish in progress (or a pause) to end. */
  const ready: DocumentChange[] = [];
  let running: Promise<void> | undefined;
  let pauses = 0;

  const drain = () => {
    if (running || pauses > 0 || ready.length === 0) return;
    const changes = ready.splice(0);
    running = publishDocuments(options.deps, options.edge, changes)
      .then((result) => {
        logFailures(result);
        options.onPublished?.(result);
      })
      .catch((error: unknown) => logger.error('document publish failed', { error: error as Error }))
      .finally(() => {
        running = undefined;
        drain();
      });
  };

  const flush = (key: string) => {
    const entry = pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(key);
    ready.push(...entry.changes);
    drain();
  };

  const settle = async () => {
    while (running) await running;
  };

  return {
    handle(event) {
      const change = documentChangeOf(parseBusEvent(event));
      const key = change.environmentId ? `env:${change.environmentId}` : `project:${change.projectId ?? ''}`;
      const entry = pending.get(key);
      const now = Date.now();
      if (entry) clearTimeout(entry.timer);
      const firstAt = entry?.firstAt ?? now;
      const wait = Math.max(0, Math.min(delayMs, firstAt + maxWaitMs - now));
      pending.set(key, { changes: [...(entry?.changes ?? []), change], firstAt, timer: setTimeout(() => flush(key), wait) });
    },
    pause() {
      pauses++;
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        pauses--;
        for (const key of [...pending.keys()]) flush(key);
        drain();
      };
    },
    async idle() {
      while (pending.size > 0 || running) {
        if (running) await settle();
        else await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    },
    async stop() {
      pauses = 0;
      for (const key of [...pending.keys()]) flush(key);
      drain();
      await settle();
    },
  };
}

let deps: Deps | undefined;
let edge: EdgeInvalidator | undefined;

/** The Lambda entry: an SQS batch of EventBridge events (env TABLE_NAME, DISTRIBUTION_ID). */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  deps ??= { store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')), clock: () => new Date() };
  edge ??= new CloudFrontInvalidator(new CloudFrontClient({}), requiredEnv('DISTRIBUTION_ID'));
  return publishSqsBatch(deps, edge, event);
};
