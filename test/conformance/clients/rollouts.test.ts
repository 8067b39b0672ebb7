/**
 * Rollouts in Flagsmith-format documents: the unmodified flagsmith-nodejs SDK evaluating our
 * environment document locally serves a rollout to exactly the identities our engine does,
 * for 10,000 identities at two steps (and keeps them as the percentage grows), with a segment
 * override still outranking the rollout; and remote evaluation over HTTP agrees on a sample.
 */
import { Flagsmith } from 'flagsmith-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../../functions/domain/environment-snapshot.js';
import { startTestApi, type TestApi } from '../../support/test-api.js';
import { testEnvironment } from '../../support/test-environment.js';

let api: TestApi;
let envId: string;
let clientKey: string;
let serverKey: string;
let rolloutPath: string;
const clients: Flagsmith[] = [];
const identities = Array.from({ length: 10_000 }, (_, i) => ({ identifier: `user-${i}`, traits: { staff: i % 50 === 0 } }));

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  const test = await testEnvironment(api, 'Rollouts');
  const { call, projectId } = test;
  ({ envId, clientKey, serverKey } = test);
  await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'checkout', initialValue: 'v1' });
  const layout = await call('POST', `/admin/v1/projects/${projectId}/features`, {
    name: 'layout',
    type: 'MULTIVARIATE',
    initialValue: 'classic',
    defaultEnabled: true,
    options: [{ value: 'grid', defaultWeight: 20 }, { value: 'list', defaultWeight: 0 }],
  });
  // Staff get their own value of checkout: segment overrides keep winning over a rollout.
  const staff = (await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'staff', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'staff', value: 'true' }] }] })).id;
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/checkout/segment-overrides/${staff}`, { enabled: false, value: 'staff' });
  rolloutPath = `/admin/v1/environments/${envId}/rollouts/${(await call('POST', `/admin/v1/environments/${envId}/rollouts`, { featureName: 'checkout', target: { value: 'v2' }, steps: { type: 'percentages', percentages: [25, 60] }, bakeSeconds: 86_400 })).id}`;
  await call('POST', `/admin/v1/environments/${envId}/rollouts`, { featureName: 'layout', target: { variant: layout.options[1].id }, steps: { type: 'percentages', percentages: [30] }, bakeSeconds: 86_400 });
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await api?.close();
});

/** A fresh local-evaluation client (so it reads the document as it is now). */
async function localClient() {
  const client = new Flagsmith({ environmentKey: serverKey, apiUrl: `${api.url}/api/v1/`, enableLocalEvaluation: true, retries: 0, requestTimeoutSeconds: 300 });
  clients.push(client);
  await client.getEnvironmentFlags();
  return client;
}

/** For each identity: checkout and layout, as flagsmith-nodejs evaluates the document and as our engine does. */
async function both() {
  const local = await localClient();
  const snapshot = await loadSnapshot(api.deps.store, envId);
  const differences: string[] = [];
  const rolledOut = new Set<string>();
  for (const [i, { identifier, traits }] of identities.entries()) {
    // Let the event loop breathe: a long synchronous stretch leaves idle HTTP sockets to time out unnoticed.
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    const theirs = await local.getIdentityFlags(identifier, traits);
    const ours = snapshot!.evaluator.evaluate({ identifier, traits }).flags;
    for (const name of ['checkout', 'layout']) {
      const flag = theirs.getFlag(name);
      if (flag.enabled !== ours[name]?.enabled || flag.value !== ours[name]?.value) differences.push(`${identifier} ${name}: document ${flag.enabled}/${flag.value}, engine ${ours[name]?.enabled}/${ours[name]?.value}`);
    }
    if (ours.checkout?.value === 'v2') rolledOut.add(identifier);
  }
  return { differences, rolledOut, layoutList: identities.filter(({ identifier, traits }) => snapshot!.evaluator.evaluate({ identifier, traits }).flags.layout?.value === 'list').length };
}

describe('rollouts in Flagsmith-format documents', () => {
  it('flagsmith-nodejs evaluating locally serves each step to exactly the identities our engine does, and keeps them as it grows', async () => {
    const at25 = await both();
    await api.call('POST', `${rolloutPath}/advance`);
    const at60 = await both();

    expect(at25.differences).toEqual([]);
    expect(at60.differences).toEqual([]);
    // 25% and 60% of the 9,800 identities outside the staff segment, give or take.
    expect(at25.rolledOut.size).toBeGreaterThan(2200);
    expect(at25.rolledOut.size).toBeLessThan(2700);
    expect(at60.rolledOut.size).toBeGreaterThan(5600);
    expect(at60.rolledOut.size).toBeLessThan(6200);
    expect([...at25.rolledOut].filter((identifier) => !at60.rolledOut.has(identifier))).toEqual([]);
    expect(at25.layoutList).toBeGreaterThan(2700);
    expect(at25.layoutList).toBeLessThan(3300);
  });

  it('remote evaluation over HTTP agrees with both, identity by identity, on a sample', async () => {
    const remote = new Flagsmith({ environmentKey: clientKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds: 300 });
    clients.push(remote);
    const local = await localClient();
    const differences: string[] = [];
    const compare = async ({ identifier, traits }: (typeof identities)[number]) => {
      const [viaApi, viaDocument] = await Promise.all([remote.getIdentityFlags(identifier, traits), local.getIdentityFlags(identifier, traits)]);
      for (const name of ['checkout', 'layout']) {
        if (viaApi.getFlag(name).enabled !== viaDocument.getFlag(name).enabled || viaApi.getFlag(name).value !== viaDocument.getFlag(name).value) differences.push(`${identifier} ${name}`);
      }
    };
    // Ten identities at a time, as concurrent clients would.
    for (let first = 0; first < 100; first += 10) await Promise.all(identities.slice(first, first + 10).map(compare));
    expect(differences).toEqual([]);
  });
});
