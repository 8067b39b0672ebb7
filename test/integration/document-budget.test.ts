/**
 * The document budget's check on DynamoDB Local, with every store call counted through the real
 * store: a growing write reads one size bound per environment, never the project's tenants nor
 * the environments' documents; the document is measured only when the bound says "full", so a
 * bound left high by shrinking writes refuses nothing that fits; concurrent growing writes all
 * land and the bound stays at or above the document it bounds. (Refusals at 4 MiB, with nothing
 * written: hostile-input.test.ts, item 5.)
 */
import { fc } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../functions/domain/entities.js';
import { LIMITS } from '../../functions/domain/limits.js';
import type { Store } from '../../functions/domain/ports.js';
import { growDocument, measureDocument, readDocumentSize } from '../../functions/domain/use-cases/document-budget.js';
import { publishEnvironment } from '../../functions/domain/use-cases/publish-documents.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

const FILLER_TENANTS = 300;

let api: TestApi;
let P: string;
let projectId: string;
let envIds: string[];
const ok = (method: string, path: string, body?: unknown) => okCall(api, method, path, body);
const fs = (envId: string, name: string) => `/admin/v1/environments/${envId}/feature-states/${name}`;

/** Every store call made while `work` runs: `get:<type>`, `list:<collection>`, `listAll:<collection>`, `commit`. */
async function calls(work: () => Promise<unknown>): Promise<string[]> {
  const store = api.deps.store as Store;
  const seen: string[] = [];
  const { get, list, listAll, commit } = store;
  // Own properties on the instance the API uses (as test-api's forgetOnWrite does), restored after.
  Object.assign(store, {
    get: (ref: Parameters<Store['get']>[0]) => (seen.push(`get:${ref.type}`), get.call(store, ref)),
    list: (collection: Parameters<Store['list']>[0], page: Parameters<Store['list']>[1]) => (seen.push(`list:${collection.of}`), list.call(store, collection, page)),
    listAll: (collection: Parameters<Store['listAll']>[0]) => (seen.push(`listAll:${collection.of}`), listAll.call(store, collection)),
    commit: (writes: Parameters<Store['commit']>[0]) => (seen.push('commit'), commit.call(store, writes)),
  });
  try {
    await work();
  } finally {
    Object.assign(store, { get, list, listAll, commit });
  }
  return seen;
}

/** Reads of what only a built document needs: the tenant list and the environments' contents. */
const documentReads = (seen: string[]) => seen.filter((call) => /^list(All)?:(tenants|feature-states|segment-overrides|tenant-overrides|template-values)$/.test(call));

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  let envId: string;
  ({ projectId, P, envId } = await projectWithEnvironment(api, 'Budget'));
  const staging = (await ok('POST', `${P}/environments`, { name: 'staging' })).environment.id as string;
  envIds = [envId, staging];
  // A template on a tenant trait: every document lists tenants in IN conditions, so building one reads every tenant.
  await ok('PUT', `${P}/templates/enterprise`, { rank: 0, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] });
  await ok('PUT', `${P}/tenants/acme`, { name: 'Acme', traits: { plan: 'enterprise' } });
  const acme = (await api.deps.store.get({ type: 'tenant', projectId, key: 'acme' })) as Tenant;
  for (let start = 0; start < FILLER_TENANTS; start += 100) {
    await api.deps.store.commit(
      Array.from({ length: 100 }, (_, i) => ({ kind: 'put' as const, entity: { ...acme, key: `filler-${start + i}`, name: `Filler ${start + i}`, traits: { plan: 'free' }, version: 1 }, expect: 'absent' as const })),
    );
  }
  for (const name of ['banner', 'theme', 'copy', 'limits']) await ok('POST', `${P}/features`, { name, initialValue: 'x' });
}, 120_000);
afterAll(() => api?.close());

