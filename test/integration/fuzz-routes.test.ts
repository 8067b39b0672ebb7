/**
 * Property: whatever arrives on any route of the route table, the answer is never a 5xx, and a
 * refused request (4xx) leaves the table exactly as it was: as many items and audit records,
 * and every item at the version it had. Real HTTP on DynamoDB Local; the requests are generated from each
 * route's own schema, then made hostile (test/support/hostile.ts).
 *
 * `npm test` runs FUZZ_RUNS (default 2) requests per route; `npm run fuzz` runs many more and
 * prints the figures.
 */
import { createHash } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { fc, test } from '@fast-check/vitest';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { type Route, routes } from '../../functions/http/routes.js';
import { bodyFor, forgedCursor, hostileString, hostileValue, ifMatch, type Known, pathSegment, queryValue, RESERVED_KEYS } from '../support/hostile.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2);
/**
 * The bounded run in `npm test` replays fixed seeds, so the suite is the same on every machine;
 * `npm run fuzz` explores fresh seeds (FUZZ_SEED replays one; each failure prints its seed).
 */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS === undefined ? 1201 : undefined;
const started = performance.now();
const statuses = new Map<number, number>();
let requests = 0;
let scanMs = 0;

let api: TestApi;
let dynamo: DynamoDBClient;
let known: Known;
let clientKey: string;
let serverKey: string;
/** Routes that would destroy the fixture act on victims made for them instead. */
let victims: Record<string, Known>;

