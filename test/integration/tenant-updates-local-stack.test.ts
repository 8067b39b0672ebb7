/**
 * A billing system's plan change through the local stack, over real HTTP: the unmodified AWS SDK's
 * EventBridgeClient puts a `tenant.update` on the local PutEvents endpoint, the in-process bus
 * routes it by the rule table to the tenant-updater, and the identity's flags follow the new plan
 * (segment `tenant.plan = enterprise`). Refused entries answer like EventBridge; events that break
 * the contract land in the local dead-letter list.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUS_NAME, LOCAL_EVENTBRIDGE_PATH } from '../../functions/local/local-eventbridge.js';
import type { LocalStack } from '../../functions/local/stack.js';
import { startFreshLocalStack } from '../support/local-stack.js';
import { until } from '../support/until.js';

let stack: LocalStack;
let token: string;
let orgId: string;
let projectId: string;
let clientKey: string;
let events: EventBridgeClient;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The flags of an identity of a tenant, through the Flagsmith SDK API (no edge cache in the way: it is keyed by identity and traits). */
async function ssoFor(identifier: string, tenant: string): Promise<boolean> {
  const response = await fetch(`${stack.url}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: [{ trait_key: 'tenant', trait_value: tenant }] }),
  });
  const body = (await response.json()) as { flags: { feature: { name: string }; feature_state_value: unknown }[] };
  return body.flags.find((flag) => flag.feature.name === 'sso')?.feature_state_value === true;
}

const put = (entries: Record<string, unknown>[]) =>
  events.send(new PutEventsCommand({ Entries: entries.map((entry) => ({ Source: 'acme.billing', DetailType: 'tenant.update', EventBusName: LOCAL_BUS_NAME, ...entry })) }));
const detail = (fields: Record<string, unknown>) => JSON.stringify({ version: 1, projectId, ...fields });

beforeAll(async () => {
  ({ stack, orgId, token } = await startFreshLocalStack({ organisation: 'Billing', snapshotTtlMs: 0, debounceMs: 800 }));
  events = new EventBridgeClient({ endpoint: `${stack.url}${LOCAL_EVENTBRIDGE_PATH}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  projectId = (await call('POST', `/admin/v1/organisations/${orgId}/projects`, { name: 'Plans' })).body.id;
  const environment = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'production' });
  clientKey = environment.body.clientKey;
  const envId = environment.body.environment.id;
  await call('POST', `/admin/v1/projects/${projectId}/features`, { name: 'sso', initialValue: false });
  await call('PATCH', `/admin/v1/environments/${envId}/feature-states/sso`, { enabled: true });
  const segment = await call('POST', `/admin/v1/projects/${projectId}/segments`, { name: 'enterprise', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] });
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/sso/segment-overrides/${segment.body.id}`, { enabled: true, value: true, priority: 1 });
  await call('PUT', `/admin/v1/projects/${projectId}/tenants/acme`, { name: 'Acme', traits: { plan: 'pro', region: 'eu' } });
}, 120_000);
afterAll(async () => {
  events?.destroy();
  await stack?.stop();
});

describe('tenant.update on the local stack', () => {
  it("applies a billing system's plan change put with the AWS SDK, and the tenant's identities follow it", async () => {
    expect(await ssoFor('ana', 'acme')).toBe(false);
    // After the tenant was created through the API (a field's newer change wins).
    const sent = await put([{ Detail: detail({ tenantKey: 'acme', traits: { plan: 'enterprise' }, occurredAt: new Date().toISOString() }) }]);
    expect(sent.FailedEntryCount).toBe(0);
    const eventId = sent.Entries?.[0]?.EventId;
    expect(eventId).toBeTruthy();
    await stack.bus.idle();

    const tenant = await call('GET', `/admin/v1/projects/${projectId}/tenants/acme`);
    expect(tenant.body).toMatchObject({ name: 'Acme', traits: { plan: 'enterprise', region: 'eu' }, version: 2 });
    // Evaluations see the tenant's new plan once its environments are published again (the
    // tenant.changed event's way through the stream and the publisher): wait for that, not a time.
    await until(() => ssoFor('ana', 'acme'), "ana's flags to follow the enterprise plan");
    const audit = await call('GET', `/admin/v1/organisations/${orgId}/audit?limit=10`);
    expect(audit.body.items.find((item: { detailType: string }) => item.detailType === 'tenant.changed')).toMatchObject({
      action: 'updated',
      actor: { type: 'event', tokenId: 'event:acme.billing@000000000000', subject: eventId },
      before: { traits: { plan: 'pro' } },
      after: { traits: { plan: 'enterprise' } },
    });

    // A late event from before the change does not undo it.
    await put([{ Detail: detail({ tenantKey: 'acme', traits: { plan: 'free' }, occurredAt: '2020-01-01T00:00:00.000Z' }) }]);
    await stack.bus.idle();
    expect((await call('GET', `/admin/v1/projects/${projectId}/tenants/acme`)).body).toMatchObject({ traits: { plan: 'enterprise' }, version: 2 });
  });

  it('answers entries EventBridge would refuse with their error codes, and accepts the rest of the call', async () => {
    const sent = await put([
      { Detail: detail({ tenantKey: 'initech', traits: { plan: 'pro' } }) },
      { Detail: detail({ tenantKey: 'x' }), EventBusName: 'default' },
      { Detail: '[1]' },
      { Detail: detail({ tenantKey: 'x' }), Source: 'aws.billing' },
    ]);
    expect(sent.FailedEntryCount).toBe(3);
    expect(sent.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['ok', 'ResourceNotFoundException', 'MalformedDetail', 'NotAuthorizedForSourceException']);
    await stack.bus.idle();
    expect((await call('GET', `/admin/v1/projects/${projectId}/tenants/initech`)).body).toMatchObject({ traits: { plan: 'pro' }, version: 1 });
    await expect(events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: 'a.b', DetailType: 'tenant.update', Detail: '{}', EventBusName: LOCAL_BUS_NAME })) }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it("dead-letters events that break the contract, and leaves Vexilla's own source to Vexilla", async () => {
    const before = stack.tenantUpdateDeadLetters.list().length;
    await put([{ Detail: detail({ tenantKey: 'umbrella', traits: { plan: ['list'] } }) }]);
    // Vexilla's own source is not a customer's: no rule sends it to the tenant-updater.
    await put([{ Detail: detail({ tenantKey: 'umbrella', traits: { plan: 'pro' } }), Source: 'vexilla' }]);
    await stack.bus.idle();
    const letters = stack.tenantUpdateDeadLetters.list().slice(before);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: { errorType: 'Invalid' }, event: { source: 'acme.billing', 'detail-type': 'tenant.update', account: '000000000000' } });
    expect((await call('GET', `/admin/v1/projects/${projectId}/tenants/umbrella`)).status).toBe(404);
  });
});
