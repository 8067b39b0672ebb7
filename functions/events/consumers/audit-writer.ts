/**
 * The audit-writer consumer: exactly one audit record per event id. The record is normally
 * written by the change's own transaction (it is the outbox item the event came from), so this
 * checks it is there, else puts it if absent, keyed exactly as the write path keys it
 * (`AUDIT#<orgId>` / `<at>#<eventId>`), committed with the consumer's marker: a duplicate
 * delivery never creates a second record.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { ChangeEvent } from '../../domain/entities.js';
import { CommitConflict, type Store } from '../../domain/ports.js';
import { DynamoStore } from '../../data/dynamo-store.js';
import { documentClient } from '../../shared/dynamodb.js';
import { requiredEnv } from '../../shared/env.js';
import { logger } from '../../shared/logger.js';
import { type ConsumedDetail, parseBusEvent } from './bus-event.js';
import { consumedWrite } from './idempotency.js';

export const AUDIT_WRITER = 'audit-writer';

/** The audit record an event detail describes, as the write path stored it. Pure. */
export function auditRecordOf({ detailType, detail }: ConsumedDetail): ChangeEvent {
  return {
    type: 'event',
    id: detail.eventId,
    detailType,
    action: detail.action,
    orgId: detail.organisationId,
    ...(detail.projectId !== undefined ? { projectId: detail.projectId } : {}),
    ...(detail.environmentId !== undefined ? { envId: detail.environmentId } : {}),
    subject: detail.subject,
    actor: detail.actor,
    before: detail.before,
    after: detail.after,
    ...(detail.omittedImages ? { omittedImages: detail.omittedImages } : {}),
    ...(detail.entityVersion !== undefined ? { version: detail.entityVersion } : {}),
    at: detail.at,
  };
}

export type AuditOutcome = 'written' | 'already-recorded' | 'duplicate';

/**
 * Ensures one audit record for the event and marks the event consumed, atomically.
 * `already-recorded`: the transaction had written it (the usual case); `duplicate`: this event
 * was handled before; `written`: the record was missing and is now stored. A truncated detail
 * (images dropped for the bus) only gets the marker: it must never stand in for the real record.
 * The usual case is one transaction (the record is there, the marker is not): putting the record
 * first made it two, the first always refused (a refused transaction costs capacity too).
 */
export async function ensureAuditRecord(store: Store, event: ConsumedDetail, now: Date): Promise<AuditOutcome> {
  const marker = consumedWrite(AUDIT_WRITER, event.detail.eventId, now);
  if (!event.detail.truncated) {
    const record = auditRecordOf(event);
    try {
      await store.commit([{ kind: 'check', ref: { type: 'event', orgId: record.orgId, at: record.at, id: record.id }, expect: 'present' }, marker]);
      return 'already-recorded';
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
      if (error.failedWrites.includes(1)) return 'duplicate';
    }
    try {
      await store.commit([{ kind: 'put', entity: record, expect: 'absent' }, marker]);
      return 'written';
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
      if (error.failedWrites.includes(1)) return 'duplicate';
      // The record appeared meanwhile: only the marker is missing.
    }
  }
  try {
    await store.commit([marker]);
    return 'already-recorded';
  } catch (error) {
    if (error instanceof CommitConflict) return 'duplicate';
    throw error;
  }
}

let store: Store | undefined;

/** The Lambda entry: one EventBridge event (env TABLE_NAME). */
export const handler = async (event: EventBridgeEvent<string, unknown>): Promise<{ outcome: AuditOutcome }> => {
  store ??= new DynamoStore(documentClient(), requiredEnv('TABLE_NAME'));
  const consumed = parseBusEvent(event);
  const outcome = await ensureAuditRecord(store, consumed, new Date());
  if (outcome === 'written') logger.warn('audit record was missing and has been written', { eventId: consumed.detail.eventId });
  return { outcome };
};
