/**
 * The tenant-updater Lambda entry as EventBridge invokes it with the customer's `tenant.update`
 * events, on DynamoDB Local (through AWS_ENDPOINT_URL_DYNAMODB): upserts and merges, orders by
 * the time of the change (a late event never undoes a newer one), ignores redeliveries, audits
 * with the event's sender as actor, and dead-letters what no retry can fix. SQS (the dead-letter
 * queue) has no local twin: it is mocked and its calls asserted exactly.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/events/consumers/tenant-updater.js';
import { stubLambdaEnv } from '../support/lambda-env.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/vexilla-tenant-updater-dlq';
const sqs = mockClient(SQSClient);

let api: TestApi;
let projectId: string;
let P: string;
let sequence = 0;

/** An EventBridge event as the rule delivers it to the function. */
const event = (detail: unknown, overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: `evt-${++sequence}`,
  'detail-type': 'tenant.update',
  source: 'acme.billing',
  account: '123456789012',
  time: '2026-12-01T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...overrides,
});
const update = (tenantKey: string, fields: Record<string, unknown>) => ({ version: 1, projectId, tenantKey, ...fields });
const tenant = async (key: string) => (await api.call('GET', `${P}/tenants/${encodeURIComponent(key)}`)).body;
const tenantChanges = async (key: string) => {
  const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=100`);
  return audit.body.items.filter((item: { detailType: string; subject: { tenantKey?: string } }) => item.detailType === 'tenant.changed' && item.subject.tenantKey === key);
};

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  stubLambdaEnv(api.tableName, { TENANT_UPDATE_DLQ_URL: QUEUE_URL });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Billing events' } })).body.id;
  P = `/admin/v1/projects/${projectId}`;
}, 120_000);
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dead' });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  sqs.restore();
  await api?.close();
});

describe('tenant-updater Lambda', () => {
  it('creates the tenant an event names, audited with the sender (source and account) as actor', async () => {
    const first = event(update('acme', { name: 'Acme Inc', traits: { plan: 'pro', seats: 10 }, occurredAt: '2026-12-01T10:00:00.000Z' }));
    expect(await handler(first)).toMatchObject({ outcome: 'applied' });
    expect(await tenant('acme')).toMatchObject({ key: 'acme', name: 'Acme Inc', traits: { plan: 'pro', seats: 10 }, version: 1 });
    const [created] = await tenantChanges('acme');
    expect(created).toMatchObject({
      action: 'created',
      projectId,
      actor: { tokenId: 'event:acme.billing@123456789012', name: 'acme.billing (EventBridge, account 123456789012)', type: 'event', subject: first.id },
      after: { traits: { plan: 'pro', seats: 10 } },
    });
    // Filterable like any actor.
    const byActor = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?actor=${encodeURIComponent('event:acme.billing@123456789012')}`);
    expect(byActor.body.items.map((item: { id: string }) => item.id)).toContain(created.id);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('merges traits (null removes one; the others stay) and leaves the name unless it names one', async () => {
    await api.call('PUT', `${P}/tenants/merge`, { body: { name: 'Merge Co', traits: { plan: 'free', region: 'eu', trial: true } } });
    await handler(event(update('merge', { traits: { plan: 'enterprise', trial: null }, occurredAt: '2099-01-01T00:00:00.000Z' })));
    const merged = await tenant('merge');
    expect(merged).toMatchObject({ name: 'Merge Co', traits: { plan: 'enterprise', region: 'eu' }, version: 2 });
    expect(merged.traits).not.toHaveProperty('trial');
  });

  it('never lets a late event undo a newer change, field by field, and ignores redeliveries', async () => {
    const plan = event(update('order', { traits: { plan: 'enterprise' }, occurredAt: '2026-12-01T12:00:00.500Z' }));
    const seats = event(update('order', { traits: { seats: 50 }, occurredAt: '2026-12-01T12:00:00.100Z' }));
    const olderPlan = event(update('order', { traits: { plan: 'free', seats: 5 }, occurredAt: '2026-12-01T12:00:00.200Z' }));
    await handler(plan);
    await handler(seats);
    // Older than the plan change, newer than the seats change: only seats apply.
    expect(await handler(olderPlan)).toMatchObject({ outcome: 'applied', stale: ['traits.plan'] });
    expect(await tenant('order')).toMatchObject({ traits: { plan: 'enterprise', seats: 5 }, version: 3 });
    // EventBridge delivers at least once: the same events again change nothing and record nothing.
    for (const again of [plan, seats, olderPlan]) expect(await handler(again)).toMatchObject({ outcome: 'unchanged' });
    expect(await tenant('order')).toMatchObject({ version: 3 });
    expect(await tenantChanges('order')).toHaveLength(3);
  });

  it('orders by the event time when the detail has no occurredAt, and an API write is a change like any other', async () => {
    await handler(event(update('timed', { traits: { plan: 'pro' } }), { time: '2026-12-01T09:00:00Z' }));
    // A person's change through the API (now) is newer than a billing event from last year.
    await api.call('PUT', `${P}/tenants/timed`, { body: { traits: { plan: 'custom' } } });
    expect(await handler(event(update('timed', { traits: { plan: 'free' } }), { time: '2025-12-01T09:00:00Z' }))).toMatchObject({ outcome: 'unchanged', stale: ['traits.plan'] });
    expect((await tenant('timed')).traits).toEqual({ plan: 'custom' });
  });

  it('sends what no retry can fix to the dead-letter queue with the reason, and changes nothing', async () => {
    const cases = [
      { detail: update('bad', { traits: { plan: { nested: true } } }), errorType: 'Invalid' },
      { detail: update('bad', { traits: { plan: 'x' }, extra: 1 }), errorType: 'Invalid' },
      { detail: { ...update('bad', {}), version: 2 }, errorType: 'Invalid' },
      { detail: update('042', {}), errorType: 'Invalid' },
      { detail: { ...update('bad', {}), projectId: 'prj_nope' }, errorType: 'NotFound' },
    ];
    for (const { detail, errorType } of cases) {
      sqs.reset();
      sqs.on(SendMessageCommand).resolves({ MessageId: 'dead' });
      const sent = event(detail);
      expect(await handler(sent)).toMatchObject({ outcome: 'dead-lettered', reason: { errorType } });
      const calls = sqs.commandCalls(SendMessageCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input.QueueUrl).toBe(QUEUE_URL);
      const body = JSON.parse(calls[0]!.args[0].input.MessageBody!);
      expect(body).toMatchObject({ requestContext: { condition: 'RejectedByConsumer' }, requestPayload: sent, responsePayload: { errorType } });
    }
    expect((await api.call('GET', `${P}/tenants/bad`)).status).toBe(404);
  });

  it('dead-letters a merge that would pass the tenant limits (the API PUT limits, after the merge)', async () => {
    const fifty = (prefix: string) => Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`${prefix}${i}`, i]));
    await handler(event(update('full', { traits: fifty('a'), occurredAt: '2026-12-01T10:00:00.000Z' })));
    expect(await handler(event(update('full', { traits: fifty('b'), occurredAt: '2026-12-01T10:00:01.000Z' })))).toMatchObject({
      outcome: 'dead-lettered',
      reason: { errorType: 'Invalid', details: [{ path: 'traits', message: 'at most 100 traits (120 given)' }] },
    });
    expect(Object.keys((await tenant('full')).traits)).toHaveLength(60);
  });
});
