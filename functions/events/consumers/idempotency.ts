/**
 * Consumers dedupe on the event id (delivery is at-least-once). A consumer commits the marker
 * with the effects of handling an event, conditional on the marker being absent: a redelivered
 * event fails the condition and changes nothing. Markers expire after a week (TTL), far longer
 * than EventBridge retries (24 h) or a stream's retention.
 */
import type { ConsumedEvent } from '../../domain/entities.js';
import type { Write } from '../../domain/ports.js';

const KEEP_SECONDS = 7 * 24 * 3600;

/** The write that records `consumer` handled `eventId`; it fails if it already did. */
export function consumedWrite(consumer: string, eventId: string, now: Date): Write {
  const marker: ConsumedEvent = {
    type: 'consumed',
    consumer,
    eventId,
    at: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
  };
  return { kind: 'put', entity: marker, expect: 'absent' };
}
