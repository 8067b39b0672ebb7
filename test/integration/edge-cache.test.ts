/**
 * The local stack's edge cache behaves as CloudFront does with our Cache-Control: cached flags
 * per environment key, revalidation after max-age, and the last flags served while the origin
 * fails (stale-if-error) — until even that window closes.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeCaching } from '../../functions/http/edge-caching.js';
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

const flags = async (key: string) => {
  const response = await fetch(`${edgeServer.url}/api/v1/flags/`, { headers: { 'x-environment-key': key } });
  const body = await response.json();
  const banner = Array.isArray(body) ? body.find((f: { feature: { name: string } }) => f.feature.name === 'banner')?.feature_state_value : undefined;
  return { status: response.status, cache: response.headers.get('x-cache'), banner };
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
