/**
 * The EdgeInvalidator port on CloudFront (production). The caller reference comes from the batch
 * being handled, so a retried batch names the same invalidation and CloudFront does not start a
 * second one.
 *
 * CloudFront limits invalidations in progress per distribution: 3,000 file paths and 15 wildcard
 * paths at a time, and throttles CreateInvalidation
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-invalidations).
 * The paths are split into batches within those limits, and a batch CloudFront refuses for
 * either reason is retried with capped, jittered exponential backoff instead of failing the
 * whole SQS batch at once (which would come back only after the queue's visibility timeout).
 */
import { type CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import type { EdgeInvalidator } from '../domain/ports.js';
import { fullJitterDelay, sleep } from '../shared/backoff.js';
import { logger } from '../shared/logger.js';

/** CloudFront's limits on invalidations in progress per distribution. */
export const INVALIDATION_LIMITS = { paths: 3000, wildcardPaths: 15 } as const;

/** Errors that mean "not now": too many invalidations in progress, or the API throttling us. */
const RETRYABLE = new Set(['TooManyInvalidationsInProgress', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

export interface BackoffOptions {
  /** Tries per batch of paths, the first included. @default 6 */
  maxAttempts?: number;
  /** The first wait's upper bound; each next one doubles. @default 1000 */
  baseDelayMs?: number;
  /** The longest single wait. @default 15000 (the whole budget fits the function's 60 s) */
  maxDelayMs?: number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
}

const isWildcard = (path: string) => path.endsWith('*');

/** Splits paths into invalidation batches CloudFront accepts, in order. Pure. */
export function invalidationBatches(paths: readonly string[], limits: { paths: number; wildcardPaths: number } = INVALIDATION_LIMITS): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let wildcards = 0;
  for (const path of paths) {
    const wildcard = isWildcard(path);
    if (current.length >= limits.paths || (wildcard && wildcards >= limits.wildcardPaths)) {
      batches.push(current);
      current = [];
      wildcards = 0;
    }
    current.push(path);
    if (wildcard) wildcards++;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export class CloudFrontInvalidator implements EdgeInvalidator {
  private readonly backoff: Required<BackoffOptions>;

  constructor(
    private readonly client: CloudFrontClient,
    private readonly distributionId: string,
    backoff: BackoffOptions = {},
  ) {
    this.backoff = {
      maxAttempts: backoff.maxAttempts ?? 6,
      baseDelayMs: backoff.baseDelayMs ?? 1000,
      maxDelayMs: backoff.maxDelayMs ?? 15_000,
      sleep: backoff.sleep ?? sleep,
      random: backoff.random ?? Math.random,
    };
  }

  async invalidate(paths: string[], reference: string): Promise<void> {
    const batches = invalidationBatches(paths);
    // One batch keeps the batch's own reference; several get one each, stable across retries.
    for (const [i, items] of batches.entries()) await this.create(items, batches.length === 1 ? reference : `${reference}-${i + 1}`);
  }

  private async create(items: string[], reference: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new CreateInvalidationCommand({
            DistributionId: this.distributionId,
            InvalidationBatch: { Paths: { Quantity: items.length, Items: items }, CallerReference: reference },
          }),
        );
        return;
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        // The same reference was already submitted (a retried batch): that invalidation stands.
        if (name === 'InvalidationBatchAlreadyExists') return;
        if (!RETRYABLE.has(name) || attempt >= this.backoff.maxAttempts) throw error;
        // Full jitter: concurrent publishers do not retry in step.
        const delay = Math.round(fullJitterDelay(attempt, this.backoff.baseDelayMs, this.backoff.maxDelayMs, this.backoff.random));
        logger.warn('CloudFront refused an invalidation for now; retrying', { reference, attempt, delayMs: delay, reason: name });
        await this.backoff.sleep(delay);
      }
    }
  }
}
