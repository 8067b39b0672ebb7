/**
 * The local edge cache runs the CloudFront viewer-request function's own source and follows the
 * cache rules: these tests pin what both do, with an origin that records what reaches it.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../functions/domain/use-cases/support.js';
import { edgeCacheControl, edgeKeyOf, edgeKeyOfHash, invalidationPathsOf, viewerCacheControl, viewerVary } from '../../functions/edge/cache-rules.js';
import { EdgeCache, type EdgeRequest } from '../../functions/local/edge-cache.js';
import { LocalEdgeInvalidator } from '../../functions/local/edge-invalidator.js';

const request = (path: string, headers: Record<string, string> = {}): EdgeRequest => ({ method: 'GET', url: new URL(`http://localhost${path}`), headers });
const withKey = (path: string, key: string) => request(path, { 'x-environment-key': key });
const answer = (body: string, statusCode = 200): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'cache-control': statusCode === 200 ? edgeCacheControl : 'no-store' },
  body,
});

/** Sends a viewer request through the edge to an origin answering `body`; returns the answer and what the origin saw. */
async function through(edge: EdgeCache, viewer: EdgeRequest, body: string, statusCode = 200) {
  const forwarded = edge.viewerRequest(viewer);
  let reached: { path: string; headers: Record<string, string> } | undefined;
  const result = await edge.fetch(forwarded, async () => {
    reached = { path: `${forwarded.url.pathname}${forwarded.url.search}`, headers: forwarded.headers };
    return answer(body, statusCode);
  });
  return { result, reached };
}

describe('the viewer-request function (the source CloudFront runs)', () => {
  it('moves cached routes under the edge key of X-Environment-Key, with or without the trailing slash', () => {
    const edge = new EdgeCache(() => 0);
    const key = 'Ab3xClientKey';
    expect(edge.viewerRequest(withKey('/api/v1/flags/', key)).url.pathname).toBe(`/edge/${edgeKeyOf(key)}/api/v1/flags`);
    expect(edge.viewerRequest(withKey('/api/v1/flags', key)).url.pathname).toBe(`/edge/${edgeKeyOf(key)}/api/v1/flags`);
    expect(edge.viewerRequest(withKey('/api/v1/environment-document/?page=p2&other=1', `ser.${key}`)).url.toString()).toBe(
      `http://localhost/edge/${edgeKeyOf(`ser.${key}`)}/api/v1/environment-document?page=p2`,
    );
    // Not a cached route: untouched, headers and all.
    const identities = withKey('/api/v1/identities/?identifier=ana', key);
    expect(edge.viewerRequest(identities)).toEqual(identities);
  });

  it('computes the edge key the document-publisher derives from the stored key hash', () => {
    for (const key of ['Ab3xClientKey', 'ser.server-key', '']) expect(edgeKeyOf(key)).toBe(edgeKeyOfHash(hashSecret(key)));
  });

  it('forwards no credential but X-Environment-Key, and no query string outside the cache key', async () => {
    const edge = new EdgeCache(() => 0);
    const { reached } = await through(edge, request('/api/v1/flags/?identifier=x', { 'x-environment-key': 'k', authorization: 'Bearer admin', 'x-api-key': 'k2', cookie: 'a=b', origin: 'https://app.example' }), 'flags');
    expect(reached).toEqual({ path: `/edge/${edgeKeyOf('k')}/api/v1/flags`, headers: { 'x-environment-key': 'k', origin: 'https://app.example' } });
  });
});

