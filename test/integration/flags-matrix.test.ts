/**
 * GET /admin/v1/projects/{projectId}/flags-matrix over real HTTP on DynamoDB Local: the flags
 * page in one answer (features once, slim states per environment), agreeing with the routes it
 * replaces, with a read count that does not grow with the number of features.
 * (Which environments a caller limited to some sees: test/integration/authorization-matrix.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { responses } from '../../functions/http/responses.js';
import { okCall, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let devId: string;
let prodId: string;
const P = () => `/admin/v1/projects/${projectId}`;
const FS = (envId: string, name: string) => `/admin/v1/environments/${envId}/feature-states/${name}`;
const LONG = 'x'.repeat(100);

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await okCall(api, 'POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name: 'Shop' })).id;
  devId = (await okCall(api, 'POST', `${P()}/environments`, { name: 'development' })).environment.id;
  prodId = (await okCall(api, 'POST', `${P()}/environments`, { name: 'production' })).environment.id;
  await okCall(api, 'POST', `${P()}/features`, { name: 'new_checkout', description: 'The one-page checkout', tags: ['checkout', 'web'], initialValue: 'v1' });
  await okCall(api, 'POST', `${P()}/features`, { name: 'banner', initialValue: { text: LONG } });
  await okCall(api, 'POST', `${P()}/features`, { name: 'untouched', defaultEnabled: true });
  await okCall(api, 'PATCH', FS(devId, 'new_checkout'), { enabled: true, value: 'v2' });
  await okCall(api, 'PATCH', FS(devId, 'new_checkout'), { enabled: true, value: 'v3' });
  const segmentId = (await okCall(api, 'POST', `${P()}/segments`, { name: 'pro', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] })).id;
  await okCall(api, 'PUT', `${FS(devId, 'new_checkout')}/segment-overrides/${segmentId}`, { enabled: false });
  await okCall(api, 'PUT', `${FS(devId, 'new_checkout')}/tenant-overrides/acme`, { enabled: true });
  await okCall(api, 'PUT', `${FS(devId, 'new_checkout')}/tenant-overrides/globex`, { enabled: true });
  await okCall(api, 'PUT', `/admin/v1/environments/${prodId}/identities/ada`, { traits: { plan: 'pro' } });
  await okCall(api, 'PUT', `/admin/v1/environments/${prodId}/identities/ada/overrides/banner`, { enabled: true, value: { text: 'hi' } });
});
afterAll(() => api?.close());

describe('the flags matrix', () => {
  it('answers every feature once and its state in every environment, as the per-environment routes do', async () => {
    // Act
    const reply = await api.call('GET', `${P()}/flags-matrix`);

    // Assess
    expect(reply.status).toBe(200);
    const matrix = responses.getFlagsMatrix?.parse(reply.body) as typeof reply.body;
    expect(matrix.features.map((f: { name: string }) => f.name)).toEqual(['banner', 'new_checkout', 'untouched']);
    expect(matrix.features[1]).toMatchObject({ name: 'new_checkout', description: 'The one-page checkout', tags: ['checkout', 'web'], kind: 'STANDARD', valueType: 'string' });
    expect(matrix.environments.map((e: { name: string; writable: boolean }) => [e.name, e.writable])).toEqual([
      ['development', true],
      ['production', true],
    ]);
    const [dev, prod] = matrix.environments;
    expect(dev.states[1]).toEqual({ enabled: true, value: 'v3', truncated: false, version: 2, overrides: { segments: 1, tenants: 2, identities: 0 } });
    expect(prod.states[0]).toEqual({ enabled: false, value: `{"text":"${'x'.repeat(71)}`, truncated: true, version: 0, overrides: { segments: 0, tenants: 0, identities: 1 } });
    expect(prod.states[2]).toEqual({ enabled: true, value: null, truncated: false, version: 0, overrides: { segments: 0, tenants: 0, identities: 0 } });
    // The same on/off and versions as each environment's own list.
    for (const environment of matrix.environments) {
      const listed = (await okCall(api, 'GET', `/admin/v1/environments/${environment.id}/feature-states`)).items as { featureName: string; enabled: boolean; version: number }[];
      const byName = new Map(listed.map((state) => [state.featureName, state]));
      matrix.features.forEach((feature: { name: string }, i: number) => {
        expect([environment.states[i].enabled, environment.states[i].version]).toEqual([byName.get(feature.name)?.enabled, byName.get(feature.name)?.version]);
      });
    }
  });

  it('gives the version a change must name: a change with it succeeds, and the old one then conflicts', async () => {
    // Arrange
    const before = (await okCall(api, 'GET', `${P()}/flags-matrix`)).environments[1].states[2];

    // Act
    const changed = await api.call('PATCH', FS(prodId, 'untouched'), { body: { enabled: !before.enabled, version: before.version } });
    const stale = await api.call('PATCH', FS(prodId, 'untouched'), { body: { enabled: before.enabled, version: before.version } });

    // Assess
    expect(changed.status).toBe(200);
    expect(stale.status).toBe(409);
    const after = (await okCall(api, 'GET', `${P()}/flags-matrix`)).environments[1].states[2];
    expect(after).toMatchObject({ enabled: !before.enabled, version: before.version + 1 });
  });

  it('reads each partition once per environment, however many features there are (no read per feature)', async () => {
    // Arrange
    const project = (await okCall(api, 'POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name: 'Counted' })).id;
    for (const name of ['a', 'b', 'c']) await okCall(api, 'POST', `/admin/v1/environments/${(await okCall(api, 'POST', `/admin/v1/projects/${project}/environments`, { name })).environment.id}/server-keys`, { name: 's' });
    const reads = async () => {
      const list = vi.spyOn(api.deps.store, 'list');
      const get = vi.spyOn(api.deps.store, 'get');
      try {
        const matrix = await okCall(api, 'GET', `/admin/v1/projects/${project}/flags-matrix`);
        return { lists: list.mock.calls.map(([collection]) => collection.of).sort(), gets: get.mock.calls.length, features: matrix.features.length };
      } finally {
        list.mockRestore();
        get.mockRestore();
      }
    };
    await okCall(api, 'POST', `/admin/v1/projects/${project}/features`, { name: 'first' });
    const few = await reads();
    for (let i = 0; i < 10; i++) await okCall(api, 'POST', `/admin/v1/projects/${project}/features`, { name: `flag_${i}` });

    // Act
    const many = await reads();

    // Assess
    expect([few.features, many.features]).toEqual([1, 11]);
    expect(many).toEqual({ ...few, features: 11 });
    const perEnvironment = ['environment-identity-overrides', 'feature-states', 'segment-overrides', 'tenant-overrides'];
    expect(many.lists).toEqual(['environments', 'features', ...perEnvironment.flatMap((of) => [of, of, of])].sort());
  });

  it('answers 404 for a project that does not exist', async () => {
    expect((await api.call('GET', '/admin/v1/projects/prj_missing/flags-matrix')).status).toBe(404);
  });
});
