/**
 * The sdk-api's snapshot cache on DynamoDB Local: where the document-publisher has published an
 * environment, an expired snapshot costs one read of the marker and is rebuilt only when the
 * marker moved; without a marker it is rebuilt on every expiry, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../functions/domain/ports.js';
import { publishEnvironment } from '../../functions/domain/use-cases/publish-documents.js';
import { EnvironmentCache } from '../../functions/http/sdk/environment-cache.js';
import { recordingStore } from '../support/recording-store.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let envId: string;
let otherEnvId: string;

beforeAll(async () => {
  api = await startTestApi();
  const projectId: string = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'published' } })).body.environment.id;
  otherEnvId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'never-published' } })).body.environment.id;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout', initialValue: 'old' } });
  await publishEnvironment(api.deps, envId, ['seed']);
});
afterAll(() => api?.close());

/** The real store, counting snapshot rebuilds (environment reads) and marker reads. */
function countingStore(store: Store) {
  const { store: counted, reads } = recordingStore(store);
  const count = (type: string) => reads.filter((read) => read === `get:${type}`).length;
  return { counted, counts: () => ({ environmentReads: count('environment'), markerReads: count('published-document') }) };
}

const valueOf = async (cache: EnvironmentCache, id: string) => (await cache.snapshot(id))?.states.find((state) => state.featureName === 'checkout')?.value;

describe('snapshot freshness', () => {
  it('keeps a published snapshot while its marker is unchanged, and rebuilds once the marker moves', async () => {
    // Prepare
    let now = 0;
    const { counted, counts } = countingStore(api.deps.store);
    const cache = new EnvironmentCache(counted, { ttlMs: 1000, now: () => now });
    expect(await valueOf(cache, envId)).toBe('old');
    expect(counts()).toEqual({ environmentReads: 1, markerReads: 1 });

    // Act 1: expired, nothing published since
    now = 1500;
    expect(await valueOf(cache, envId)).toBe('old');

    // Assess 1: one marker read, no rebuild
    expect(counts()).toEqual({ environmentReads: 1, markerReads: 2 });

    // Act 2: a change, published
    await api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { body: { value: 'new' } });
    now = 2000; // within the interval checked at 1500: still the old snapshot
    expect(await valueOf(cache, envId)).toBe('old');
    await publishEnvironment(api.deps, envId, ['change']);
    now = 2600;

    // Assess 2
    expect(await valueOf(cache, envId)).toBe('new');
    expect(counts().environmentReads).toBe(2);
  });

  it('rebuilds an environment without a marker on every expiry, and any snapshot after the longest age', async () => {
    let now = 0;
    const { counted, counts } = countingStore(api.deps.store);
    const cache = new EnvironmentCache(counted, { ttlMs: 1000, maxAgeMs: 5000, now: () => now });
    await cache.snapshot(otherEnvId);
    await cache.snapshot(envId);

    now = 1500;
    await cache.snapshot(otherEnvId);
    await cache.snapshot(envId);
    expect(counts().environmentReads).toBe(3);

    now = 5500;
    await cache.snapshot(envId);
    expect(counts().environmentReads).toBe(4);
  });
});