describe('the local edge cache', () => {
  it('serves a cached answer only to the same key, and tells viewers not to reuse it', async () => {
    const edge = new EdgeCache(() => 0);
    expect((await through(edge, withKey('/api/v1/flags/', 'key-a'), 'a1')).result.headers?.['x-cache']).toBe('Miss from edge');
    const hit = (await through(edge, withKey('/api/v1/flags/', 'key-a'), 'a2')).result;
    expect(hit).toMatchObject({ body: 'a1', headers: { 'x-cache': 'Hit from edge', 'cache-control': viewerCacheControl, vary: viewerVary } });
    expect((await through(edge, withKey('/api/v1/flags/', 'key-b'), 'b1')).result.body).toBe('b1');
    expect((await through(edge, request('/api/v1/flags/', { authorization: 'Bearer key-a' }), 'none')).result.body).toBe('none');
  });

  it('keeps no refusal: an unknown key is asked of the origin every time', async () => {
    const edge = new EdgeCache(() => 0);
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      const forwarded = edge.viewerRequest(withKey('/api/v1/flags/', 'unknown'));
      const result = await edge.fetch(forwarded, async () => {
        calls++;
        return answer('{"statusCode":401}', 401);
      });
      expect(result.statusCode).toBe(401);
      expect(result.headers?.['cache-control']).toBe(viewerCacheControl);
    }
    expect(calls).toBe(3);
    expect(edge.size).toBe(0);
  });

  it("drops exactly one key's answers for its invalidation paths, as CloudFront does", async () => {
    // Prepare: flags for two keys, a server key's document and a page of it, cached
    const edge = new EdgeCache(() => 0);
    await through(edge, withKey('/api/v1/flags/', 'key-a'), 'a1');
    await through(edge, withKey('/api/v1/flags/', 'key-b'), 'b1');
    await through(edge, withKey('/api/v1/environment-document/', 'ser.a'), 'd1');
    await through(edge, withKey('/api/v1/environment-document/?page=p2', 'ser.a'), 'p1');

    // Act: key-a's environment changed (key-a and ser.a are its keys)
    await new LocalEdgeInvalidator(edge).invalidate(
      invalidationPathsOf([
        { edgeKey: edgeKeyOf('key-a'), kind: 'client' },
        { edgeKey: edgeKeyOf('ser.a'), kind: 'server' },
      ]),
      'batch-1',
    );

    // Assess: the environment's answers are fetched again, the other environment's stay cached
    expect((await through(edge, withKey('/api/v1/flags/', 'key-a'), 'a2')).result.body).toBe('a2');
    expect((await through(edge, withKey('/api/v1/environment-document/', 'ser.a'), 'd2')).result.body).toBe('d2');
    expect((await through(edge, withKey('/api/v1/environment-document/?page=p2', 'ser.a'), 'p2')).result.body).toBe('p2');
    expect((await through(edge, withKey('/api/v1/flags/', 'key-b'), 'b2')).result).toMatchObject({ body: 'b1', headers: { 'x-cache': 'Hit from edge' } });
  });

  it('matches invalidation paths as CloudFront does: an exact path is the object without a query string', async () => {
    const edge = new EdgeCache(() => 0);
    await through(edge, withKey('/api/v1/environment-document/', 'ser.a'), 'd1');
    await through(edge, withKey('/api/v1/environment-document/?page=p2', 'ser.a'), 'p1');
    expect(edge.invalidate([`/edge/${edgeKeyOf('ser.a')}/api/v1/environment-document`])).toBe(1);
    expect(edge.invalidate([`/edge/${edgeKeyOf('ser.a')}/api/v1/environment-document*`])).toBe(1);
  });

  it('invalidates once per reference, as CloudFront does per CallerReference', async () => {
    const edge = new EdgeCache(() => 0);
    const invalidator = new LocalEdgeInvalidator(edge);
    const paths = invalidationPathsOf([{ edgeKey: edgeKeyOf('key-a'), kind: 'client' }]);
    await invalidator.invalidate(paths, 'batch-1');
    await through(edge, withKey('/api/v1/flags/', 'key-a'), 'v1');

    await invalidator.invalidate(paths, 'batch-1');
    const again = await through(edge, withKey('/api/v1/flags/', 'key-a'), 'v2');
    await invalidator.invalidate(paths, 'batch-2');
    const next = await through(edge, withKey('/api/v1/flags/', 'key-a'), 'v3');

    expect([again.result.body, next.result.body]).toEqual(['v1', 'v3']);
  });

  it('never stores an origin answer fetched before an invalidation', async () => {
    const edge = new EdgeCache(() => 0);
    let release: () => void = () => undefined;
    const slowOrigin = new Promise<void>((resolve) => {
      release = resolve;
    });
    const forwarded = edge.viewerRequest(withKey('/api/v1/flags/', 'key-a'));
    const inFlight = edge.fetch(forwarded, async () => {
      await slowOrigin;
      return answer('before-change');
    });

    edge.invalidate(invalidationPathsOf([{ edgeKey: edgeKeyOf('key-a'), kind: 'client' }]));
    release();
    await inFlight;

    expect((await through(edge, withKey('/api/v1/flags/', 'key-a'), 'after-change')).result.body).toBe('after-change');
  });
});

describe('conditional requests at the local edge', () => {
  it('answers a matching If-None-Match with 304 from the cache, as CloudFront does (the origin never sees it)', async () => {
    const edge = new EdgeCache(() => 0);
    const tagged = (body: string): APIGatewayProxyStructuredResultV2 => ({ statusCode: 200, headers: { 'cache-control': edgeCacheControl, etag: '"v1"' }, body });
    const first = edge.viewerRequest(withKey('/api/v1/environment-document/', 'ser.k'));
    expect(first.headers['if-none-match']).toBeUndefined();
    expect((await edge.fetch(first, async () => tagged('doc'))).statusCode).toBe(200);
    const conditional = edge.viewerRequest(request('/api/v1/environment-document/', { 'x-environment-key': 'ser.k', 'if-none-match': '"v1"' }));
    const answer = await edge.fetch(conditional, async () => tagged('doc'));
    expect(answer).toMatchObject({ statusCode: 304, body: '', headers: { etag: '"v1"', 'x-cache': 'Hit from edge' } });
    const stale = edge.viewerRequest(request('/api/v1/environment-document/', { 'x-environment-key': 'ser.k', 'if-none-match': '"v0"' }));
    expect((await edge.fetch(stale, async () => tagged('doc'))).statusCode).toBe(200);
  });
});
