/**
 * Remote evaluation at scale, on DynamoDB Local: a cold sdk-api instance evaluating an identity
 * of a project with thousands of tenants reads its own tenant (one GetItem) and never the tenant
 * list, so a cold start costs the same with a hundred thousand tenants as with three; the
 * tenant read is kept with the snapshot, so a tenant change is served as soon as any other
 * change is. The environment document, which lists tenants in its conditions, still reads all.
 * Store calls are counted through a wrapping Store port around the real DynamoDB store.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../functions/domain/entities.js';
import { createSdkApi } from '../../functions/http/sdk-api.js';
import { recordingStore } from '../support/recording-store.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

const FILLER_TENANTS = 3000;

let api: TestApi;
let P: string;
let projectId: string;
let envId: string;
let clientKey: string;
let serverKey: string;
const E = () => `/admin/v1/environments/${envId}`;

const ok = (method: string, path: string, body?: unknown) => okCall(api, method, path, body);

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  ({ projectId, P, envId, clientKey, serverKey } = await projectWithEnvironment(api, 'Scale'));
  await ok('POST', `${P}/features`, { name: 'sso', initialValue: null });
  await ok('POST', `${P}/features`, { name: 'new_editor', initialValue: null });
  await ok('PUT', `${P}/templates/enterprise`, { rank: 0, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] });
  await ok('PUT', `${P}/templates/early-access`, { rank: 1 });
  await ok('PUT', `${E()}/templates/enterprise/values`, { values: { sso: { enabled: true } } });
  await ok('PUT', `${E()}/templates/early-access/values`, { values: { new_editor: { enabled: true } } });
  await ok('PUT', `${P}/tenants/acme`, { name: 'Acme', traits: { plan: 'enterprise' } });
  await ok('PUT', `${P}/tenants/globex`, { name: 'Globex', traits: { plan: 'free' }, templates: ['early-access'] });
  // Thousands more tenants, half of them enterprise, written straight to the table (the API would take minutes).
  const acme = (await api.deps.store.get({ type: 'tenant', projectId, key: 'acme' })) as Tenant;
  for (let start = 0; start < FILLER_TENANTS; start += 100) {
    const writes = Array.from({ length: Math.min(100, FILLER_TENANTS - start) }, (_, i) => {
      const n = start + i;
      const entity: Tenant = { ...acme, key: `filler-${n}`, name: `Filler ${n}`, traits: { plan: n % 2 ? 'enterprise' : 'free' }, version: 1 };
      return { kind: 'put' as const, entity, expect: 'absent' as const };
    });
    await api.deps.store.commit(writes);
  }
}, 600_000);
afterAll(() => api?.close());

/** A cold sdk-api instance (a new Lambda), on a store recording its reads; `ttlMs`: how long a snapshot is served unchecked. */
function coldSdkApi(ttlMs = 0) {
  const { store, reads } = recordingStore(api.deps.store);
  const handler = createSdkApi({ ...api.deps, store }, { ttlMs, maxAgeMs: Math.max(ttlMs, 60_000) });
  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const event = {
      routeKey: `${method} ${path}`,
      rawPath: path,
      headers: { 'x-environment-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      pathParameters: {},
      requestContext: { requestId: 'test' },
      isBase64Encoded: false,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    } as unknown as APIGatewayProxyEventV2;
    const reply = (await handler(event)) as APIGatewayProxyStructuredResultV2;
    expect(reply.statusCode, String(reply.body)).toBe(200);
    return JSON.parse(String(reply.body));
  };
  return { call, reads };
}

const flagsOf = (body: { flags: { feature: { name: string }; enabled: boolean }[] }) =>
  Object.fromEntries(body.flags.map((flag) => [flag.feature.name, flag.enabled]));

const identify = (sdk: ReturnType<typeof coldSdkApi>, identifier: string, tenant: string) =>
  sdk.call('POST', '/api/v1/identities', clientKey, { identifier, traits: [{ trait_key: 'tenant', trait_value: tenant }], transient: true });

describe(`remote evaluation with ${FILLER_TENANTS + 2} tenants`, () => {
  it('a cold evaluation reads the identity’s own tenant, never the tenant list, and one tenant read serves the instance', async () => {
    // The snapshot stays fresh for the whole test here: the tenant read is kept with it.
    const sdk = coldSdkApi(3_600_000);
    expect(flagsOf(await identify(sdk, 'alice', 'acme'))).toEqual({ sso: true, new_editor: false });
    expect(sdk.reads.filter((read) => read.endsWith(':tenants'))).toEqual([]);
    expect(sdk.reads.filter((read) => read === 'get:tenant')).toHaveLength(1);
    // Filler tenants evaluate by their own traits (the enterprise template's rule).
    expect(flagsOf(await identify(sdk, 'bob', 'filler-7'))).toEqual({ sso: true, new_editor: false });
    expect(flagsOf(await identify(sdk, 'carol', 'filler-8'))).toEqual({ sso: false, new_editor: false });
    expect(flagsOf(await identify(sdk, 'dave', 'globex'))).toEqual({ sso: false, new_editor: true });
    const reads = sdk.reads.length;
    // The same tenant again: read from the instance's copy.
    expect(flagsOf(await identify(sdk, 'erin', 'acme'))).toEqual({ sso: true, new_editor: false });
    expect(sdk.reads.slice(reads).filter((read) => read === 'get:tenant')).toEqual([]);
    expect(sdk.reads.filter((read) => read.endsWith(':tenants'))).toEqual([]);
  });

  it('OFREP reads the own tenant only too', async () => {
    const sdk = coldSdkApi();
    const body = await sdk.call('POST', '/ofrep/v1/evaluate/flags', clientKey, { context: { targetingKey: 'frank', tenant: 'filler-9' } });
    expect(Object.fromEntries(body.flags.map((flag: { key: string; value: unknown }) => [flag.key, flag.value]))).toMatchObject({ sso: true });
    expect(sdk.reads.filter((read) => read.endsWith(':tenants'))).toEqual([]);
    expect(sdk.reads.filter((read) => read === 'get:tenant')).toHaveLength(1);
  });

  it('a tenant change is served by a warm instance once its snapshot moves, as any other change is', async () => {
    const sdk = coldSdkApi();
    expect(flagsOf(await identify(sdk, 'gina', 'globex'))).toEqual({ sso: false, new_editor: true });
    await ok('PUT', `${P}/tenants/globex`, { name: 'Globex', traits: { plan: 'enterprise' } });
    // Wait for the condition (the snapshot's marker moves when the change is published).
    await expect.poll(async () => flagsOf(await identify(sdk, 'gina', 'globex')), { timeout: 120_000, interval: 50 }).toMatchObject({ sso: true });
    expect(sdk.reads.filter((read) => read.endsWith(':tenants'))).toEqual([]);
  }, 180_000);

  it('the environment document still lists every tenant in its conditions', async () => {
    const sdk = coldSdkApi();
    const document = JSON.stringify(await sdk.call('GET', '/api/v1/environment-document', serverKey));
    expect(document).toContain(`filler-${FILLER_TENANTS - 1}`);
    expect(sdk.reads).toContain('listAll:tenants');
  });
});
