/**
 * SDK API benchmark: in-handler time of `POST identities/` and `GET flags/` on a warm sdk-api
 * with 200 features and 30 segments, DynamoDB calls per request, and the document's size.
 * Runs on DynamoDB Local; reports, never fails on a time.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { routeKey, routes } from '../functions/http/routes.js';
import { createSdkApi } from '../functions/http/sdk-api.js';
import { withSeededEnvironment } from './stack.js';
import { buildIdentities } from './workload.js';

/** The API Gateway event of an SDK route, as the handler receives it. */
export function event(operation: string, headers: Record<string, string>, body?: unknown, query?: Record<string, string>): APIGatewayProxyEventV2 {
  const route = routes.find((candidate) => candidate.operation === operation);
  if (!route) throw new Error(operation);
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: route.path,
    rawQueryString: '',
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { http: { method: route.method, path: route.path } },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

export async function runSdkApiBench(): Promise<void> {
  console.log('\n## SDK API: 200 features, 30 segments, warm sdk-api handler on DynamoDB Local');
  await withSeededEnvironment(async ({ deps, client, clientKey, serverKey }) => {
    let calls = 0;
    client.middlewareStack.add((next) => async (args) => {
      calls++;
      return next(args);
    }, { step: 'initialize', name: 'countCalls' });
    // A long time-to-live: the figures are for a warm function between refreshes.
    const handler = createSdkApi(deps, { ttlMs: 60_000 });
    const headers = { 'x-environment-key': clientKey };
    const identities = buildIdentities(2000);

    const flagsEvent = event('getEnvironmentFlags', headers);
    await handler(flagsEvent);
    const flagTimes: number[] = [];
    calls = 0;
    for (let i = 0; i < 2000; i++) {
      const started = performance.now();
      await handler(flagsEvent);
      flagTimes.push(performance.now() - started);
    }
    const flagCalls = calls / 2000;

    const post = (i: number) =>
      event('postIdentityFlags', headers, {
        identifier: identities[i]?.identifier,
        traits: Object.entries(identities[i]?.traits ?? {}).map(([trait_key, trait_value]) => ({ trait_key, trait_value })),
      });
    // First sight of each identity stores its traits; the warm figure is for returning identities.
    for (let i = 0; i < identities.length; i++) await handler(post(i));
    const identityTimes: number[] = [];
    calls = 0;
    for (let i = 0; i < identities.length; i++) {
      const request = post(i);
      const started = performance.now();
      await handler(request);
      identityTimes.push(performance.now() - started);
    }
    const identityCalls = calls / identities.length;

    const documentResponse = await handler(event('getEnvironmentDocument', { 'x-environment-key': serverKey }));
    const bytes = Buffer.byteLength(String(documentResponse.body ?? ''));

    const fmt = (ms: number) => `${(ms * 1000).toFixed(0).padStart(6)} µs`;
    console.log(`GET flags/            p50 ${fmt(percentile(flagTimes, 50))}  p99 ${fmt(percentile(flagTimes, 99))}  DynamoDB calls/request ${flagCalls.toFixed(2)}`);
    console.log(`POST identities/      p50 ${fmt(percentile(identityTimes, 50))}  p99 ${fmt(percentile(identityTimes, 99))}  DynamoDB calls/request ${identityCalls.toFixed(2)} (traits unchanged: one read)`);
    console.log(`environment document  ${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes), no identity overrides`);
  });
}
