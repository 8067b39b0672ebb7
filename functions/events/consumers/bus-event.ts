/**
 * What every consumer reads from an EventBridge event (or the local bus's copy of one): the
 * detail-type and its detail, validated against the published schema of that detail-type.
 */
import * as z from 'zod';
import type { DetailType } from '../../domain/entities.js';
import { Invalid } from '../../domain/errors.js';
import { detailSchemas, type EventDetail } from '../detail-types.js';

const envelope = z.object({ 'detail-type': z.string(), detail: z.unknown() });

export interface ConsumedDetail {
  detailType: DetailType;
  detail: EventDetail;
}

/** The detail-type and detail of an event; throws Invalid for anything off the contract. */
export function parseBusEvent(event: unknown): ConsumedDetail {
  const parsed = envelope.safeParse(event);
  if (!parsed.success) throw new Invalid('Not an EventBridge event.', parsed.error.issues);
  const detailType = parsed.data['detail-type'];
  const schema = (detailSchemas as Record<string, z.ZodType<EventDetail> | undefined>)[detailType];
  if (!schema) throw new Invalid(`Unknown detail-type ${detailType}.`);
  const detail = schema.safeParse(parsed.data.detail);
  if (!detail.success) throw new Invalid(`The ${detailType} detail breaks its schema.`, detail.error.issues);
  return { detailType: detailType as DetailType, detail: detail.data };
}