describe('a growing write', () => {
  it('reads one size bound per environment, never the tenants or a document', async () => {
    const created = await calls(() => ok('POST', `${P}/features`, { name: 'checkout', initialValue: 'v'.repeat(500) }));
    expect(documentReads(created)).toEqual([]);
    expect(created.filter((call) => call === 'get:document-size')).toHaveLength(envIds.length);
    expect(created.filter((call) => call === 'commit')).toHaveLength(1);

    const patched = await calls(() => ok('PATCH', fs(envIds[0] as string, 'banner'), { value: 'hello, '.repeat(200) }));
    expect(documentReads(patched)).toEqual([]);
    expect(patched.filter((call) => call === 'get:document-size')).toHaveLength(1);

    // A tenant moving into the enterprise template's IN list grows every document by its key.
    const moved = await calls(() => ok('PUT', `${P}/tenants/filler-7`, { name: 'Filler 7', traits: { plan: 'enterprise' } }));
    expect(documentReads(moved)).toEqual([]);
    expect(moved.filter((call) => call === 'get:document-size')).toHaveLength(envIds.length);
  });

  it('measures the document when the bound says "full", accepts what fits, and brings the bound back down', async () => {
    const [envId] = envIds as [string];
    // A bound far above the document (as deletions and shrinking values leave it).
    await api.deps.store.commit([growDocument(envId, LIMITS.documentBytes)]);
    const measured = await calls(() => ok('PATCH', fs(envId, 'theme'), { value: 'dark'.repeat(100) }));
    expect(measured).toContain('listAll:tenants');
    const bound = (await readDocumentSize(api.deps.store, envId))?.bytes ?? 0;
    const actual = (await measureDocument(api.deps.store, envId)) ?? 0;
    expect(bound).toBeGreaterThanOrEqual(actual);
    expect(bound).toBeLessThan(actual + 4 * 1024);
    // Trusted again: the next growing write reads no document.
    expect(documentReads(await calls(() => ok('PATCH', fs(envId, 'theme'), { value: 'light'.repeat(100) })))).toEqual([]);
  });

  it('is brought to the measured document by the document-publisher, which builds it anyway', async () => {
    const [, envId] = envIds as [string, string];
    await api.deps.store.commit([growDocument(envId, 123_456)]);
    await publishEnvironment(api.deps, envId, ['budget-test-rebase']);
    expect((await readDocumentSize(api.deps.store, envId))?.bytes).toBe(await measureDocument(api.deps.store, envId));
  });

  it('lands when many run at once in one environment, and the bound still covers the document', async () => {
    const [envId] = envIds as [string];
    const names = Array.from({ length: 10 }, (_, i) => `parallel${i}`);
    for (const name of names) await ok('POST', `${P}/features`, { name, initialValue: '' });
    const replies = await Promise.all(names.map((name, i) => api.call('PATCH', fs(envId, name), { body: { value: String(i).repeat(3000) } })));
    expect(replies.map((reply) => reply.status)).toEqual(names.map(() => 200));
    expect((await readDocumentSize(api.deps.store, envId))?.bytes).toBeGreaterThanOrEqual((await measureDocument(api.deps.store, envId)) ?? Infinity);
  });

  it('keeps the bound at or above the document whatever values grow or shrink (property)', async () => {
    const [, envId] = envIds as [string, string];
    const names = ['banner', 'theme', 'copy', 'limits'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ feature: fc.constantFrom(...names), length: fc.nat({ max: 6000 }), char: fc.constantFrom('a', '"', '\\', 'é', '\n') }), { minLength: 1, maxLength: 6 }), async (changes) => {
        for (const change of changes) await ok('PATCH', fs(envId, change.feature), { value: change.char.repeat(change.length) });
        const bound = (await readDocumentSize(api.deps.store, envId))?.bytes ?? 0;
        expect(bound).toBeGreaterThanOrEqual((await measureDocument(api.deps.store, envId)) ?? Infinity);
      }),
      { numRuns: 8 },
    );
  });
});
