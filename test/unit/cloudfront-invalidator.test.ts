import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudFrontInvalidator } from '../../functions/events/cloudfront-invalidator.js';
import { invalidationPaths } from '../../functions/events/consumers/document-publisher.js';

const cloudFront = mockClient(CloudFrontClient);
afterEach(() => cloudFront.reset());

describe('CloudFrontInvalidator', () => {
  it('creates one invalidation of the cached routes, named by the batch reference', async () => {
    // Prepare
    cloudFront.on(CreateInvalidationCommand).resolves({ Invalidation: { Id: 'I1', Status: 'InProgress', CreateTime: new Date(), InvalidationBatch: undefined } });
    const invalidator = new CloudFrontInvalidator(new CloudFrontClient({ region: 'us-east-1' }), 'E2DIST');

    // Act
    await invalidator.invalidate(invalidationPaths(), 'batch-7f3a');

    // Assess
    const calls = cloudFront.commandCalls(CreateInvalidationCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      DistributionId: 'E2DIST',
      InvalidationBatch: {
        Paths: { Quantity: 2, Items: ['/api/v1/flags*', '/api/v1/environment-document*'] },
        CallerReference: 'batch-7f3a',
      },
    });
  });

  it('treats a reference CloudFront already has as done, and lets other errors through', async () => {
    const invalidator = new CloudFrontInvalidator(new CloudFrontClient({ region: 'us-east-1' }), 'E2DIST');
    cloudFront.on(CreateInvalidationCommand).rejectsOnce(Object.assign(new Error('exists'), { name: 'InvalidationBatchAlreadyExists' }));
    await expect(invalidator.invalidate(['/api/v1/flags*'], 'batch-1')).resolves.toBeUndefined();

    cloudFront.reset();
    cloudFront.on(CreateInvalidationCommand).rejects(Object.assign(new Error('slow down'), { name: 'TooManyInvalidationsInProgress' }));
    await expect(invalidator.invalidate(['/api/v1/flags*'], 'batch-2')).rejects.toThrow('slow down');
  });

  it('makes no call for no paths', async () => {
    await new CloudFrontInvalidator(new CloudFrontClient({ region: 'us-east-1' }), 'E2DIST').invalidate([], 'batch-3');
    expect(cloudFront.commandCalls(CreateInvalidationCommand)).toHaveLength(0);
  });
});
