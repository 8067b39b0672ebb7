/**
 * SDK API benchmark: in-handler time of `POST identities/` and `GET flags/` on a warm sdk-api
 * with 200 features and 30 segments, DynamoDB calls per request, and the document's size.
 * Runs on DynamoDB Local; reports, never fails on a time.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ensureTable } from '../functions/data/create-table.js';
import { DynamoStore } from '../functions/data/dynamo-store.js';
import type { Environment, Project } from '../functions/domain/entities.js';
import { createApiKey, bootstrapOrganisation, createEnvironment, createProject } from '../functions/domain/use-cases/organisation.js';
import { createFeature } from '../functions/domain/use-cases/features.js';
import { createSegment, putSegmentOverride } from '../functions/domain/use-cases/targeting.js';
import type { Actor, Deps } from '../functions/domain/use-cases/support.js';
import { routeKey, routes } from '../functions/http/routes.js';
import { createSdkApi } from '../functions/http/sdk-api.js';
import { localDynamoClientConfig, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { documentClient } from '../functions/shared/dynamodb.js';
import { buildEnvironment, buildIdentities } from './workload.js';

function event(operation: string, headers: Record<string, string>, body?: unknown, query?: Record<string, string>): APIGatewayProxyEventV2 {
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

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** Seeds the engine benchmark's environment shape through the domain's use cases. */
export async function seed(deps: Deps) {
  const { organisation, token } = await bootstrapOrganisation(deps, { name: 'bench' });
  const actor: Actor = token;
  const project: Project = await createProject(deps, actor, organisation, { name: 'bench', tenantTraitKey: 'tenant' });
  const { environment }: { environment: Environment } = await createEnvironment(deps, actor, project, { name: 'bench' });
  const shape = buildEnvironment({ features: 200, segments: 30, conditionsPerSegment: 3, multivariate: 20 });
  for (const feature of Object.values(shape.features ?? {})) {
    await createFeature(deps, actor, project, {
      name: feature.name,
      type: feature.variants ? 'MULTIVARIATE' : 'STANDARD',
      defaultEnabled: feature.enabled,
      // Multivariate options are strings in the workload; their feature's value follows suit.
      initialValue: feature.variants ? String(feature.value) : (feature.value as string | number),
      options: (feature.variants ?? []).map((variant) => ({ value: variant.value as string, defaultWeight: variant.weight })),
      tags: [],
      description: '',
      owner: null,
    });
  }
  for (const segment of Object.values(shape.segments ?? {})) {
    const created = await createSegment(deps, actor, project, { name: segment.name, description: '', rules: segment.rules });
    for (const override of segment.overrides ?? []) {
      const target = shape.features?.[override.name];
      const numeric = typeof target?.value === 'number' && !target.variants;
      await putSegmentOverride(deps, actor, environment, project, override.name, created.id, {
        enabled: override.enabled,
        value: numeric ? 1000 + Number(created.numericId) : (override.value as string),
        priority: override.priority ?? 0,
      });
    }
  }
  const { secret: clientKey } = await createApiKey(deps, actor, environment, 'client', 'bench client');
  const { secret: serverKey } = await createApiKey(deps, actor, environment, 'server', 'bench server');
  return { clientKey, serverKey };
}

export async function runSdkApiBench(): Promise<void> {
  console.log('\n## SDK API: 200 features, 30 segments, warm sdk-api handler on DynamoDB Local');
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    const config = localDynamoClientConfig(dynamo.endpoint);
    await ensureTable(new DynamoDBClient(config), 'vexilla-bench');
    const client = documentClient(config);
    let calls = 0;
    client.middlewareStack.add((next) => async (args) => {
      calls++;
      return next(args);
    }, { step: 'initialize', name: 'countCalls' });
    const deps: Deps = { store: new DynamoStore(client, 'vexilla-bench'), clock: () => new Date() };
    const { clientKey, serverKey } = await seed(deps);
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
  } finally {
    await dynamo.stop();
  }
}
