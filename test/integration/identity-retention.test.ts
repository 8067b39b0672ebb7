/**
 * Issue 12, item 11: what a client key may create. GET identities never persists; POST stores an
 * identity only when it has traits to keep; identities without overrides expire after an idle
 * time (DynamoDB's TTL attribute, refreshed at most daily, never once per evaluation); an
 * identity with overrides is kept.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyOf } from '../../functions/data/keys.js';
import { table } from '../../functions/data/table.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { movingClock } from '../support/moving-clock.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const DAY = 86_400_000;
const IDLE_DAYS = 30;
const moving = movingClock();
let api: TestApi;
let envId: string;
let clientKey: string;
const raw = documentClient(localDynamoClientConfig(testDynamoEndpoint()));

beforeAll(async () => {
  api = await startTestApi({ clock: moving.clock, identityIdleSeconds: IDLE_DAYS * 86_400, snapshotTtlMs: 0 });
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Retention' } })).body.id;
  const created = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body;
  envId = created.environment.id;
  clientKey = created.clientKey;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello', defaultEnabled: true } });
}, 120_000);
afterAll(() => {
  raw.destroy();
  return api?.close();
});

/** The identity's item as DynamoDB holds it, TTL attribute included. */
async function item(identifier: string) {
  const { Item } = await raw.send(new GetCommand({ TableName: api.tableName, Key: keyOf({ type: 'identity', envId, identifier }) }));
  return Item;
}
const sdkGet = (identifier: string) => fetch(`${api.url}/api/v1/identities/?identifier=${encodeURIComponent(identifier)}`, { headers: { 'x-environment-key': clientKey } });
const sdkPost = (body: unknown) =>
  fetch(`${api.url}/api/v1/identities/`, { method: 'POST', headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const epoch = (ms: number) => Math.floor(ms / 1000);

describe('what a client key may create', () => {
  it('GET identities never stores an identity', async () => {
    for (let i = 0; i < 20; i++) expect((await sdkGet(`crawler-${i}`)).status).toBe(200);
    for (let i = 0; i < 20; i++) expect(await item(`crawler-${i}`)).toBeUndefined();
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities`)).body.items).toEqual([]);
  });

  it('POST stores an identity only when it has traits to keep, and never a transient one', async () => {
    expect((await sdkPost({ identifier: 'no-traits', traits: [] })).status).toBe(200);
    expect((await sdkPost({ identifier: 'no-traits-at-all' })).status).toBe(200);
    expect((await sdkPost({ identifier: 'passing', traits: [{ trait_key: 'plan', trait_value: 'pro' }], transient: true })).status).toBe(200);
    expect((await sdkPost({ identifier: 'passing-trait', traits: [{ trait_key: 'plan', trait_value: 'pro', transient: true }] })).status).toBe(200);
    for (const identifier of ['no-traits', 'no-traits-at-all', 'passing', 'passing-trait']) expect(await item(identifier), identifier).toBeUndefined();
  });
});

describe('idle identities expire', () => {
  it('a stored identity carries a TTL of the idle time, refreshed at most daily, not per evaluation', async () => {
    const posted = await sdkPost({ identifier: 'ana', traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
    expect(posted.status).toBe(200);
    const first = await item('ana');
    expect(first?.[table.timeToLiveAttribute]).toBe(epoch(Date.parse(first?.lastSeenAt)) + IDLE_DAYS * 86_400);
    expect(Math.abs(first?.[table.timeToLiveAttribute] - epoch(moving.clock().getTime() + IDLE_DAYS * DAY))).toBeLessThanOrEqual(2);

    // The same traits again, and reads: nothing is written.
    moving.advance(DAY / 2);
    await sdkPost({ identifier: 'ana', traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
    await sdkGet('ana');
    expect(await item('ana')).toEqual(first);

    // A day on, the next sighting (a GET too) moves the expiry, without a new version.
    moving.advance(DAY);
    await sdkGet('ana');
    const refreshed = await item('ana');
    expect(refreshed?.version).toBe(first?.version);
    expect(refreshed?.traits).toEqual({ plan: 'pro' });
    expect(refreshed?.[table.timeToLiveAttribute]).toBeGreaterThan(first?.[table.timeToLiveAttribute] + DAY / 1000);
  });

  it('once the idle time is over it is gone for every reader, before DynamoDB deletes it', async () => {
    await sdkPost({ identifier: 'bob', traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/bob`)).status).toBe(200);
    moving.advance((IDLE_DAYS + 1) * DAY);
    expect(await item('bob')).toBeDefined(); // DynamoDB's TTL deletes it later; until then it reads as gone
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/bob`)).status).toBe(404);
    const listed = (await api.call('GET', `/admin/v1/environments/${envId}/identities`)).body.items.map((i: { identifier: string }) => i.identifier);
    expect(listed).not.toContain('bob');
    const flags = await (await sdkPost({ identifier: 'bob', traits: [] })).json();
    expect(flags.traits).toEqual([]);
    // Coming back with traits starts it again.
    await sdkPost({ identifier: 'bob', traits: [{ trait_key: 'plan', trait_value: 'team' }] });
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/bob`)).body.traits).toEqual({ plan: 'team' });
  });

  it('an identity with overrides is kept however long it goes unseen, and expires again once they are gone', async () => {
    await api.call('PUT', `/admin/v1/environments/${envId}/identities/vip`, { body: { traits: { plan: 'enterprise' } } });
    expect((await item('vip'))?.[table.timeToLiveAttribute]).toEqual(expect.any(Number));
    expect((await api.call('PUT', `/admin/v1/environments/${envId}/identities/vip/overrides/banner`, { body: { enabled: true, value: 'for you' } })).status).toBe(200);
    expect(await item('vip')).not.toHaveProperty(table.timeToLiveAttribute);

    moving.advance(5 * IDLE_DAYS * DAY);
    await sdkPost({ identifier: 'vip', traits: [{ trait_key: 'seen', trait_value: true }] });
    expect(await item('vip')).not.toHaveProperty(table.timeToLiveAttribute);
    const flags = await (await sdkGet('vip')).json();
    expect(flags.flags[0].feature_state_value).toBe('for you');
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/vip`)).body.traits).toEqual({ plan: 'enterprise', seen: true });

    expect((await api.call('DELETE', `/admin/v1/environments/${envId}/identities/vip/overrides/banner`)).status).toBe(204);
    const unpinned = await item('vip');
    expect(unpinned?.[table.timeToLiveAttribute]).toBe(epoch(Date.parse(unpinned?.lastSeenAt)) + IDLE_DAYS * 86_400);
    expect(Date.parse(unpinned?.lastSeenAt)).toBeGreaterThan(moving.clock().getTime() - DAY);
  });
});
