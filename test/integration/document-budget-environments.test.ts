/**
 * A project-level write (feature, segment) reserves room in every environment's document: one
 * size-bound addition per environment. DynamoDB holds 100 writes per transaction, and a project
 * may have more environments than that; the additions that do not fit are committed right after
 * the write. Here on DynamoDB Local, with 100 environments: the writes land (they used to be a
 * 500) and every environment's bound still covers its document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureDocument, readDocumentSize } from '../../functions/domain/use-cases/document-budget.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

const ENVIRONMENTS = 100;

let api: TestApi;
let P: string;
let envIds: string[];
const ok = (method: string, path: string, body?: unknown) => okCall(api, method, path, body);

/** Each environment's bound and its document's exact size. */
async function boundsAndDocuments() {
  return Promise.all(
    envIds.map(async (envId) => ({ envId, bound: (await readDocumentSize(api.deps.store, envId))?.bytes, document: await measureDocument(api.deps.store, envId) })),
  );
}

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  let envId: string;
  ({ P, envId } = await projectWithEnvironment(api, 'Many environments'));
  envIds = [envId];
  for (let start = 1; start < ENVIRONMENTS; start += 10) {
    const batch = Array.from({ length: Math.min(10, ENVIRONMENTS - start) }, (_, i) => `env-${start + i}`);
    envIds.push(...(await Promise.all(batch.map(async (name) => (await ok('POST', `${P}/environments`, { name })).environment.id as string))));
  }
  await ok('POST', `${P}/features`, { name: 'base', initialValue: true });
}, 300_000);
afterAll(() => api?.close());

describe(`a project of ${ENVIRONMENTS} environments`, () => {
  it('takes growing feature and segment writes, and every bound still covers its document', async () => {
    // The feature, its event, its prerequisite's check and 100 bound additions: more than one transaction holds.
    await ok('POST', `${P}/features`, { name: 'checkout', initialValue: 'v'.repeat(2_000), prerequisites: [{ featureName: 'base' }] });
    const feature = await ok('GET', `${P}/features/checkout`);
    await ok('PATCH', `${P}/features/checkout`, { version: feature.version, initialValue: 'w'.repeat(4_000) });
    await ok('POST', `${P}/segments`, { name: 'big-spenders', rules: [{ type: 'ALL', conditions: [{ operator: 'IN', property: 'customer', value: 'c'.repeat(3_000) }] }] });

    const sizes = await boundsAndDocuments();
    // Every document carries the 4,000-byte value (the last environments' bounds were added after the write's transaction).
    for (const { envId, bound, document } of sizes) {
      expect(document, envId).toBeGreaterThan(4_000 + 3_000);
      expect(bound, envId).toBeGreaterThanOrEqual(document as number);
    }
  });
});
