/**
 * GET /admin/v1/projects/{projectId}/stale-features over real HTTP on DynamoDB Local, with an
 * injected clock to place changes in time and analytics seeded per environment and day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T12:00:00.000Z');
const at = (days: number) => new Date(T0 + days * DAY);
const dayOf = (days: number) => at(days).toISOString().slice(0, 10);

let api: TestApi;
let projectId: string;
let devId: string;
let prodId: string;

beforeAll(async () => {
  api = await startTestApi();
  const setClock = (days: number) => {
    api.deps.clock = () => at(days);
  };
  setClock(0);
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  devId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'dev' } })).body.environment.id;
  prodId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'prod' } })).body.environment.id;
  for (const name of ['forgotten', 'still-evaluated', 'state-changed']) {
    expect((await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name } })).status).toBe(201);
  }
  expect((await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'kill-switch', tags: ['Permanent'] } })).status).toBe(201);
  setClock(40);
  expect((await api.call('PATCH', `/admin/v1/environments/${devId}/feature-states/state-changed`, { body: { enabled: true } })).status).toBe(200);
  setClock(50);
  expect((await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'new' } })).status).toBe(201);
  // Analytics: still-evaluated in prod 5 days before "now" (day 60), forgotten long ago (day 20).
  await api.deps.store.addEvaluations(prodId, dayOf(55), { 'still-evaluated': 12 });
  await api.deps.store.addEvaluations(devId, dayOf(20), { forgotten: 3 });
  setClock(60);
});
afterAll(() => api?.close());

describe('stale features', () => {
  it('lists features with no change and no evaluation for 30 days by default, except permanent ones', async () => {
    // Act
    const reply = await api.call('GET', `/admin/v1/projects/${projectId}/stale-features`);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      days: 30,
      since: at(30).toISOString(),
      items: [{ name: 'forgotten', tags: [], lastChangedAt: at(0).toISOString(), lastEvaluatedOn: dayOf(20) }],
    });
  });

  it('takes the window from ?days, counting state changes in any environment and evaluations in any environment', async () => {
    // Act
    const reply = await api.call('GET', `/admin/v1/projects/${projectId}/stale-features?days=4`);

    // Assess: everything untouched for 4 days; still-evaluated was last seen 5 days ago
    expect(reply.status).toBe(200);
    expect(reply.body.items).toEqual([
      { name: 'forgotten', tags: [], lastChangedAt: at(0).toISOString(), lastEvaluatedOn: null },
      { name: 'still-evaluated', tags: [], lastChangedAt: at(0).toISOString(), lastEvaluatedOn: dayOf(55) },
      { name: 'state-changed', tags: [], lastChangedAt: at(40).toISOString(), lastEvaluatedOn: null },
      { name: 'new', tags: [], lastChangedAt: at(50).toISOString(), lastEvaluatedOn: null },
    ]);
  });

  it("reads each environment's evaluations once however long the window, its first and last day included", async () => {
    // Prepare: evaluations on the first day a 4-day window looks back to (day 53), the day before (52), and today (60)
    await api.deps.store.addEvaluations(devId, dayOf(53), { forgotten: 1 });
    await api.deps.store.addEvaluations(prodId, dayOf(52), { new: 1 });
    await api.deps.store.addEvaluations(prodId, dayOf(60), { 'state-changed': 1 });
    const store = api.deps.store;
    const reads: string[] = [];
    const { getEvaluations, getEvaluationDays } = store;
    Object.assign(store, {
      getEvaluations: (envId: string, day: string) => (reads.push(`day ${envId}`), getEvaluations.call(store, envId, day)),
      getEvaluationDays: (envId: string, from: string, to: string) => (reads.push(`days ${envId}`), getEvaluationDays.call(store, envId, from, to)),
    });

    // Act
    let year: { status: number };
    let window: { status: number; body: { items: unknown[] } };
    try {
      year = await api.call('GET', `/admin/v1/projects/${projectId}/stale-features?days=365`);
      window = await api.call('GET', `/admin/v1/projects/${projectId}/stale-features?days=4`);
    } finally {
      Object.assign(store, { getEvaluations, getEvaluationDays });
    }

    // Assess: a year (730 days looked back) is one read per environment, not one per environment and day
    expect(year.status).toBe(200);
    expect(reads.sort()).toEqual([`days ${devId}`, `days ${devId}`, `days ${prodId}`, `days ${prodId}`].sort());
    expect(window.body.items).toEqual([
      { name: 'forgotten', tags: [], lastChangedAt: at(0).toISOString(), lastEvaluatedOn: dayOf(53) },
      { name: 'still-evaluated', tags: [], lastChangedAt: at(0).toISOString(), lastEvaluatedOn: dayOf(55) },
      { name: 'new', tags: [], lastChangedAt: at(50).toISOString(), lastEvaluatedOn: null },
    ]);
  });

  it('refuses a window outside 1 to 365 days', async () => {
    const reply = await api.call('GET', `/admin/v1/projects/${projectId}/stale-features?days=0`);

    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ statusCode: 422, details: [expect.objectContaining({ path: 'days' })] });
  });
});
