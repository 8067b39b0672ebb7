/**
 * Webhooks end to end on DynamoDB Local: the management API over real HTTP → the change's event
 * in the same transaction → the table's stream → the local publisher → the in-process bus → the
 * webhook dispatcher → the local delivery queue → real HTTP receivers that verify signatures as
 * the README tells customers to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDelivery } from '../../functions/domain/entities.js';
import { DELIVERY_RETENTION_DAYS, deliveryIdOf, deliveryWrite, sweepStuckDeliveries } from '../../functions/domain/webhook-deliveries.js';
import { createWebhookDispatcher, wireWebhookDispatcher } from '../../functions/events/consumers/webhook-dispatcher.js';
import { detailTypes } from '../../functions/events/detail-types.js';
import { type BusEvent, createLocalBus, type LocalBus } from '../../functions/events/local-bus.js';
import { eventRules } from '../../functions/events/rules.js';
import { type EventPipeline, startEventPipeline } from '../../functions/local/event-pipeline.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { localFunctions } from '../../functions/local/functions.js';
import { startHttpServer } from '../../functions/local/http-server.js';
import { createLocalDeliveryQueue, type LocalDeliveryQueue } from '../../functions/local/local-delivery-queue.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

/** Attempts time out after this (production's value); the hanging-endpoint test needs it far above a local delivery, even on a loaded machine. */
const TIMEOUT_MS = 5000;
/**
 * The timeout while the dead-letter test's receiver never answers: every attempt times out
 * whatever the timeout, so four times production's 5 s proved nothing more than four times this
 * (still far above a request reaching a local receiver, so each attempt is seen arriving).
 */
const HANG_TIMEOUT_MS = 1000;
const MAX_ATTEMPTS = 4;
/** The dispatcher's options, read at each attempt (the dead-letter test lowers the timeout while its receiver hangs). */
const dispatch = { baseDelaySeconds: 0.02, maxAttempts: MAX_ATTEMPTS, timeoutMs: TIMEOUT_MS };

let api: TestApi;
let bus: LocalBus;
let queue: LocalDeliveryQueue;
let pipeline: EventPipeline;
const seen: BusEvent[] = [];
const receivers: Receiver[] = [];

beforeAll(async () => {
  api = await startTestApi({ stream: true });
  // The product's rules, plus a recorder that sees every event (to know when setup has drained).
  bus = createLocalBus({ rules: [...eventRules, { consumer: 'recorder', detailTypes, description: 'test' }], retryDelayMs: 10 });
  bus.subscribe('recorder', (event) => {
    seen.push(event);
    changed();
  });
  queue = createLocalDeliveryQueue({ retryDelayMs: 50 });
  wireWebhookDispatcher({ deps: api.deps, bus, queue, options: dispatch });
  // As the local stack does: a quick poll after each write (woken), slower ones while the stream
  // stays quiet, instead of reading it 40 times a second for the whole file.
  pipeline = await startEventPipeline({ endpoint: testDynamoEndpoint(), tableName: api.tableName, bus, pollMs: 25, idlePollMs: 1000 });
  const commit = api.deps.store.commit;
  api.deps.store.commit = async (writes) => {
    try {
      await commit(writes);
    } finally {
      pipeline.wake();
      changed();
    }
  };
});

afterAll(async () => {
  await pipeline?.stop();
  await bus?.idle();
  queue?.stop();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await api?.close();
});

/**
 * Something a test may be waiting for happened: a commit (a delivery's attempt, the API), an
 * event on the bus or a request at a receiver. waitFor checks again then, instead of asking the
 * API 40 times a second while a delivery waits out its timeouts.
 */
let changes = 0;
const wakers = new Set<() => void>();
function changed() {
  changes++;
  for (const wake of wakers) wake();
}

type Answer = number | 'hang';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Requests held open by 'hang', answered by `release`. */
  held: ServerResponse[];
  release(status: number): void;
  close(): Promise<void>;
}

