/**
 * The local stack's edge cache behaves as CloudFront does with our cache rules: cached flags per
 * environment key and only for that key, revalidation after s-maxage, the last flags served while
 * the origin fails (stale-if-error) — until even that window closes — and viewers told never to
 * reuse an answer.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeCaching, viewerCacheControl } from '../../functions/edge/cache-rules.js';
import { EdgeCache } from '../../functions/local/edge-cache.js';
import { localFunctions } from '../../functions/local/functions.js';
import { type RunningServer, startHttpServer } from '../../functions/local/http-server.js';
import { buildRichEnvironment, type RichEnvironment } from '../support/rich-environment.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;
let edgeServer: RunningServer;
let now = Date.now();
let originDown = false;
let originCalls = 0;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
  const functions = localFunctions(api.deps, { snapshotTtlMs: 0 });
  const sdk = functions['sdk-api'];
  functions['sdk-api'] = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    originCalls++;
    if (originDown) return { statusCode: 503, body: '{"message":"Service Unavailable"}' };
    return sdk(event);
  };
  edgeServer = await startHttpServer({ port: 0, functions, edge: new EdgeCache(() => now) });
});
afterAll(async () => {
  await edgeServer?.close();
  await api?.close();
});

const flags = async (key: string, headers: Record<string, string> = { 'x-environment-key': key }) => {
  const response = await fetch(`${edgeServer.url}/api/v1/flags/`, { headers });
  const body = await response.json();
  const banner = Array.isArray(body) ? body.find((f: { feature: { name: string } }) => f.feature.name === 'banner')?.feature_state_value : undefined;
  return { status: response.status, cache: response.headers.get('x-cache'), banner, cacheControl: response.headers.get('cache-control'), vary: response.headers.get('vary') };
};

describe('the local edge cache', () => {
  it('caches flags per environment key, serves them stale while the origin fails, then gives up', async () => {
    expect(await flags(env.clientKey)).toMatchObject({ status: 200, cache: 'Miss from edge', banner: 'hello' });
    expect(await flags(env.clientKey)).toMatchObject({ status: 200, cache: 'Hit from edge', banner: 'hello' });
    expect(originCalls).toBe(1);
    // Another key is another cache entry.
    expect((await flags(env.serverKey)).cache).toBe('Miss from edge');

    await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/banner`, { body: { value: 'changed' } });
    expect((await flags(env.clientKey)).banner).toBe('hello');
    now += (edgeCaching.maxAgeSeconds + edgeCaching.staleWhileRevalidateSeconds + 1) * 1000;
    expect(await flags(env.clientKey)).toMatchObject({ status: 200, cache: 'Miss from edge', banner: 'changed' });

    originDown = true;
    now += (edgeCaching.maxAgeSeconds + edgeCaching.staleWhileRevalidateSeconds + 1) * 1000;
    expect(await flags(env.clientKey)).toMatchObject({ status: 200, cache: 'Error from origin, stale from edge', banner: 'changed' });
    now += edgeCaching.staleIfErrorSeconds * 1000;
    expect((await flags(env.clientKey)).status).toBe(503);
    originDown = false;
  });

  it('serves a cached answer only to a caller presenting the same X-Environment-Key, and never keeps a refusal', async () => {
    // Prepare: the flags cached for the client key
    await flags(env.clientKey);
    expect((await flags(env.clientKey)).cache).toMatch(/^Hit from edge/);
    const before = originCalls;

    // Act: every other way of asking, each twice
    const others: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${env.clientKey}` },
      { 'x-api-key': env.clientKey },
      { 'x-environment-key': 'unknown-key' },
    ];
    const answers = [];
    for (const headers of [...others, ...others]) answers.push(await flags(env.clientKey, headers));

    // Assess: refused every time, at the origin (nothing cached answered), and told not to keep it
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 401));
    expect(answers.map((answer) => answer.cache)).toEqual(answers.map(() => 'Miss from edge'));
    expect(originCalls).toBe(before + answers.length);
    expect(answers.every((answer) => answer.cacheControl === viewerCacheControl)).toBe(true);
  });

  it('tells browsers never to reuse an answer without asking, and that it varies by the key', async () => {
    const answer = await flags(env.clientKey);
    expect(answer).toMatchObject({ status: 200, cacheControl: 'private, no-cache' });
    expect(answer.vary?.split(/,\s*/)).toContain('X-Environment-Key');
  });

  it('keeps the other credentials for the routes it does not cache (OFREP)', async () => {
    const ofrep = await fetch(`${edgeServer.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'edge-user' } }),
    });
    expect(ofrep.status).toBe(200);
    expect(ofrep.headers.get('x-cache')).toBeNull();
  });

  it('passes uncacheable requests straight through', async () => {
    const before = originCalls;
    const post = await fetch(`${edgeServer.url}/api/v1/identities/`, {
      method: 'POST',
      headers: { 'x-environment-key': env.clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'edge-user' }),
    });
    expect(post.headers.get('x-cache')).toBeNull();
    expect(originCalls).toBe(before + 1);
  });
});
