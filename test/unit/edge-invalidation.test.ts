import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { invalidationPaths } from '../../functions/events/consumers/document-publisher.js';
import { edgeCacheControl } from '../../functions/http/edge-caching.js';
import { EdgeCache, type EdgeRequest } from '../../functions/local/edge-cache.js';
import { LocalEdgeInvalidator } from '../../functions/local/edge-invalidator.js';

const request = (path: string, key: string): EdgeRequest => ({ method: 'GET', url: new URL(`http://localhost${path}`), headers: { 'x-environment-key': key } });
const answer = (body: string): APIGatewayProxyStructuredResultV2 => ({ statusCode: 200, headers: { 'cache-control': edgeCacheControl }, body });

describe('local edge invalidation', () => {
  it('drops the cached flags and documents of every environment key, as a CloudFront invalidation of the cached routes does', async () => {
    // Prepare: flags for two keys and a document page, cached
    const edge = new EdgeCache(() => 0);
    await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('a1'));
    await edge.fetch(request('/api/v1/flags/', 'key-b'), async () => answer('b1'));
    await edge.fetch(request('/api/v1/environment-document/?page=x', 'ser.k'), async () => answer('d1'));
    expect((await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('a2'))).body).toBe('a1');

    // Act
    await new LocalEdgeInvalidator(edge).invalidate(invalidationPaths(), 'batch-1');

    // Assess: every one is fetched from the origin again
    const a = await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('a2'));
    const b = await edge.fetch(request('/api/v1/flags/', 'key-b'), async () => answer('b2'));
    const d = await edge.fetch(request('/api/v1/environment-document/?page=x', 'ser.k'), async () => answer('d2'));
    expect([a.body, b.body, d.body]).toEqual(['a2', 'b2', 'd2']);
    expect(a.headers?.['x-cache']).toBe('Miss from edge');
  });

  it('invalidates once per reference, as CloudFront does per CallerReference', async () => {
    const edge = new EdgeCache(() => 0);
    const invalidator = new LocalEdgeInvalidator(edge);
    await invalidator.invalidate(invalidationPaths(), 'batch-1');
    await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('v1'));

    await invalidator.invalidate(invalidationPaths(), 'batch-1');
    const again = await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('v2'));
    await invalidator.invalidate(invalidationPaths(), 'batch-2');
    const next = await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('v3'));

    expect([again.body, next.body]).toEqual(['v1', 'v3']);
  });

  it('leaves other paths cached, and never stores an origin answer fetched before the invalidation', async () => {
    const edge = new EdgeCache(() => 0);
    await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('flags-1'));
    await edge.fetch(request('/api/v1/environment-document/', 'ser.k'), async () => answer('doc-1'));
    let release: () => void = () => undefined;
    const slowOrigin = new Promise<void>((resolve) => {
      release = resolve;
    });
    const other = new EdgeCache(() => 0);
    const inFlight = other.fetch(request('/api/v1/flags/', 'key-a'), async () => {
      await slowOrigin;
      return answer('before-change');
    });

    // Act
    edge.invalidate(['/api/v1/flags*']);
    other.invalidate(['/api/v1/flags*']);
    release();
    await inFlight;

    // Assess
    expect((await edge.fetch(request('/api/v1/environment-document/', 'ser.k'), async () => answer('doc-2'))).body).toBe('doc-1');
    expect((await edge.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('flags-2'))).body).toBe('flags-2');
    expect((await other.fetch(request('/api/v1/flags/', 'key-a'), async () => answer('after-change'))).body).toBe('after-change');
  });
});