beforeAll(async () => {
  // This file hunts 5xx answers on every route as Lambda runs it: the AWS SDK client (the other files use the sdk-api's lean client).
  api = await startTestApi({ awsSdkDynamoDb: true });
  dynamo = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
  const call = async (method: string, path: string, body?: unknown) => {
    const reply = await api.call(method, path, body === undefined ? {} : { body });
    if (reply.status >= 300) throw new Error(`fixture ${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const org = api.organisationId;
  const projectId = (await call('POST', `/admin/v1/organisations/${org}/projects`, { name: 'Fuzz' })).id;
  const victimProjectId = (await call('POST', `/admin/v1/organisations/${org}/projects`, { name: 'Doomed' })).id;
  const env = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'main' });
  const envId = env.environment.id;
  clientKey = env.clientKey;
  const victimEnvId = (await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'doomed' })).environment.id;
  serverKey = (await call('POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'sdk' })).key;
  const victimKeyId = (await call('POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'doomed' })).id;
  const tokenId = (await call('POST', `/admin/v1/organisations/${org}/tokens`, { name: 'doomed', roles: { projects: { [projectId]: 'viewer' } } })).id;
  await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'f', initialValue: 'blue' });
  await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'doomed', initialValue: 1 });
  const mv = await call('POST', `/admin/v1/projects/${projectId}/features`, {
    name: 'mv',
    type: 'MULTIVARIATE',
    initialValue: 'a',
    options: [
      { value: 'b', defaultWeight: 30 },
      { value: 'c', defaultWeight: 30 },
    ],
  });
  const rules = [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }];
  const segmentId = (await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'pro', rules })).id;
  const victimSegmentId = (await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'doomed', rules })).id;
  const fs = `/admin/v1/environments/${envId}/feature-states/f`;
  await call('PATCH', fs, { enabled: true, value: 'green' });
  await call('PUT', `${fs}/segment-overrides/${segmentId}`, { enabled: true, value: 'red' });
  await call('PUT', `${fs}/tenant-overrides/acme`, { enabled: true, value: 'acme' });
  await call('PUT', `/admin/v1/environments/${envId}/identities/i`, { traits: { plan: 'pro' } });
  await call('PUT', `/admin/v1/environments/${envId}/identities/doomed-user`, { traits: {} });
  await call('PUT', `/admin/v1/environments/${envId}/identities/i/overrides/f`, { enabled: true, value: 'mine' });
  const webhookId = (await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url: 'http://127.0.0.1:9/hook' })).id;
  const victimWebhookId = (await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url: 'http://127.0.0.1:9/doomed' })).id;
  const changeRequestId = (await call('POST', `/admin/v1/environments/${envId}/change-requests`, { title: 'cr', changes: [{ featureName: 'f', enabled: false }] })).id;
  await call('PUT', `/admin/v1/projects/${projectId}/tenants/acme`, { name: 'Acme', traits: { plan: 'pro' } });
  await call('PUT', `/admin/v1/projects/${projectId}/tenants/doomed-tenant`, { traits: {} });
  await call('PUT', `/admin/v1/projects/${projectId}/templates/enterprise`, { rules: [] });
  await call('PUT', `/admin/v1/projects/${projectId}/templates/doomed-template`, {});
  const runAt = new Date(Date.now() + 86_400_000).toISOString();
  const scheduledChangeId = (await call('POST', `/admin/v1/environments/${envId}/scheduled-changes`, { runAt, changes: [{ featureName: 'f', value: 'later' }] })).id;

  known = {
    orgId: [org],
    projectId: [projectId],
    envId: [envId],
    featureName: ['f', 'mv'],
    key: ['f', 'mv'],
    segmentId: [segmentId],
    tenantId: ['acme'],
    tenantKey: ['acme'],
    templateKey: ['enterprise'],
    identifier: ['i'],
    tokenId: ['tok_missing'],
    keyId: ['key_missing'],
    webhookId: [webhookId],
    deliveryId: ['dlv_missing'],
    changeRequestId: [changeRequestId],
    scheduledChangeId: [scheduledChangeId],
    version: ['1', '2'],
    'projects.key': [projectId],
    'environments.key': [envId],
    'weights.key': mv.options.map((option: { id: string }) => option.id),
  };
  victims = {
    deleteFeature: { featureName: ['doomed'] },
    deleteSegment: { segmentId: [victimSegmentId] },
    deleteTenant: { tenantKey: ['doomed-tenant'] },
    deleteTemplate: { templateKey: ['doomed-template'] },
    deleteIdentity: { identifier: ['doomed-user'] },
    deleteWebhook: { webhookId: [victimWebhookId] },
    deleteEnvironment: { envId: [victimEnvId] },
    rotateClientKey: { envId: [victimEnvId] },
    updateEnvironment: { envId: [victimEnvId] },
    deleteProject: { projectId: [victimProjectId] },
    revokeToken: { tokenId: [tokenId] },
    revokeServerKey: { keyId: [victimKeyId] },
  };
  counts = await countItems();
}, 120_000);

afterAll(async () => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
  console.log(`fuzz: ${requests} requests over ${routes.length} routes (${RUNS} per route, seed ${SEED ?? 'random'}) in ${seconds} s (${(scanMs / 1000).toFixed(1)} s of it reading the table back); statuses ${histogram}`);
  dynamo?.destroy();
  await api?.close();
});

/** Items in the table, audit records among them, and a digest of every item's key and version (so a change in place shows too). */
let counts: { items: number; audit: number; digest: string };
async function countItems(): Promise<typeof counts> {
  const begun = performance.now();
  let items = 0;
  let audit = 0;
  const hash = createHash('sha256');
  let start: Record<string, any> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: api.tableName,
        ProjectionExpression: 'pk, sk, #version, updatedAt',
        ExpressionAttributeNames: { '#version': 'version' },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      items++;
      if (item.pk?.S?.startsWith('AUDIT#')) audit++;
      hash.update(`${item.pk?.S}|${item.sk?.S}|${item.version?.N ?? ''}|${item.updatedAt?.S ?? ''}\n`);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  scanMs += performance.now() - begun;
  return { items, audit, digest: hash.digest('hex') };
}

interface Request {
  path: string;
  query: Record<string, string>;
  body: { json?: unknown; raw?: string } | undefined;
  credential: 'valid' | 'none' | 'garbage' | 'other-kind';
  ifMatch: string | undefined;
}

/** Hand-made bodies for the SDK routes, which validate in their handlers. */
const sdkBodies: Record<string, fc.Arbitrary<unknown>> = {
  postIdentityFlags: fc.record({
    identifier: fc.oneof(fc.constantFrom('i', 'new-user'), hostileString),
    traits: fc.array(
      fc.record({ trait_key: fc.oneof(fc.constantFrom(...RESERVED_KEYS, 'plan', 'tenant'), hostileString), trait_value: fc.oneof(fc.constantFrom('pro', 1, true, null), hostileValue), transient: fc.boolean() }, { requiredKeys: ['trait_key', 'trait_value'] }),
      { maxLength: 4 },
    ),
  }),
  postAnalytics: fc.dictionary(fc.oneof(fc.constantFrom('f', 'mv', ...RESERVED_KEYS), hostileString), fc.oneof(fc.integer({ min: 0, max: 100 }), hostileNumber())),
  ofrepEvaluateFlag: ofrepBody(),
  ofrepEvaluateFlags: ofrepBody(),
};
function ofrepBody() {
  return fc.record({ context: fc.dictionary(fc.oneof(fc.constantFrom('targetingKey', 'plan', ...RESERVED_KEYS), hostileString), fc.oneof(fc.constantFrom('i', 'pro'), hostileValue), { maxKeys: 4 }) });
}
function hostileNumber() {
  return fc.constantFrom(1e300, -1, 1e9 + 1, 0.5, 2 ** 53 + 2);
}
const sdkQueries: Record<string, fc.Arbitrary<Record<string, string>>> = {
  getIdentityFlags: fc.record({ identifier: fc.oneof(fc.constantFrom('i', 'new-user'), hostileString), transient: fc.constantFrom('true', 'false', 'x') }, { requiredKeys: [] }),
  getEnvironmentDocument: fc.record({ page: fc.oneof(forgedCursor, forgedCursor.map((cursor) => Buffer.from(JSON.stringify({ cursor, skip: '' })).toString('base64url')), hostileString) }, { requiredKeys: [] }),
};

function requestFor(route: Route): fc.Arbitrary<Request> {
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
  const knownHere: Known = { ...known, ...victims[route.operation] };
  const path = fc.tuple(...names.map((name) => pathSegment(knownHere[name] ?? []))).map((segments) => {
    let i = 0;
    return route.path.replace(/\{[^}]+\}/g, () => segments[i++] as string);
  });
  const queryKeys = route.query ? Object.keys((z.toJSONSchema(route.query, { io: 'input', unrepresentable: 'any' }) as { properties?: object }).properties ?? {}) : [];
  const query =
    sdkQueries[route.operation] ??
    fc.dictionary(fc.constantFrom(...queryKeys, 'limit', 'cursor', 'extra', '__proto__'), queryValue, { maxKeys: 3 });
  const hasBody = route.body !== undefined || route.operation in sdkBodies || route.method !== 'GET';
  const body = hasBody ? bodyFor(route.body, knownHere, sdkBodies[route.operation]) : fc.constant(undefined);
  return fc.record({
    path,
    query,
    body,
    credential: fc.oneof({ arbitrary: fc.constant('valid' as const), weight: 12 }, fc.constantFrom('none' as const, 'garbage' as const, 'other-kind' as const)),
    ifMatch,
  });
}

async function send(route: Route, request: Request) {
  const headers: Record<string, string> = {};
  const admin = route.access.credential === 'admin-token';
  const own = route.access.credential === 'admin-token' ? `Bearer ${api.adminToken}` : route.access.credential === 'environment-key' && route.access.server ? serverKey : clientKey;
  const garbage = `vxa_${'x'.repeat(3000)}`;
  if (admin) {
    if (request.credential === 'valid') headers.authorization = own;
    else if (request.credential === 'garbage') headers.authorization = `Bearer ${garbage}`;
    else if (request.credential === 'other-kind') headers.authorization = `Bearer ${clientKey}`;
  } else if (request.credential === 'valid') headers['x-environment-key'] = own;
  else if (request.credential === 'garbage') headers['x-environment-key'] = garbage;
  else if (request.credential === 'other-kind') headers.authorization = `Bearer ${api.adminToken}`;
  if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
  const search = new URLSearchParams(request.query).toString();
  const body = request.body?.raw ?? (request.body && 'json' in request.body ? JSON.stringify(request.body.json) : undefined);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api.url}${request.path}${search ? `?${search}` : ''}`, { method: route.method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, text };
}

// Tenant routes need a signed tenant token: test/integration/tenant-self-service.test.ts sends them forged, expired and cross-tenant ones.
const fuzzed = routes.filter((route) => route.access.credential !== 'tenant-token');
describe.each(fuzzed.map((route, i) => [`${route.method} ${route.path}`, route, i] as const))('%s', (_name, route, i) => {
  test.prop([fc.constant(route).chain(requestFor)], { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED + i } : {}) })(
    'never answers 5xx, and a refused request stores nothing',
    async (request) => {
    const before = counts;
    const reply = await send(route, request);
    requests++;
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    // A request that was accepted may have queued a background job (a purge after a delete):
    // let it finish, so the next refused request is compared with a table at rest.
    await api.jobs.idle();
    counts = await countItems();
    expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
    if (reply.text) expect(() => JSON.parse(reply.text), 'answers are JSON').not.toThrow();
    if (reply.status >= 400) expect(counts, `${reply.status} ${reply.text.slice(0, 200)}`).toEqual(before);
    },
    // The suite's bound, or more for a large `npm run fuzz`: requests are quick, but the machine may be busy.
    Math.max(300_000, RUNS * 10_000),
  );
});
