/**
 * The apply-scheduled-change Lambda: EventBridge Scheduler's target. The input names the
 * scheduled change; applying is idempotent, so retries and late or repeated fires apply once.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { DynamoStore } from '../data/dynamo-store.js';
import { type ApplyOutcome, applyScheduledChange } from '../domain/use-cases/scheduled-changes.js';
import type { Deps } from '../domain/use-cases/support.js';
import { documentClient } from '../shared/dynamodb.js';
import { requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';

const input = z.object({ envId: z.string().min(1), scheduledChangeId: z.string().min(1) });

let deps: Deps | undefined;

export const handler = middy<unknown, ApplyOutcome>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const target = input.parse(event);
    deps ??= { store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')), clock: () => new Date() };
    const result = await applyScheduledChange(deps, target);
    logger.info('Scheduled change fired', { ...target, ...result });
    return result;
  });
