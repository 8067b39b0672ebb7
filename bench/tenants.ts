/**
 * Tenants at scale (issue 16): for 1k, 10k and 100k tenants of one project, with three segments
 * on tenant traits (`tenant.plan EQUAL enterprise`, `tenant.plan IN pro,enterprise`,
 * `tenant.seats >= 100`), 10 templates (6 by a tenant-trait rule, 4 by assignment) and 20 tenant
 * overrides, on DynamoDB Local:
 * - the Flagsmith environment document's bytes (each tenant condition compiled into an IN list),
 *   and the bytes of one tenant's document (a server key scoped to that tenant),
 * - the snapshot load with every tenant (what the environment document is built from) and without
 *   any (what an sdk-api instance loads for evaluation: it reads the identity's own tenant),
 * - a cold remote evaluation: the first `POST identities/` of a new sdk-api instance,
 * - evaluation µs per identity in the engine (remote evaluation, in-process, no I/O),
 * - p50 / p99 of a remote evaluation (`POST identities/`) through the warm SDK API handler.
 * Reports; never fails.
 *
 * Tenants are written with BatchWriteItem, straight to the table: the API's document-room check
 * reads the whole environment per write, which would make seeding 100k tenants quadratic.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Organisation, Tenant } from '../functions/domain/entities.js';
import { loadSnapshot, tenantRecordOf } from '../functions/domain/environment-snapshot.js';
import { evaluateIdentity } from '../functions/domain/identities.js';
import { createFeature } from '../functions/domain/use-cases/features.js';
import { bootstrapOrganisation, createApiKey, createEnvironment, createProject } from '../functions/domain/use-cases/organisation.js';
import type { Actor, Deps } from '../functions/domain/use-cases/support.js';
import { createSegment, putSegmentOverride, putTenantOverride } from '../functions/domain/use-cases/targeting.js';
import { putTemplate, putTemplateValues } from '../functions/domain/use-cases/templates.js';
import { createSdkApi } from '../functions/http/sdk-api.js';
import { event, percentile } from './sdk-api.js';
import { withBenchTable } from './stack.js';
import { itemOf } from '../functions/data/dynamo-store.js';

const COUNTS = [1_000, 10_000, 100_000];
const PLANS = ['free', 'free', 'free', 'free', 'free', 'free', 'pro', 'pro', 'pro', 'enterprise'];
const IDENTITIES = 2_000;

/** The templates by assignment, and which tenants (by i) each is assigned to: 1%, 2%, 2% and 5%. */
const ASSIGNED: [string, (i: number) => boolean][] = [
  ['early-access', (i) => i % 100 === 3],
  ['beta-a', (i) => i % 50 === 5],
  ['beta-b', (i) => i % 50 === 7],
  ['partner', (i) => i % 20 === 11],
];

/** Tenant `t-<i>`: a plan by i (60% free, 30% pro, 10% enterprise), seats by i, assigned templates by i. */
const tenantOf = (orgId: string, projectId: string, i: number, at: string): Tenant => ({
  type: 'tenant',
  orgId,
  projectId,
  key: `t-${i}`,
  name: `Tenant ${i}`,
  traits: { plan: PLANS[i % PLANS.length]!, seats: (i * 7) % 500, region: i % 2 ? 'eu' : 'us' },
  templates: ASSIGNED.filter(([, assigned]) => assigned(i)).map(([key]) => key),
  createdAt: at,
  updatedAt: at,
  version: 1,
});

