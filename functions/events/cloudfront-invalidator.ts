/**
 * The EdgeInvalidator port on CloudFront (production). One CreateInvalidation per call; the
 * caller reference comes from the batch being handled, so a retried batch names the same
 * invalidation and CloudFront does not start a second one.
 */
import { type CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import type { EdgeInvalidator } from '../domain/ports.js';

export class CloudFrontInvalidator implements EdgeInvalidator {
  constructor(
    private readonly client: CloudFrontClient,
    private readonly distributionId: string,
  ) {}

  async invalidate(paths: string[], reference: string): Promise<void> {
    if (paths.length === 0) return;
    try {
      await this.client.send(
        new CreateInvalidationCommand({
          DistributionId: this.distributionId,
          InvalidationBatch: { Paths: { Quantity: paths.length, Items: paths }, CallerReference: reference },
        }),
      );
    } catch (error) {
      // The same reference was already submitted (a retried batch): that invalidation stands.
      if ((error as { name?: string }).name === 'InvalidationBatchAlreadyExists') return;
      throw error;
    }
  }
}