/** A real HTTP receiver; `answer(n)` decides the answer to the n-th request (0-based). */
async function startReceiver(answer: (n: number) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const n = received.length;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const reply = answer(n);
      if (reply === 'hang') held.push(response);
      else response.writeHead(reply).end();
      changed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    held,
    release(status) {
      for (const response of held.splice(0)) if (!response.destroyed) response.writeHead(status).end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

/** What the README tells receivers to do: HMAC the raw body, compare in constant time, check the timestamp. */
function verify(secret: string, request: Received): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-vexilla-signature'] ?? ''));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const { timestamp } = JSON.parse(request.body) as { timestamp: number };
  return String(timestamp) === request.headers['x-vexilla-timestamp'] && Math.abs(Date.now() / 1000 - timestamp) < 300;
}

/** Waits for `probe` to return something, checking it again after each change (see `changed`). */
async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seenChanges = changes;
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    // A change during the probe may have come after what it read: check again at once.
    if (changes !== seenChanges) continue;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      // Only a bound on a hang: every condition waited for here is announced by `changed`.
      const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
      wakers.add(wake);
    });
  }
}

/** Lets every event and queued attempt started so far finish. */
async function settle() {
  await bus.idle();
  await queue.idle();
  await bus.idle();
}

/** A project with a feature and `count` environments, once the setup's own events have been dispatched. */
async function setup(count = 1) {
  const projectId: string = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Shop' } })).body.id;
  const envIds: string[] = [];
  for (let i = 0; i < count; i++) {
    envIds.push((await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: `env ${i}` } })).body.environment.id);
  }
  expect((await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout', initialValue: 'old' } })).status).toBe(201);
  // Events of the setup must not reach webhooks made after it: wait until they were dispatched.
  await waitFor(() => seen.some((event) => event['detail-type'] === 'feature.changed' && event.detail.projectId === projectId), 'setup events');
  await settle();
  return { projectId, envId: envIds[0] as string, envIds };
}

async function createWebhook(envId: string, body: Record<string, unknown>) {
  const created = await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; secret: string; version: number };
}

const patchFlag = async (envId: string, value: string) =>
  expect((await api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { body: { enabled: true, value } })).status).toBe(200);