async function writeTenants(client: DynamoDBDocumentClient, tableName: string, tenants: Tenant[]): Promise<void> {
  const batches: Tenant[][] = [];
  for (let i = 0; i < tenants.length; i += 25) batches.push(tenants.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let requests = batch.map((tenant) => ({ PutRequest: { Item: itemOf(tenant) } }));
      while (requests.length) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function benchCount(deps: Deps, client: DynamoDBDocumentClient, tableName: string, organisation: Organisation, actor: Actor, count: number): Promise<string> {
  const project = await createProject(deps, actor, organisation, { name: `tenants-${count}`, tenantTraitKey: 'tenant' });
  const { environment } = await createEnvironment(deps, actor, project, { name: 'production' });
  const feature = (name: string, initialValue: boolean | number) =>
    createFeature(deps, actor, project, { name, type: 'STANDARD', defaultEnabled: true, initialValue, options: [], tags: [], description: '', owner: null });
  await feature('sso', false);
  await feature('max_seats', 5);
  await feature('beta', false);
  const segment = (name: string, conditions: { operator: string; property: string; value: string }[]) =>
    createSegment(deps, actor, project, { name, description: '', rules: [{ type: 'ALL', conditions, rules: [] }] } as never);
  const enterprise = await segment('enterprise', [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }]);
  const paid = await segment('paid', [{ operator: 'IN', property: 'tenant.plan', value: 'pro,enterprise' }]);
  const big = await segment('big', [{ operator: 'GREATER_THAN_INCLUSIVE', property: 'tenant.seats', value: '100' }]);
  await putSegmentOverride(deps, actor, environment, project, 'sso', enterprise.id, { enabled: true, value: true, priority: 1 });
  await putSegmentOverride(deps, actor, environment, project, 'max_seats', paid.id, { enabled: true, value: 50, priority: 1 });
  await putSegmentOverride(deps, actor, environment, project, 'beta', big.id, { enabled: true, value: true, priority: 1 });
  // Ten templates: six by a tenant-trait rule (60%, 30%, 10%, 80%, 20% and 50% of the tenants), four by assignment.
  const condition = (property: string, operator: string, value: string) => [{ type: 'ALL' as const, conditions: [{ property, operator, value }] }];
  const ruled: [string, ReturnType<typeof condition>][] = [
    ['free', condition('tenant.plan', 'EQUAL', 'free')],
    ['pro', condition('tenant.plan', 'EQUAL', 'pro')],
    ['enterprise', condition('tenant.plan', 'EQUAL', 'enterprise')],
    ['seats-100', condition('tenant.seats', 'GREATER_THAN_INCLUSIVE', '100')],
    ['seats-400', condition('tenant.seats', 'GREATER_THAN_INCLUSIVE', '400')],
    ['eu', condition('tenant.region', 'EQUAL', 'eu')],
  ];
  const templates = [...ruled, ...ASSIGNED.map(([key]): [string, ReturnType<typeof condition>] => [key, []])];
  for (const [rank, [key, rules]] of templates.entries()) {
    await putTemplate(deps, actor, project, key, { rank, rules, description: '' } as never);
    await putTemplateValues(deps, actor, environment, project, key, { values: { max_seats: { enabled: true, value: 10 + rank }, ...(rank % 2 ? { beta: { enabled: true, value: true } } : {}) } } as never);
  }
  // Tenant overrides first, while the project has no tenants (each write checks the document's room).
  for (let i = 0; i < 20; i++) await putTenantOverride(deps, actor, environment, project, 'beta', `t-${i * 37}`, { enabled: true, value: true });
  const at = new Date().toISOString();
  const seedStarted = performance.now();
  await writeTenants(client, tableName, Array.from({ length: count }, (_, i) => tenantOf(project.orgId, project.id, i, at)));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const { secret: clientKey } = await createApiKey(deps, actor, environment, 'client', 'bench');
  const { secret: serverKey } = await createApiKey(deps, actor, environment, 'server', 'bench');
  const { secret: tenantKey } = await createApiKey(deps, actor, environment, 'server', 'bench t-3', 't-3');

  // The snapshot documents are built from (every tenant), and the one a Lambda instance loads for evaluation (none).
  const loadStarted = performance.now();
  const full = (await loadSnapshot(deps.store, environment.id))!;
  const loadMs = performance.now() - loadStarted;
  const ownStarted = performance.now();
  const snapshot = (await loadSnapshot(deps.store, environment.id, { tenants: 'own' }))!;
  const ownLoadMs = performance.now() - ownStarted;
  // The engine's cost per identity, given its tenant's record (as the sdk-api passes it, read once per instance).
  const records = new Map(full.tenants.map((tenant) => [tenant.key, tenantRecordOf(tenant)]));
  const identities = Array.from({ length: IDENTITIES }, (_, i) => ({ identifier: `user-${i}`, traits: { tenant: `t-${(i * 7919) % count}` } }));
  for (const identity of identities.slice(0, 200)) evaluateIdentity(snapshot, identity.identifier, identity.traits, [], records.get(identity.traits.tenant));
  const engineStarted = process.hrtime.bigint();
  for (const identity of identities) evaluateIdentity(snapshot, identity.identifier, identity.traits, [], records.get(identity.traits.tenant));
  const engineUs = Number(process.hrtime.bigint() - engineStarted) / 1000 / identities.length;

  // A cold remote evaluation: a new instance's first request (key, marker, snapshot, identity, its tenant).
  const cold = createSdkApi(deps, { ttlMs: 600_000 });
  const coldStarted = performance.now();
  await cold(event('postIdentityFlags', { 'x-environment-key': clientKey }, { identifier: 'cold', traits: [{ trait_key: 'tenant', trait_value: 't-1' }], transient: true }));
  const coldEvaluationMs = performance.now() - coldStarted;

  const handler = createSdkApi(deps, { ttlMs: 600_000 });
  const documentStarted = performance.now();
  const document = await handler(event('getEnvironmentDocument', { 'x-environment-key': serverKey }));
  const coldDocumentMs = performance.now() - documentStarted;
  const bytes = Buffer.byteLength(String(document.body ?? ''));
  const tenantDocument = await createSdkApi(deps, { ttlMs: 600_000 })(event('getEnvironmentDocument', { 'x-environment-key': tenantKey }));
  const tenantBytes = Buffer.byteLength(String(tenantDocument.body ?? ''));
  const post = (identity: (typeof identities)[number]) =>
    event('postIdentityFlags', { 'x-environment-key': clientKey }, { identifier: identity.identifier, traits: Object.entries(identity.traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) });
  // First sight stores each identity; the figure is for returning identities on a warm handler.
  for (const identity of identities) await handler(post(identity));
  const times: number[] = [];
  for (const identity of identities) {
    const request = post(identity);
    const started = performance.now();
    await handler(request);
    times.push(performance.now() - started);
  }
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  return [
    `${String(count).padStart(7)} tenants`,
    `document ${(bytes / 1024).toFixed(1).padStart(7)} KiB, one tenant's ${(tenantBytes / 1024).toFixed(1)} KiB`,
    `snapshot load all tenants ${loadMs.toFixed(0).padStart(5)} ms / for evaluation ${ownLoadMs.toFixed(0).padStart(4)} ms (cold document ${coldDocumentMs.toFixed(0)} ms)`,
    `cold POST identities/ ${coldEvaluationMs.toFixed(0).padStart(4)} ms`,
    `engine ${engineUs.toFixed(1).padStart(6)} µs/identity`,
    `POST identities/ p50 ${us(percentile(times, 50))} p99 ${us(percentile(times, 99))}`,
    `(seeded in ${seedSeconds.toFixed(1)} s)`,
  ].join(' | ');
}

export async function runTenantsBench(): Promise<void> {
  console.log('\n## Tenants at scale: 3 segments on tenant traits, 10 templates, 20 tenant overrides, 3 features, DynamoDB Local');
  // `BENCH_TENANTS=1000,10000 npm run bench -- tenants` runs fewer sizes.
  const counts = process.env.BENCH_TENANTS?.split(',').map(Number) ?? COUNTS;
  await withBenchTable(async ({ deps, client, tableName }) => {
    const { organisation, token } = await bootstrapOrganisation(deps, { name: 'tenants bench' });
    for (const count of counts) console.log(await benchCount(deps, client, tableName, organisation, token, count));
  });
}
