/**
 * The tenant-updater: applies `tenant.update` events the customer's systems put on Vexilla's bus
 * (functions/events/tenant-updates.ts) through the tenants' one write path, so each change is
 * versioned, audited (actor: the event's source and account) and evented as `tenant.changed`.
 *
 * Failures that a retry cannot fix (the event breaks its schema, names no project, or the merge
 * would break the tenant's limits) go straight to the dead-letter queue with the reason, and the
 * invocation succeeds. Anything else (the table unreachable, a conflict three times running)
 * throws: Lambda retries, then sends the event to the same queue as its on-failure destination.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoStore } from '../../data/dynamo-store.js';
import { AWS, jsonBytes } from '../../domain/limits.js';
import { DomainError, Conflict, Unavailable } from '../../domain/errors.js';
import { applyTenantUpdate, type TenantUpdateOutcome } from '../../domain/use-cases/tenants.js';
import type { Deps } from '../../domain/use-cases/support.js';
import { documentClient } from '../../shared/dynamodb.js';
import { requiredEnv } from '../../shared/env.js';
import { logger } from '../../shared/logger.js';
import { tenantUpdateDetail, tenantUpdateEnvelope } from '../tenant-updates.js';

/** Why an event was dead-lettered, in the shape of Lambda's on-failure records (`responsePayload`). */
export interface DeadLetterReason {
  errorType: string;
  errorMessage: string;
  details?: unknown;
}

/** Where events that cannot be applied are kept (SQS in production, a list in the local stack). */
export interface DeadLetters {
  send(event: unknown, reason: DeadLetterReason): Promise<void>;
}

export type TenantUpdateResult = TenantUpdateOutcome | { outcome: 'dead-lettered'; reason: DeadLetterReason };

/** Handles one event; throws only what a retry may fix. */
export async function consumeTenantUpdate(deps: Deps, deadLetters: DeadLetters, event: unknown): Promise<TenantUpdateResult> {
  const refuse = async (reason: DeadLetterReason): Promise<TenantUpdateResult> => {
    logger.warn('tenant.update dead-lettered', { reason: reason.errorType, message: reason.errorMessage, eventId: (event as { id?: unknown } | null)?.id });
    await deadLetters.send(event, reason);
    return { outcome: 'dead-lettered', reason };
  };
  const envelope = tenantUpdateEnvelope.safeParse(event);
  if (!envelope.success) return refuse({ errorType: 'Invalid', errorMessage: 'Not a tenant.update EventBridge event.', details: envelope.error.issues });
  const detail = tenantUpdateDetail.safeParse(envelope.data.detail);
  if (!detail.success) return refuse({ errorType: 'Invalid', errorMessage: 'The tenant.update detail breaks its schema (docs/events/tenant.update.v1.schema.json).', details: detail.error.issues });
  const { id, source, account, time } = envelope.data;
  try {
    const result = await applyTenantUpdate(deps, detail.data, { source, account, eventId: id, occurredAt: detail.data.occurredAt ?? time });
    logger.info('tenant.update', { eventId: id, source, tenantKey: detail.data.tenantKey, outcome: result.outcome, version: result.tenant.version, stale: result.stale });
    return result;
  } catch (error) {
    // Conflicts and outages may pass; every other domain refusal is the event's own fault.
    if (error instanceof DomainError && !(error instanceof Conflict) && !(error instanceof Unavailable)) {
      return refuse({ errorType: error.name, errorMessage: error.message, ...(error.details !== undefined ? { details: error.details } : {}) });
    }
    throw error;
  }
}

/** The dead-letter queue on SQS, with a record like Lambda's own on-failure records. */
export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(event: unknown, reason: DeadLetterReason): Promise<void> {
    const record = (responsePayload: DeadLetterReason) => ({
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { condition: 'RejectedByConsumer' },
      requestPayload: event,
      responsePayload,
    });
    // An event is at most 256 KB, and so is a message: the details go first when both do not fit.
    const full = record(reason);
    const body = jsonBytes(full) <= AWS.eventBridgeEntryBytes ? full : record({ errorType: reason.errorType, errorMessage: reason.errorMessage });
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body) }));
  }
}

let wired: { deps: Deps; deadLetters: DeadLetters } | undefined;

/** The Lambda entry: one EventBridge event (env TABLE_NAME, TENANT_UPDATE_DLQ_URL). */
export const handler = async (event: unknown): Promise<TenantUpdateResult> => {
  wired ??= {
    deps: { store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')), clock: () => new Date() },
    deadLetters: new SqsDeadLetters(new SQSClient({}), requiredEnv('TENANT_UPDATE_DLQ_URL')),
  };
  return consumeTenantUpdate(wired.deps, wired.deadLetters, event);
};