const deliveries = async (envId: string, webhookId: string, query = '') => {
  const listed = await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${webhookId}/deliveries${query}`);
  expect(listed.status).toBe(200);
  return listed.body.items as { id: string; status: string; attempts: number; lastStatusCode?: number; lastError?: string; eventId: string }[];
};

const deliveredOne = (envId: string, webhookId: string) =>
  waitFor(async () => (await deliveries(envId, webhookId)).find((delivery) => delivery.status === 'delivered'), 'a delivered delivery');

describe('webhook management', () => {
  it('shows the signing secret once, and never in reads, listings or the audit trail', async () => {
    // Prepare
    const { envId } = await setup();

    // Act
    const created = await createWebhook(envId, { url: 'https://hooks.example.com/vexilla', description: 'ops' });
    const read = await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${created.id}`);
    const listed = await api.call('GET', `/admin/v1/environments/${envId}/webhooks`);
    const updated = await api.call('PATCH', `/admin/v1/environments/${envId}/webhooks/${created.id}`, { body: { description: 'on-call', version: created.version } });
    const rotated = await api.call('POST', `/admin/v1/environments/${envId}/webhooks/${created.id}/secret`);
    const audit = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${envId}`);

    // Assess
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9]{40}$/);
    expect(created).toMatchObject({ url: 'https://hooks.example.com/vexilla', events: [], enabled: true, description: 'ops', version: 1 });
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body.secretPrefix).toBe(created.secret.slice(0, 10));
    expect(listed.body.items).toEqual([read.body]);
    expect(updated.body).toMatchObject({ description: 'on-call', version: 2 });
    expect(updated.body).not.toHaveProperty('secret');
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    const webhookRecords = audit.body.items.filter((record: { detailType: string }) => record.detailType === 'webhook.changed');
    expect(webhookRecords.map((record: { action: string }) => record.action)).toEqual(['updated', 'updated', 'created']);
    expect(JSON.stringify(audit.body)).not.toContain(created.secret);
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.secret);
  });

  it('refuses URLs that are not http(s) or carry credentials, and stale versions', async () => {
    const { envId } = await setup();
    for (const url of ['ftp://hooks.example.com/x', 'https://user:pass@hooks.example.com/x', 'not a url']) {
      const reply = await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body: { url } });
      expect(reply.status, url).toBe(422);
    }
    const unknownEvent = await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body: { url: 'https://x.example.com', events: ['token.changed'] } });
    expect(unknownEvent.status).toBe(422);
    const created = await createWebhook(envId, { url: 'https://hooks.example.com/x' });
    await api.call('PATCH', `/admin/v1/environments/${envId}/webhooks/${created.id}`, { body: { enabled: false } });
    const stale = await api.call('PATCH', `/admin/v1/environments/${envId}/webhooks/${created.id}`, { body: { enabled: true, version: 1 } });
    expect(stale.status).toBe(409);
    expect((await api.call('DELETE', `/admin/v1/environments/${envId}/webhooks/${created.id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${created.id}`)).status).toBe(404);
  });

  it("hides one organisation's webhooks and deliveries from another", async () => {
    const { envId } = await setup();
    const created = await createWebhook(envId, { url: 'https://hooks.example.com/x' });
    const stranger = await api.newOrganisation('Stranger');
    for (const path of [`/webhooks/${created.id}`, `/webhooks/${created.id}/deliveries`, '/webhooks']) {
      const reply = await api.call('GET', `/admin/v1/environments/${envId}${path}`, { token: stranger.adminToken });
      expect(reply.status, path).toBe(404);
    }
  });
});

describe('webhook delivery', () => {
  it('delivers a flag change exactly once, signed with the secret shown at creation', async () => {
    // Prepare
    const { envId } = await setup();
    const receiver = await startReceiver();
    const webhook = await createWebhook(envId, { url: receiver.url });

    // Act
    await patchFlag(envId, 'new');
    const delivery = await deliveredOne(envId, webhook.id);
    await settle();

    // Assess
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received as [Received];
    expect(verify(webhook.secret, request)).toBe(true);
    expect(verify('whsec_wrong', request)).toBe(false);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Vexilla-Webhooks/1',
      'x-vexilla-event': 'feature-state.changed',
      'x-vexilla-delivery': delivery.id,
    });
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ id: delivery.eventId, type: 'feature-state.changed', data: { environmentId: envId, subject: { featureName: 'checkout' } } });
    expect(body.data.after).toMatchObject({ enabled: true, value: 'new' });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(await deliveries(envId, webhook.id)).toHaveLength(1);
  });

  it('lists deliveries newest first, a page at a time, and shows one with its body', async () => {
    // Prepare
    const { envId } = await setup();
    const receiver = await startReceiver();
    const webhook = await createWebhook(envId, { url: receiver.url });
    await patchFlag(envId, 'first');
    await deliveredOne(envId, webhook.id);
    await patchFlag(envId, 'second');
    await waitFor(async () => (await deliveries(envId, webhook.id, '?status=delivered')).length === 2, 'two deliveries');

    // Act
    const base = `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries`;
    const first = await api.call('GET', `${base}?limit=1`);
    const second = await api.call('GET', `${base}?limit=1&cursor=${encodeURIComponent(first.body.cursor)}`);
    // DynamoDB may hand a cursor for a page that turns out empty; following it must end the list.
    const rest = second.body.cursor ? (await api.call('GET', `${base}?limit=1&cursor=${encodeURIComponent(second.body.cursor)}`)).body.items : [];
    const one = await api.call('GET', `${base}/${first.body.items[0].id}`);

    // Assess
    const valueOf = (request: Received) => JSON.parse(request.body).data.after.value;
    expect(receiver.received.map(valueOf)).toEqual(['first', 'second']);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0]).not.toHaveProperty('payload');
    expect(first.body.items[0].eventId).toBe(JSON.parse((receiver.received[1] as Received).body).id);
    expect(second.body.items[0].eventId).toBe(JSON.parse((receiver.received[0] as Received).body).id);
    expect(rest).toEqual([]);
    expect(one.body.payload).toMatchObject({ type: 'feature-state.changed', data: { after: { value: 'second' } } });
    expect((await api.call('GET', `${base}/dlv_missing`)).status).toBe(404);
  });

  it('signs with the new secret once it is rotated', async () => {
    const { envId } = await setup();
    const receiver = await startReceiver();
    const webhook = await createWebhook(envId, { url: receiver.url });
    const rotated = (await api.call('POST', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/secret`)).body;

    await patchFlag(envId, 'rotated');
    await deliveredOne(envId, webhook.id);

    expect(verify(rotated.secret, receiver.received[0] as Received)).toBe(true);
    expect(verify(webhook.secret, receiver.received[0] as Received)).toBe(false);
  });

  it('retries a receiver that answers 500 three times, and it gets the event once, on the fourth attempt', async () => {
    // Prepare
    const { envId } = await setup();
    const receiver = await startReceiver((n) => (n < 3 ? 500 : 200));
    const webhook = await createWebhook(envId, { url: receiver.url });

    // Act
    await patchFlag(envId, 'flaky');
    const delivery = await deliveredOne(envId, webhook.id);
    await settle();

    // Assess
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200 });
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((request) => request.headers['x-vexilla-delivery']))).toEqual(new Set([delivery.id]));
    expect(receiver.received.every((request) => verify(webhook.secret, request))).toBe(true);
    expect(new Set(receiver.received.map((request) => JSON.parse(request.body).id))).toEqual(new Set([delivery.eventId]));
  });

  it('puts a delivery to a receiver that never answers in the dead-letter list, and redelivers it once fixed', async () => {
    // Prepare
    const { envId } = await setup();
    let down = true;
    const receiver = await startReceiver(() => (down ? 'hang' : 200));
    const webhook = await createWebhook(envId, { url: receiver.url });
    dispatch.timeoutMs = HANG_TIMEOUT_MS;
    let dead: Awaited<ReturnType<typeof deliveries>>[number] | undefined;
    try {
      await patchFlag(envId, 'lost');

      // Act
      [dead] = await waitFor(async () => {
        const failed = await deliveries(envId, webhook.id, '?status=failed');
        return failed.length > 0 ? failed : undefined;
      }, 'the dead-letter list');
    } finally {
      dispatch.timeoutMs = TIMEOUT_MS;
    }
    down = false;
    const redeliver = await api.call('POST', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries/${dead?.id}/redeliver`);
    const delivered = await deliveredOne(envId, webhook.id);
    await settle();

    // Assess
    expect(dead).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastError: `timed out after ${HANG_TIMEOUT_MS} ms` });
    expect(redeliver.status).toBe(202);
    expect(redeliver.body).toMatchObject({ id: dead?.id, status: 'pending', attempts: 0 });
    expect(delivered).toMatchObject({ id: dead?.id, status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(receiver.received).toHaveLength(MAX_ATTEMPTS + 1);
    expect(verify(webhook.secret, receiver.received.at(-1) as Received)).toBe(true);
    expect(await deliveries(envId, webhook.id, '?status=failed')).toEqual([]);
    const again = await api.call('POST', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries/${dead?.id}/redeliver`);
    expect(again.status).toBe(202);
    await deliveredOne(envId, webhook.id);
  });

  it('fails at once on an answer that retrying cannot fix (410)', async () => {
    const { envId } = await setup();
    const receiver = await startReceiver(() => 410);
    const webhook = await createWebhook(envId, { url: receiver.url });

    await patchFlag(envId, 'gone');
    const [failed] = await waitFor(async () => {
      const list = await deliveries(envId, webhook.id, '?status=failed');
      return list.length > 0 ? list : undefined;
    }, 'a failed delivery');
    await settle();

    expect(failed).toMatchObject({ attempts: 1, lastStatusCode: 410, lastError: 'HTTP 410' });
    expect(receiver.received).toHaveLength(1);
  });

  it('stops retrying once the webhook is disabled, and lists the delivery as failed', async () => {
    // Prepare: the first attempt is held until the webhook is disabled, then answered 500
    const { envId } = await setup();
    const receiver = await startReceiver((n) => (n === 0 ? 'hang' : 200));
    const webhook = await createWebhook(envId, { url: receiver.url });
    await patchFlag(envId, 'paused');
    await waitFor(() => receiver.held.length > 0, 'the first attempt');

    // Act
    const disabled = await api.call('PATCH', `/admin/v1/environments/${envId}/webhooks/${webhook.id}`, { body: { enabled: false } });
    receiver.release(500);
    const [failed] = await waitFor(async () => {
      const list = await deliveries(envId, webhook.id, '?status=failed');
      return list.length > 0 ? list : undefined;
    }, 'a failed delivery');
    await settle();

    // Assess
    expect(disabled.status).toBe(200);
    expect(failed).toMatchObject({ attempts: 1, lastError: 'webhook disabled' });
    expect(receiver.received).toHaveLength(1);
  });

  it('changes nothing when the same event is delivered twice', async () => {
    // Prepare
    const { envId } = await setup();
    const receiver = await startReceiver();
    const webhook = await createWebhook(envId, { url: receiver.url });
    await patchFlag(envId, 'twice');
    const delivery = await deliveredOne(envId, webhook.id);
    const event = seen.find((e) => e.detail.eventId === delivery.eventId) as BusEvent;

    // Act: the bus delivers the same event again (a new envelope, the same event id)
    await bus.put([{ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail), EventBusName: 'vexilla-local', Time: new Date(event.time) }]);
    await settle();

    // Assess
    expect(seen.filter((e) => e.detail.eventId === delivery.eventId)).toHaveLength(2);
    expect(receiver.received).toHaveLength(1);
    expect(await deliveries(envId, webhook.id)).toEqual([delivery]);
  });

  it("follows each webhook's event filter and enabled flag, and sends project-wide changes to every environment", async () => {
    // Prepare
    const { projectId, envIds } = await setup(2);
    const [first, second] = envIds as [string, string];
    const features = await startReceiver();
    const otherEnvFeatures = await startReceiver();
    const states = await startReceiver();
    const disabled = await startReceiver();
    const turnedOff = await startReceiver();
    await createWebhook(first, { url: features.url, events: ['feature.changed'] });
    await createWebhook(second, { url: otherEnvFeatures.url, events: ['feature.changed'] });
    const statesHook = await createWebhook(first, { url: states.url, events: ['feature-state.changed'] });
    await createWebhook(first, { url: disabled.url, enabled: false });
    const off = await createWebhook(first, { url: turnedOff.url });
    expect((await api.call('PATCH', `/admin/v1/environments/${first}/webhooks/${off.id}`, { body: { enabled: false, version: off.version } })).status).toBe(200);

    // Act
    await patchFlag(first, 'filtered');
    await api.call('PATCH', `/admin/v1/projects/${projectId}/features/checkout`, { body: { description: 'project-wide' } });
    await deliveredOne(first, statesHook.id);
    await waitFor(() => features.received.length > 0 && otherEnvFeatures.received.length > 0, 'feature.changed in both environments');
    await settle();

    // Assess
    expect(states.received.map((r) => r.headers['x-vexilla-event'])).toEqual(['feature-state.changed']);
    expect(features.received.map((r) => r.headers['x-vexilla-event'])).toEqual(['feature.changed']);
    expect(otherEnvFeatures.received.map((r) => JSON.parse(r.body).id)).toEqual(features.received.map((r) => JSON.parse(r.body).id));
    expect(disabled.received).toEqual([]);
    expect(turnedOff.received).toEqual([]);
  });

  it('delivers to a healthy endpoint while another one hangs', async () => {
    // Prepare
    const { envId } = await setup();
    const hanging = await startReceiver(() => 'hang');
    const healthy = await startReceiver();
    const hangingHook = await createWebhook(envId, { url: hanging.url });
    const healthyHook = await createWebhook(envId, { url: healthy.url });

    // Act
    await patchFlag(envId, 'both');
    await waitFor(() => healthy.received.length > 0 && hanging.received.length > 0, 'both requests');
    const healthyDelivery = await deliveredOne(envId, healthyHook.id);
    const [stuck] = await deliveries(envId, hangingHook.id);
    hanging.release(200);
    await deliveredOne(envId, hangingHook.id);
    await settle();

    // Assess: the healthy one was delivered while the hanging attempt was still open
    expect(healthyDelivery).toMatchObject({ attempts: 1, lastStatusCode: 200 });
    expect(stuck).toMatchObject({ status: 'pending', attempts: 0 });
    expect(hanging.received).toHaveLength(1);
  });
});

