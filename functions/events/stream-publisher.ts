/**
 * The stream-publisher Lambda: a DynamoDB stream batch of the table → EventBridge (env
 * TABLE_NAME, EVENT_BUS_NAME). The mapping is `publishStreamRecords`, shared with the local
 * stack; a rejected entry throws, so Lambda retries (and bisects) the batch, and consumers
 * dedupe the events published twice.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';
import { EventBridgeBus } from './eventbridge-bus.js';
import { publishStreamRecords, type StreamRecordLike } from './publisher.js';

let bus: EventBridgeBus | undefined;

export const handler = async (event: DynamoDBStreamEvent): Promise<{ published: number }> => {
  const busName = requiredEnv('EVENT_BUS_NAME');
  bus ??= new EventBridgeBus(new EventBridgeClient({}));
  const result = await publishStreamRecords(event.Records as StreamRecordLike[], { bus, busName });
  logger.info('published stream batch', { records: event.Records.length, published: result.published });
  return result;
};
