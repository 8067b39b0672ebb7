/**
 * The job-runner Lambda: runs imports and purges (functions/domain/use-cases/jobs.ts) from its
 * SQS queue, one job per message. A run works until shortly before the function's timeout, then
 * hands the job back and queues its next run; a run that fails returns its message to the queue
 * (SQS retries it, then its dead-letter queue keeps it). An EventBridge schedule sends
 * `{"sweep": true}` every few minutes: jobs whose run died without handing them back are queued
 * again.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { DynamoStore } from '../data/dynamo-store.js';
import { jobWorks } from '../domain/use-cases/job-works.js';
import { runJob, sweepJobs } from '../domain/use-cases/jobs.js';
import type { Deps } from '../domain/use-cases/support.js';
import { documentClient } from '../shared/dynamodb.js';
import { identityIdleSecondsFromEnv, requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';
import { SqsJobQueue } from './sqs-job-queue.js';

/** Time kept back from the function's timeout: the last batch and the hand-back must fit in it. */
export const HAND_BACK_MS = 30_000;

const message = z.object({ jobId: z.string().min(1).max(100) });
const sweep = z.object({ sweep: z.literal(true) });

/** Handles one queue batch (or a sweep) with the given dependencies: the Lambda below, and tests. */
export async function handleJobEvent(deps: Deps, event: unknown, remainingMs: () => number): Promise<SQSBatchResponse | undefined> {
  const queue = deps.jobs;
  if (!queue) throw new Error('The job runner needs its queue');
  if (sweep.safeParse(event).success) {
    const queued = await sweepJobs(deps, queue);
    if (queued > 0) logger.warn('stuck jobs queued again', { queued });
    return undefined;
  }
  const failures: { itemIdentifier: string }[] = [];
  for (const record of (event as SQSEvent).Records ?? []) {
    try {
      const { jobId } = message.parse(JSON.parse(record.body));
      const outcome = await runJob(deps, jobId, jobWorks, { deadline: Date.now() + remainingMs() - HAND_BACK_MS });
      if (outcome === 'continue') await queue.enqueue(jobId);
      logger.info('job run', { jobId, outcome });
    } catch (error) {
      logger.error('job run failed', { messageId: record.messageId, error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

let deps: Deps | undefined;

/** The Lambda entry (env TABLE_NAME, JOB_QUEUE_URL). */
export const handler = middy<unknown, SQSBatchResponse | undefined>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context: Context) => {
    deps ??= {
      store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')),
      clock: () => new Date(),
      jobs: new SqsJobQueue(new SQSClient({}), requiredEnv('JOB_QUEUE_URL')),
      identityIdleSeconds: identityIdleSecondsFromEnv(),
    };
    return handleJobEvent(deps, event, () => context.getRemainingTimeInMillis());
  });