/** A delivery as the fan-out commits it, without queueing its attempt (as when the process dies right after the commit). */
async function commitDelivery(envId: string, webhookId: string, changes: Partial<WebhookDelivery> = {}): Promise<WebhookDelivery> {
  const at = changes.createdAt ?? new Date().toISOString();
  const eventId = `evt-${Math.random().toString(36).slice(2)}`;
  const delivery: WebhookDelivery = {
    type: 'webhook-delivery',
    id: deliveryIdOf({ eventId, at }, webhookId),
    orgId: api.organisationId,
    envId,
    webhookId,
    eventId,
    detailType: 'feature-state.changed',
    status: 'pending',
    attempts: 0,
    payload: JSON.stringify({ id: eventId, type: 'feature-state.changed', data: { eventId, environmentId: envId } }),
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...changes,
  };
  await api.deps.store.commit([deliveryWrite(delivery, 'absent')]);
  return delivery;
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('webhook hardening', () => {
  it('refuses URLs that target this machine or a private network where the deployment does not allow them (production)', async () => {
    // Prepare: the admin API as the Lambda runs it (private targets not allowed), over real HTTP
    const { envId } = await setup();
    const production = await startHttpServer({ port: 0, functions: localFunctions({ ...api.deps, allowPrivateWebhookTargets: false }) });
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${production.url}${path}`, { method, headers: { authorization: `Bearer ${api.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refusedUrls = [
      'http://127.0.0.1:9000/hook',
      'http://localhost:9000/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'https://192.168.1.10/hook',
      'http://2130706433/hook',
    ];

    try {
      // Act
      const refused = await Promise.all(refusedUrls.map(async (url) => ({ url, reply: await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url }) })));
      const created = await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url: 'https://hooks.example.com/x' });
      const webhook = (await created.json()) as { id: string };
      const moved = await call('PATCH', `/admin/v1/environments/${envId}/webhooks/${webhook.id}`, { url: 'http://10.1.2.3/hook' });
      const local = await api.call('POST', `/admin/v1/environments/${envId}/webhooks`, { body: { url: 'http://127.0.0.1:9000/hook' } });

      // Assess
      for (const { url, reply } of refused) {
        expect(reply.status, url).toBe(422);
        const body = (await reply.json()) as { details: { path: string; message: string }[] };
        expect(body.details, url).toEqual([{ path: 'url', message: expect.stringMatching(/webhooks must target a public address$/) }]);
      }
      expect(created.status).toBe(201);
      expect(moved.status).toBe(422);
      expect((await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${webhook.id}`)).body.url).toBe('https://hooks.example.com/x');
      expect(local.status).toBe(201);
    } finally {
      await production.close();
    }
  });

  it('a production-configured dispatcher refuses a 127.0.0.1 receiver without sending anything, while the local configuration delivers', async () => {
    // Prepare: webhooks to a local receiver, by address and by name (made through the local API)
    const { envId } = await setup();
    const receiver = await startReceiver();
    const byAddress = await createWebhook(envId, { url: receiver.url });
    const byName = await createWebhook(envId, { url: receiver.url.replace('127.0.0.1', 'localhost') });
    const first = await commitDelivery(envId, byAddress.id);
    const second = await commitDelivery(envId, byName.id);
    const productionQueue = createLocalDeliveryQueue();
    const production = createWebhookDispatcher({ ...api.deps, allowPrivateWebhookTargets: false, queue: productionQueue }, { maxAttempts: MAX_ATTEMPTS, baseDelaySeconds: 0.02 });
    productionQueue.process((delivery) => production.onDelivery(delivery));

    // Act: production attempts both, then the local stack redelivers the first
    await production.onDelivery({ webhookId: byAddress.id, deliveryId: first.id });
    await production.onDelivery({ webhookId: byName.id, deliveryId: second.id });
    await productionQueue.idle();
    const [refusedByAddress] = await deliveries(envId, byAddress.id);
    const [refusedByName] = await deliveries(envId, byName.id);
    const sentInProduction = receiver.received.length;
    const redeliver = await api.call('POST', `/admin/v1/environments/${envId}/webhooks/${byAddress.id}/deliveries/${first.id}/redeliver`);
    const delivered = await deliveredOne(envId, byAddress.id);
    await settle();

    // Assess
    expect(sentInProduction).toBe(0);
    expect(refusedByAddress).toMatchObject({ id: first.id, status: 'failed', attempts: 1, lastError: 'target resolves to a private address (127.0.0.1): refused' });
    expect(refusedByAddress).not.toHaveProperty('lastStatusCode');
    expect(refusedByName).toMatchObject({ id: second.id, status: 'failed', attempts: 1 });
    expect(refusedByName?.lastError).toMatch(/^target resolves to a private address \((127\.0\.0\.1|::1)\): refused$/);
    expect(redeliver.status).toBe(202);
    expect(delivered).toMatchObject({ id: first.id, status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(receiver.received.map((request) => request.headers['x-vexilla-delivery'])).toEqual([first.id]);
  });

  it(`keeps a delivery ${DELIVERY_RETENTION_DAYS} days after its creation: its item carries the TTL attribute through every attempt`, async () => {
    // Prepare
    const { envId } = await setup();
    const receiver = await startReceiver((n) => (n === 0 ? 500 : 200));
    const webhook = await createWebhook(envId, { url: receiver.url });
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint())));

    // Act: created, retried, then delivered (each a new write of the item)
    await patchFlag(envId, 'kept');
    const delivery = await deliveredOne(envId, webhook.id);
    const { Item: item } = await client.send(new GetCommand({ TableName: api.tableName, Key: { pk: `WEBHOOK#${webhook.id}`, sk: `DELIVERY#${delivery.id}` } }));
    client.destroy();

    // Assess
    expect(delivery).toMatchObject({ attempts: 2, status: 'delivered' });
    expect(item?.createdAt).toEqual(expect.any(String));
    expect(item?.expiresAt).toBe(Math.floor(Date.parse(item?.createdAt as string) / 1000) + DELIVERY_RETENTION_DAYS * 86_400);
    expect(await api.call('GET', `/admin/v1/environments/${envId}/webhooks/${webhook.id}/deliveries/${delivery.id}`).then((reply) => reply.body)).not.toHaveProperty('expiresAt');
  });

  it('delivers what was committed but never queued once the sweep runs, and leaves recent deliveries alone', async () => {
    // Prepare: stuck ones (pending 20 minutes, a retry 20 minutes overdue) and a fresh pending one
    const { envId } = await setup();
    const receiver = await startReceiver();
    const webhook = await createWebhook(envId, { url: receiver.url });
    const stuck = await commitDelivery(envId, webhook.id, { createdAt: minutesAgo(20), updatedAt: minutesAgo(20) });
    const overdue = await commitDelivery(envId, webhook.id, {
      createdAt: minutesAgo(30),
      updatedAt: minutesAgo(25),
      status: 'retrying',
      attempts: 1,
      lastError: 'HTTP 503',
      nextAttemptAt: minutesAgo(24),
    });
    const fresh = await commitDelivery(envId, webhook.id);
    await settle();
    const before = receiver.received.length;

    // Act
    const queued = await sweepStuckDeliveries({ ...api.deps, queue }, { olderThanMs: 15 * 60_000 });
    await settle();

    // Assess
    expect(before).toBe(0);
    expect(queued).toEqual(expect.arrayContaining([{ webhookId: webhook.id, deliveryId: stuck.id }, { webhookId: webhook.id, deliveryId: overdue.id }]));
    expect(queued.filter((ref) => ref.webhookId === webhook.id)).toHaveLength(2);
    const byId = new Map((await deliveries(envId, webhook.id)).map((delivery) => [delivery.id, delivery]));
    expect(byId.get(stuck.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(byId.get(overdue.id)).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
    expect(byId.get(fresh.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(new Set(receiver.received.map((request) => request.headers['x-vexilla-delivery']))).toEqual(new Set([stuck.id, overdue.id]));
    expect(receiver.received.every((request) => verify(webhook.secret, request))).toBe(true);
  });

  it('queues a stuck delivery once when sweeps overlap: the first claims it', async () => {
    // Prepare: a stuck delivery, and a queue that only records (no attempt runs in between)
    const { envId } = await setup();
    const webhook = await createWebhook(envId, { url: 'http://127.0.0.1:9/never-called' });
    const stuck = await commitDelivery(envId, webhook.id, { createdAt: minutesAgo(20), updatedAt: minutesAgo(20) });
    const recorded: { webhookId: string; deliveryId: string }[] = [];
    const recording = { enqueue: async (ref: { webhookId: string; deliveryId: string }) => void recorded.push(ref) };

    // Act: two sweeps at once, then a third
    const [first, second] = await Promise.all([
      sweepStuckDeliveries({ ...api.deps, queue: recording }, { olderThanMs: 15 * 60_000 }),
      sweepStuckDeliveries({ ...api.deps, queue: recording }, { olderThanMs: 15 * 60_000 }),
    ]);
    const third = await sweepStuckDeliveries({ ...api.deps, queue: recording }, { olderThanMs: 15 * 60_000 });

    // Assess
    expect(recorded.filter((ref) => ref.deliveryId === stuck.id)).toHaveLength(1);
    expect([...first, ...second, ...third].filter((ref) => ref.deliveryId === stuck.id)).toHaveLength(1);
  });
});
