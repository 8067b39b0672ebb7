import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeKeyOf, invalidationPathsOf } from '../../functions/edge/cache-rules.js';
import { CloudFrontInvalidator, invalidationBatches } from '../../functions/events/cloudfront-invalidator.js';

const cloudFront = mockClient(CloudFrontClient);
afterEach(() => cloudFront.reset());

const client = () => new CloudFrontClient({ region: 'us-east-1' });
/** Backoff that records its waits instead of waiting. */
const recorded = () => {
  const waits: number[] = [];
  return { waits, options: { sleep: async (ms: number) => void waits.push(ms), random: () => 1 } };
};
const refused = (name: string) => Object.assign(new Error(name), { name });
const inputs = () => cloudFront.commandCalls(CreateInvalidationCommand).map((call) => call.args[0].input);

describe('CloudFrontInvalidator', () => {
  it("invalidates exactly one environment's keys: each key's flags, and a server key's document pages", async () => {
    // Prepare
    cloudFront.on(CreateInvalidationCommand).resolves({ Invalidation: { Id: 'I1', Status: 'InProgress', CreateTime: new Date(), InvalidationBatch: undefined } });
    const clientKey = edgeKeyOf('client-key-of-production');
    const serverKey = edgeKeyOf('ser.server-key-of-production');
    const paths = invalidationPathsOf([
      { edgeKey: clientKey, kind: 'client' },
      { edgeKey: serverKey, kind: 'server' },
    ]);

    // Act
    await new CloudFrontInvalidator(client(), 'E2DIST').invalidate(paths, 'batch-7f3a');

    // Assess
    expect(inputs()).toEqual([
      {
        DistributionId: 'E2DIST',
        InvalidationBatch: {
          Paths: {
            Quantity: 3,
            Items: [`/edge/${clientKey}/api/v1/flags`, `/edge/${serverKey}/api/v1/environment-document*`, `/edge/${serverKey}/api/v1/flags`].sort(),
          },
          CallerReference: 'batch-7f3a',
        },
      },
    ]);
  });

  it('waits and retries, with growing jittered backoff, while CloudFront has too many invalidations in progress', async () => {
    // Prepare
    cloudFront
      .on(CreateInvalidationCommand)
      .rejectsOnce(refused('TooManyInvalidationsInProgress'))
      .rejectsOnce(refused('TooManyInvalidationsInProgress'))
      .rejectsOnce(refused('Throttling'))
      .resolves({});
    const { waits, options } = recorded();

    // Act
    await new CloudFrontInvalidator(client(), 'E2DIST', { ...options, baseDelayMs: 100 }).invalidate(['/edge/0123456789abcdef/api/v1/flags'], 'batch-1');

    // Assess: four identical calls (same reference), and waits of up to 100, 200, 400 ms
    expect(inputs()).toHaveLength(4);
    expect(new Set(inputs().map((input) => JSON.stringify(input))).size).toBe(1);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('gives up after its attempts (the SQS batch is then retried), and never retries other errors', async () => {
    cloudFront.on(CreateInvalidationCommand).rejects(refused('TooManyInvalidationsInProgress'));
    const { waits, options } = recorded();
    const invalidator = new CloudFrontInvalidator(client(), 'E2DIST', { ...options, maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 1500 });
    await expect(invalidator.invalidate(['/edge/0123456789abcdef/api/v1/flags'], 'batch-2')).rejects.toThrow('TooManyInvalidationsInProgress');
    expect(waits).toEqual([1000, 1500]);

    cloudFront.reset();
    cloudFront.on(CreateInvalidationCommand).rejects(refused('AccessDenied'));
    await expect(new CloudFrontInvalidator(client(), 'E2DIST', recorded().options).invalidate(['/x'], 'batch-3')).rejects.toThrow('AccessDenied');
    expect(inputs()).toHaveLength(1);
  });

  it('treats a reference CloudFront already has as done', async () => {
    cloudFront.on(CreateInvalidationCommand).rejectsOnce(refused('InvalidationBatchAlreadyExists'));
    await expect(new CloudFrontInvalidator(client(), 'E2DIST').invalidate(['/api/v1/flags'], 'batch-1')).resolves.toBeUndefined();
    expect(inputs()).toHaveLength(1);
  });

  it('makes no call for no paths', async () => {
    await new CloudFrontInvalidator(client(), 'E2DIST').invalidate([], 'batch-3');
    expect(inputs()).toHaveLength(0);
  });

  it("splits paths over CloudFront's in-progress limits, each part with its own stable reference", async () => {
    // Prepare: 20 server keys' worth of paths: 20 wildcards (limit 15) and 20 exact paths
    cloudFront.on(CreateInvalidationCommand).resolves({});
    const paths = invalidationPathsOf(Array.from({ length: 20 }, (_, i) => ({ edgeKey: edgeKeyOf(`ser.key-${i}`), kind: 'server' as const })));

    // Act
    await new CloudFrontInvalidator(client(), 'E2DIST').invalidate(paths, 'batch-9');

    // Assess
    const calls = inputs();
    expect(calls.map((input) => input?.InvalidationBatch?.CallerReference)).toEqual(['batch-9-1', 'batch-9-2']);
    expect(calls.flatMap((input) => input?.InvalidationBatch?.Paths?.Items ?? [])).toEqual(paths);
    for (const input of calls) expect((input?.InvalidationBatch?.Paths?.Items ?? []).filter((path) => path.endsWith('*')).length).toBeLessThanOrEqual(15);
  });
});

describe('invalidationBatches', () => {
  it('keeps every batch within the path and wildcard limits, in order', () => {
    const paths = ['/a*', '/b', '/c*', '/d', '/e*', '/f'];
    expect(invalidationBatches(paths, { paths: 3, wildcardPaths: 1 })).toEqual([['/a*', '/b'], ['/c*', '/d'], ['/e*', '/f']]);
    expect(invalidationBatches(paths, { paths: 4, wildcardPaths: 5 })).toEqual([['/a*', '/b', '/c*', '/d'], ['/e*', '/f']]);
    expect(invalidationBatches([], { paths: 3, wildcardPaths: 1 })).toEqual([]);
  });
});
