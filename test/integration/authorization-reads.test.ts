/**
 * What the management API reads to authorise a request, in round trips to DynamoDB: the token
 * with what the path names first (one BatchGetItem), then that thing's project and organisation
 * together. Every management request pays them before its own work, so each one avoided is
 * latency every caller notices. Counted on the real store over DynamoDB Local.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApi } from '../../functions/http/admin-api.js';
import { recordingStore } from '../support/recording-store.js';
import { projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let ids: { projectId: string; envId: string };
let stranger: { organisationId: string; adminToken: string };
beforeAll(async () => {
  api = await startTestApi();
  ids = await projectWithEnvironment(api, 'reads');
  stranger = await api.newOrganisation('Stranger');
}, 600_000);
afterAll(() => api?.close());

/** GET `route` (its path parameters filled from `params`) on a fresh admin API whose store records each round trip. */
async function get(route: string, params: Record<string, string>, token = api.adminToken) {
  const { store, reads: trips } = recordingStore(api.deps.store);
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!);
  const event = { routeKey: `GET ${route}`, rawPath: path, headers: { authorization: `Bearer ${token}` }, pathParameters: params, requestContext: { requestId: 'test' }, isBase64Encoded: false };
  const reply = (await createAdminApi({ ...api.deps, store })(event as unknown as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
  return { status: reply.statusCode, body: JSON.parse(String(reply.body)), trips };
}

describe('authorising a management API request', () => {
  it('reads an environment with its token, then its project and organisation together: two round trips', async () => {
    const reply = await get('/admin/v1/environments/{envId}', { envId: ids.envId });
    expect(reply.status).toBe(200);
    expect(JSON.stringify(reply.body)).toContain(ids.envId);
    expect(reply.trips).toEqual(['getMany:token+environment', 'getMany:project+organisation']);
  });

  it('reads a project with its token, then its organisation', async () => {
    const reply = await get('/admin/v1/projects/{projectId}', { projectId: ids.projectId });
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(ids.projectId);
    expect(reply.trips).toEqual(['getMany:token+project', 'get:organisation']);
  });

  it('reads an organisation with its token: one round trip', async () => {
    const reply = await get('/admin/v1/organisations/{orgId}', { orgId: api.organisationId });
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(api.organisationId);
    expect(reply.trips).toEqual(['getMany:token+organisation']);
  });

  it('still answers another organisation’s environment as not found, and an unknown token as unauthenticated', async () => {
    const foreign = await get('/admin/v1/environments/{envId}', { envId: ids.envId }, stranger.adminToken);
    const missing = await get('/admin/v1/environments/{envId}', { envId: 'env_nowhere' }, stranger.adminToken);
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toBe(missing.body.message.replace('env_nowhere', ids.envId));
    const unknown = await get('/admin/v1/environments/{envId}', { envId: ids.envId }, 'vxa_unknown');
    expect(unknown.status).toBe(401);
    expect(unknown.trips).toEqual(['getMany:token+environment']);
  });

  it('checks a scoped token’s roles still name live resources in one more round trip', async () => {
    const roles = { projects: { [ids.projectId]: 'viewer' }, environments: { [ids.envId]: 'viewer' } };
    const token = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'scoped', roles } })).body.token as string;
    const reply = await get('/admin/v1/environments/{envId}', { envId: ids.envId }, token);
    expect(reply.status).toBe(200);
    expect(reply.trips).toEqual(['getMany:token+environment', 'getMany:project+organisation', 'getMany:project+environment']);
  });
});
