/**
 * The stream publisher: DynamoDB stream records of newly written change events (the outbox items,
 * pk `AUDIT#<orgId>`) become bus entries. The mapping is pure; the bus is a port, so production
 * (EventBridge) and the local stack (in-process bus) run the same code.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ChangeEvent } from '../domain/entities.js';
import { imageDigest } from '../domain/image-digest.js';
import { AWS } from '../domain/limits.js';
import { toEntity } from '../data/dynamo-store.js';
import { table } from '../data/table.js';
import { unmarshallOptions } from '../shared/dynamodb.js';
import { type EventDetail, toEventDetail } from './detail-types.js';
import { EVENT_SOURCE } from './rules.js';

/** One PutEvents entry; the same shape as EventBridge's `PutEventsRequestEntry`. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: Date;
}

/** The bus port. `failed` counts entries the bus did not accept. */
export interface EventBus {
  put(entries: BusEntry[]): Promise<{ failed: number }>;
}

/** The part of a stream record the publisher reads (Lambda's and the Streams API's records both fit). */
export interface StreamRecordLike {
  eventName?: string | undefined;
  dynamodb?: { NewImage?: Record<string, unknown> | undefined } | undefined;
}

/** EventBridge limits per PutEvents call. */
export const MAX_ENTRIES_PER_PUT = 10;
export const MAX_BYTES_PER_PUT = AWS.eventBridgeEntryBytes;

const AUDIT_PREFIX = 'AUDIT#';

/** The change event a stream record carries, or undefined if it is not a newly written one. */
export function changeEventOf(record: StreamRecordLike): ChangeEvent | undefined {
  // Audit records are written once and never updated, so only INSERTs are events; TTL deletes
  // and anything else are not changes to publish.
  if (record.eventName !== 'INSERT') return undefined;
  const image = record.dynamodb?.NewImage;
  const pk = (image?.[table.partitionKey] as AttributeValue | undefined)?.S;
  if (!image || !pk?.startsWith(AUDIT_PREFIX)) return undefined;
  const item = toEntity<ChangeEvent>(unmarshall(image as Record<string, AttributeValue>, unmarshallOptions));
  return item.type === 'event' ? item : undefined;
}

/**
 * EventBridge's entry size: Time (14 bytes), Source, DetailType and Detail in UTF-8. The bus
 * name is counted too, which keeps us on the safe side of the limit.
 */
export function entrySize(entry: BusEntry): number {
  return 14 + Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail) + Buffer.byteLength(entry.EventBusName);
}

function entryOf(event: ChangeEvent, busName: string): BusEntry {
  const detail: EventDetail = toEventDetail(event);
  const entry = { Source: EVENT_SOURCE, DetailType: event.detailType, Detail: JSON.stringify(detail), EventBusName: busName, Time: new Date(event.at) };
  if (entrySize(entry) <= MAX_BYTES_PER_PUT) return entry;
  // An entry too big for the bus would fail forever and block the stream shard behind it:
  // publish without the images (their digests say what they were); consumers read them from
  // the audit record by event id.
  const omitted = { ...detail.omittedImages };
  if (detail.before !== null) omitted.before = imageDigest(detail.before);
  if (detail.after !== null) omitted.after = imageDigest(detail.after);
  return { ...entry, Detail: JSON.stringify({ ...detail, before: null, after: null, omittedImages: omitted, truncated: true } satisfies EventDetail) };
}

/**
 * Turns stream records into PutEvents calls: change events only, in stream order, at most
 * 10 entries and 256 KB per call. Pure.
 */
export function toPutEventsEntries(records: readonly StreamRecordLike[], busName: string): BusEntry[][] {
  const calls: BusEntry[][] = [];
  let current: BusEntry[] = [];
  let bytes = 0;
  for (const record of records) {
    const event = changeEventOf(record);
    if (!event) continue;
    const entry = entryOf(event, busName);
    const size = entrySize(entry);
    if (current.length === MAX_ENTRIES_PER_PUT || bytes + size > MAX_BYTES_PER_PUT) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export class PublishFailed extends Error {
  constructor(readonly failed: number) {
    super(`The bus rejected ${failed} event(s); the stream batch will be retried`);
    this.name = 'PublishFailed';
  }
}

/**
 * Publishes a batch of stream records. Throws if the bus rejects any entry, so the whole batch is
 * retried (at-least-once: entries already accepted are sent again, and consumers dedupe on the
 * event id).
 */
export async function publishStreamRecords(records: readonly StreamRecordLike[], options: { bus: EventBus; busName: string }): Promise<{ published: number }> {
  let published = 0;
  for (const entries of toPutEventsEntries(records, options.busName)) {
    const { failed } = await options.bus.put(entries);
    if (failed > 0) throw new PublishFailed(failed);
    published += entries.length;
  }
  return { published };
}
